"""spaCy pipelines built from a blank English model (no downloads): the sentencizer that cuts the
articles into passages, the entity ruler that recognises medical terms in patients' words, and the lemma
pipeline with the rule syntax that the safety rules and the aspect rules share."""
from typing import Dict, Iterable, List

import spacy
from spacy.language import Language

TOPIC_LABEL = "topic"


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


def lemma_pipeline() -> Language:
    """Blank English with a sentencizer and the lookup lemmatizer (tables from spacy-lookups-data, a package):
    the pipeline the rule matchers of actions/safety.py and actions/reading.py run on."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def rule_pattern(nlp: Language, rule: str, max_gap: int) -> List[dict]:
    """A Matcher pattern from the rule syntax of knowledge/safety.yml and knowledge/aspects.yml: word slots
    joined by " + ", alternatives by "|", compared by lemma, up to `max_gap` other words between two slots."""
    pattern: List[dict] = []
    for i, slot in enumerate(rule.split(" + ")):
        if i:
            pattern.append({"OP": f"{{0,{max_gap}}}"})
        lemmas = sorted({nlp(word.lower())[0].lemma_ for word in slot.split("|")})
        pattern.append({"LEMMA": {"IN": lemmas}})
    return pattern
