"""spaCy pipelines built from a blank English model (no downloads): the sentencizer that cuts the
articles into passages, the entity ruler that recognises medical terms in patients' words, and the lemma
pipeline with the rule matcher that the safety rules and the aspect rules share; and `fold`, the form of a
message's text that rules and the classifier read, whatever the keyboard."""
import unicodedata
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import spacy
from confusable_homoglyphs.confusables import confusables_data
from spacy.language import Language
from spacy.tokens import Doc

TOPIC_LABEL = "topic"
# Invisible characters that some keyboards and spoofers put inside words: format characters (zero-width
# space, soft hyphen, joiners) and the Hangul and Braille fillers, which are letters or symbols to Unicode.
FILLERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u0060": "'", "\u00b4": "'"})


@lru_cache(maxsize=1)
def _latin_lookalikes() -> Dict[int, str]:
    """Non-ASCII characters that look like an ASCII letter (Cyrillic "е", Greek "ο" ...), from Unicode's
    confusables table as the confusable-homoglyphs package ships it."""
    table = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalpha()]
        if latin:
            table[ord(char)] = latin[0]
    return table


def fold(text: str) -> str:
    """The text as plain Latin letters: NFKC (fullwidth "ｂｒｅａｔｈｅ" -> "breathe"), invisible fillers dropped,
    accents and other combining marks removed, look-alike letters of other scripts mapped to Latin, curly
    apostrophes straightened ("can’t")."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        c for c in unicodedata.normalize("NFD", text)
        if c not in FILLERS and unicodedata.category(c) not in ("Mn", "Me", "Cf")
    )
    return unicodedata.normalize("NFC", text.translate(_latin_lookalikes()).translate(APOSTROPHES))


def sentencizer() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def term_patterns(terms_by_topic: Dict[str, Iterable[str]]) -> List[dict]:
    """Entity-ruler patterns: each lay term or spelling, matched case-insensitively token by token,
    labelled `topic` with the canonical topic name as its id."""
    tokenizer = spacy.blank("en").tokenizer
    patterns = []
    for topic, terms in terms_by_topic.items():
        for term in terms:
            tokens = [{"LOWER": token.lower_} for token in tokenizer(term)]
            patterns.append({"label": TOPIC_LABEL, "pattern": tokens, "id": topic})
    return patterns


def terms_pipeline(terms_by_topic: Dict[str, Iterable[str]]) -> Language:
    """Blank English with an entity ruler: the pipeline Rasa's SpacyNLP loads from models/."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(term_patterns(terms_by_topic))
    return nlp


# The lookup table's readings that mislead the rules: "number" is "numb" in it (more numb), so "number 3
# please" read as numbness, a side effect asked about, and as a sign of a stroke; the ordinals are digits in it
# ("second" is "2"), so "my head has turned for 2 years" read as a headache that came on within seconds.
ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
LEMMA_FIXES = {"number": "number", **{ordinal: ordinal for ordinal in ORDINALS}}


def lemma_pipeline() -> Language:
    """Blank English with a sentencizer and the lookup lemmatizer (tables from spacy-lookups-data, a package):
    the pipeline the rule matchers of actions/safety.py and actions/reading.py run on."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    for word, lemma in LEMMA_FIXES.items():
        table[word] = lemma
    return nlp


class RuleMatcher:
    """Finds the rules of knowledge/safety.yml and knowledge/aspects.yml in a message.

    A rule is word slots joined by " + ", alternatives by "|", compared by lemma ("breathing" is "breathe"),
    with up to `max_gap` other words between two slots. A slot whose words start with "=" is compared by the
    exact word ("=took|=swallowed": past, not "take"); a slot is one or the other, never both. spaCy's Matcher
    does this with `{0,n}` wildcards, but tries every rule at every word (15 ms for a long message with 250
    rules); here rules are indexed by their first slot's words, so a message costs only the rules whose first
    word it contains.
    """

    def __init__(self, nlp: Language, max_gap: int) -> None:
        self.nlp, self.max_gap = nlp, max_gap
        self.rules: List[Tuple[str, List[Tuple[bool, FrozenSet[str]]]]] = []  # key, [(exact?, words)]
        self.by_first: Dict[Tuple[bool, str], List[int]] = {}

    def add(self, key: str, rule: str) -> None:
        slots = []
        for slot in rule.split(" + "):
            words = slot.split("|")
            exact = all(word.startswith("=") for word in words)
            if not exact and any(word.startswith("=") for word in words):  # its "=" words would match nothing
                raise ValueError(f"{key}: the slot {slot!r} mixes exact (=) words and lemmas")
            forms = {w[1:].lower() for w in words} if exact else {self.nlp(w.lower())[0].lemma_ for w in words}
            slots.append((exact, frozenset(forms)))
        self.rules.append((key, slots))
        for form in slots[0][1]:
            self.by_first.setdefault((slots[0][0], form), []).append(len(self.rules) - 1)

    def words(self, key: str) -> Set[str]:
        """Every word the rules under `key` compare with."""
        return {form for k, slots in self.rules if k == key for _, forms in slots for form in forms}

    def __call__(self, doc: Doc) -> List[Tuple[str, int, int]]:
        """(key, start, end) of every match: for each word that starts a rule, its shortest completion."""
        tokens = [(t.lower_, t.lemma_) for t in doc]
        matches = []
        for i, (lower, lemma) in enumerate(tokens):
            for n in {*self.by_first.get((True, lower), ()), *self.by_first.get((False, lemma), ())}:
                key, slots = self.rules[n]
                end = self._complete(tokens, slots, 1, i + 1)
                if end:
                    matches.append((key, i, end))
        return matches

    def _complete(self, tokens: list, slots: list, k: int, position: int) -> Optional[int]:
        if k == len(slots):
            return position
        exact, forms = slots[k]
        for j in range(position, min(position + self.max_gap + 1, len(tokens))):
            if tokens[j][0 if exact else 1] in forms:
                end = self._complete(tokens, slots, k + 1, j + 1)
                if end:
                    return end
        return None
