"""Builds the word lists of the spelling corrector (nlu/spelling.py) into models/spelling/words.json, from the
articles and topic terms in knowledge/ and spaCy's English word probabilities (spacy-lookups-data)."""
import gzip
import json
import re
import sys
from pathlib import Path

import spacy_lookups_data
import yaml

from nlu.speller import MIN_PHRASE_WORDS, edit_distance

ROOT = Path(__file__).resolve().parent.parent
COMMON_LOG_PROB = -17.0  # words at least this frequent are left alone ("level", "shots"); rarer ones may be typos
MEDICAL_LOG_PROB = -13.0  # rarer words of the articles and terms are what typos and dictation are corrected into


def main(out: str) -> None:
    knowledge = ROOT / "knowledge"
    article_words = set()
    for article in (knowledge / "articles").glob("*.txt"):
        article_words |= set(re.findall(r"[a-z]+", article.read_text(encoding="utf-8").lower()))
    topics = yaml.safe_load((knowledge / "topics.yml").read_text(encoding="utf-8"))["topics"]
    term_words = {w for topic in topics.values() for term in topic["terms"] for w in re.findall(r"[a-z]+", term.lower())}
    # Misspellings listed as terms ("distonia") stay terms of the ruler, but nothing is corrected into them.
    probabilities = json.loads(
        gzip.open(Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz").read()
    )
    common = sorted(w for w, p in probabilities.items() if p >= COMMON_LOG_PROB and w.isalpha() and w.islower())
    # A term word that is a misspelling of an article's word ("distonia") is left to the ruler, not a target.
    term_words = {
        w for w in term_words
        if w in article_words or not any(edit_distance(w, a, 2) <= 2 for a in article_words if len(a) >= 5)
    }
    medical = sorted(
        w for w in article_words | term_words if len(w) >= 5 and probabilities.get(w, -99.0) < MEDICAL_LOG_PROB
    )
    # Every longer word of the articles and terms, common ones too: what an unknown word may be a typo of
    # ("musles", "stimulaton", "ligiments"), though only `targets` are rare enough to be checked for.
    vocabulary = sorted(w for w in article_words | term_words if len(w) >= 5)
    # Terms of two words or more, for a word typed or heard as another real word ("deep brian stimulation",
    # "trigger pint shots", "lose ligaments"); those starting with a small word ("my back") are left out when read.
    phrases = sorted({" ".join(re.findall(r"[a-z]+", term.lower())) for topic in topics.values()
                      for term in topic["terms"] if len(re.findall(r"[a-z]+", term)) >= MIN_PHRASE_WORDS})
    words = {"targets": medical, "terms": sorted(set(medical) & term_words), "common": common, "vocabulary": vocabulary,
             "joinable": sorted(w for w in term_words if len(w) >= 5), "phrases": phrases}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(words), encoding="utf-8")
    print(f"Wrote {out}: {len(words['targets'])} targets, {len(words['terms'])} term words, {len(vocabulary)} article "
          f"words, {len(common)} common words")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/spelling/words.json")
