"""Build the spaCy pipeline Rasa's SpacyNLP loads: blank English plus an entity ruler made from the
terms in knowledge/topics.yml. Usage: python -m scripts.build_spacy_pipeline models/spacy-terms"""
import sys
from pathlib import Path

from actions.knowledge import knowledge_base
from actions.nlp import terms_pipeline

if __name__ == "__main__":
    target = sys.argv[1]
    nlp = terms_pipeline({name: topic.terms for name, topic in knowledge_base().topics.items()})
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    print(f"wrote the spaCy terms pipeline to {target}")
