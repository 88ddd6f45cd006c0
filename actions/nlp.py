"""spaCy pipelines built from a blank English model (no downloads): the sentencizer that cuts the
articles into passages, and the entity ruler that recognises medical terms in patients' words."""
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
