"""Rasa's own checks, run on the trained model: data validation, held-out NLU accuracy, conversation tests."""
import json
import os
import subprocess

from tests.conftest import ROOT

RASA = [str(ROOT / ".venv" / "bin" / "python"), "-m", "web.rasa_main"]  # the patched Rasa, as the servers run it
MODEL = str(ROOT / "models" / "clinic-faq.tar.gz")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
MIN_HELD_OUT_INTENT_ACCURACY = 0.95


def rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*RASA, *args], cwd=ROOT, env=ENV, capture_output=True, text=True)


def test_domain_and_data_are_consistent():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_held_out_intent_accuracy(tmp_path):
    result = rasa("test", "nlu", "--nlu", "tests/test_nlu.yml", "--model", MODEL, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    errors = json.loads((tmp_path / "intent_errors.json").read_text())
    print(f"held-out intent accuracy {report['accuracy']:.4f}, macro F1 {report['macro avg']['f1-score']:.4f}")
    confusions = [f"{e['text']!r}: {e['intent']} -> {e['intent_prediction']['name']}" for e in errors]
    assert report["accuracy"] >= MIN_HELD_OUT_INTENT_ACCURACY, "\n".join(confusions)


def test_conversations(tmp_path):
    """End to end (`--e2e`): Rasa reads each turn's words with the NLU and checks the intent and the topic
    entities it finds, then the action; without `--e2e` it would take the stories' intent labels as given."""
    result = rasa(
        "test", "core", "--stories", "tests/test_conversations.yml", "--model", MODEL,
        "--out", str(tmp_path), "--fail-on-prediction-errors", "--e2e",
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stderr[-3000:]
