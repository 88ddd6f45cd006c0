"""actions/nlp.py's RuleMatcher: the rule syntax of knowledge/safety.yml and aspects.yml, checked against
spaCy's own Matcher with `{0,n}` wildcards, which it replaces for speed."""
import pytest
from spacy.matcher import Matcher

from actions.nlp import RuleMatcher, lemma_pipeline
from actions.safety import screener
from scripts.evaluate import TRIAGE_SETS, triage_messages

NLP = lemma_pipeline()


def spacy_pattern(rule: str, max_gap: int) -> list:
    pattern = []
    for i, slot in enumerate(rule.split(" + ")):
        if i:
            pattern.append({"OP": f"{{0,{max_gap}}}"})
        words = slot.split("|")
        if all(w.startswith("=") for w in words):
            pattern.append({"LOWER": {"IN": sorted({w[1:].lower() for w in words})}})
        else:
            pattern.append({"LEMMA": {"IN": sorted({NLP(w.lower())[0].lemma_ for w in words})}})
    return pattern


def test_slots_gaps_lemmas_and_exact_words():
    matcher = RuleMatcher(NLP, 2)
    matcher.add("breathing", "can|ca + not|nt + breathe")
    matcher.add("past", "=took + pill|pills")
    doc = NLP("i can't really breathe, i took two pills and take pills")
    assert [(k, doc[s:e].text) for k, s, e in matcher(doc)] == [
        ("breathing", "can't really breathe"), ("past", "took two pills")]
    assert matcher(NLP("i can not at all ever breathe")) == []  # more than two words between slots
    assert matcher.words("past") == {"took", "pill"}


def test_a_slot_is_exact_words_or_lemmas_never_both():
    """"have|=got" would compare "=got" as a lemma, which no word has: the rule is refused, not half read."""
    with pytest.raises(ValueError, match="mixes"):
        RuleMatcher(NLP, 2).add("diagnosis", "i + have|=got + dystonia")


def test_a_number_is_not_numb():
    """spaCy's lookup table reads "number" as "numb" (more numb); actions/nlp.py's LEMMA_FIXES set it right, so
    "number 3 please" asks no side effect and names no sign of a stroke."""
    assert [t.lemma_ for t in NLP("number numbers numb")] == ["number", "number", "numb"]
    matcher = RuleMatcher(NLP, 2)
    matcher.add("numbness", "sudden|suddenly + numb|numbness")
    assert matcher(NLP("suddenly a number of them ache")) == []
    assert matcher(NLP("suddenly numb")) != []


def test_it_finds_the_same_rules_as_spacys_matcher():
    screen = screener()
    ours, spacys = RuleMatcher(NLP, screen.max_gap), Matcher(NLP.vocab)
    rules = [  # every safety rule, back in the rule syntax
        (key, " + ".join("|".join(("=" if exact else "") + w for w in sorted(forms)) for exact, forms in slots))
        for key, slots in screen.matcher.rules
    ]
    for key, rule in rules:
        ours.add(key, rule)
        spacys.add(key, [spacy_pattern(rule, screen.max_gap)])
    texts = [m["text"] for path in TRIAGE_SETS.values() for m in triage_messages(path)]
    assert len(texts) > 500
    for text in texts:
        doc = NLP(text.lower())
        assert {k for k, _, _ in ours(doc)} == {NLP.vocab.strings[m] for m, _, _ in spacys(doc)}, text
