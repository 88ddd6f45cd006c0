"""Typo-tolerant and dictation-tolerant medical terms: a domain spelling corrector that runs first in the NLU
pipeline, so the classifier and the term ruler see "baclofen" where a patient typed "baclophen" or dictated
"back low fen".

Its word lists are built by `make` (scripts/build_spelling.py) into models/spelling/words.json:
- `targets`: the rarer (medical) words of the two articles and of the topic terms (knowledge/), what a
  misspelled word may become;
- `terms`: those of the topic terms, what a run of 2-4 dictated words may be joined into, by spelling or sound;
- `vocabulary`: every longer word of the articles and terms, what an unknown word ("musles") may be a typo of;
- `joinable`: every longer word of the topic terms, common ones too, what a dictated run may be joined into as
  it is spelt ("mass age" -> massage);
- `common`: common English words (spaCy's lexeme probabilities >= -17, from spacy-lookups-data), never
  corrected.
The text is folded first (actions/nlp.py: fullwidth letters, look-alikes of other scripts, accents and
invisible fillers), as the red-flag screen folds it. Only the message's text for the NLU is changed; the
conversation keeps the patient's own words.
"""
import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from actions.nlp import fold
from nlu.speller import WORDS_FILE, Speller
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SpellingCorrector(GraphComponent):
    """First in the pipeline: corrects the medical words of each message (and of the training data, so both
    are read the same way) before spaCy and the featurizers see it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"words": str(WORDS_FILE)}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The word lists' hash: Rasa retrains what follows when they change, not only when the config does."""
        path = Path(config["words"])
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.speller = Speller.from_file(Path(config["words"]))

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "SpellingCorrector":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT):
                folded = fold(message.get(TEXT))  # "¨" folds to nothing: then the text is kept as it is
                message.set(TEXT, self.speller.correct(folded if folded.strip() else message.get(TEXT)))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data
