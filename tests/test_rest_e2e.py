"""End to end over REST: the real action server and Rasa server answer held-out patient questions.

Every answer must cite an acceptable passage with its full text; off-topic questions must get no citation.
The measuring functions are those of `make eval` (scripts/evaluate.py).
"""
import uuid

import pytest
import requests

from scripts import evaluate
from scripts.evaluate import ask
from tests.conftest import load_yaml

HELDOUT = load_yaml("tests/heldout_questions.yml")
MIN_ANSWER_ACCURACY = evaluate.THRESHOLDS["answer_accuracy"]

pytestmark = pytest.mark.servers


def test_held_out_questions_cite_an_acceptable_passage(server_url, kb):
    questions = [dict(q) for q in HELDOUT["questions"]]
    accuracy, misses = evaluate.answer_accuracy(server_url, questions)
    print(f"answer accuracy {accuracy:.3f} on {len(questions)} questions")
    for question in questions:
        for citation in question["got"]["citations"]:
            assert citation["quote"] == kb.passages[citation["passage_id"]].text
    assert accuracy >= MIN_ANSWER_ACCURACY, "\n".join(map(evaluate.describe, misses))


def test_follow_ups_are_answered_in_context(server_url):
    accuracy, misses = evaluate.followup_accuracy(server_url, HELDOUT["conversations"])
    print(f"follow-up turns with an acceptable passage {accuracy:.3f}")
    assert accuracy >= MIN_ANSWER_ACCURACY, "\n".join(map(evaluate.describe, misses))


def test_off_topic_questions_get_no_citation(server_url):
    rejection, cited_anyway = evaluate.out_of_scope_rejection(server_url, list(HELDOUT["off_topic"]))
    print(f"off-topic without citation {rejection:.3f} of {len(HELDOUT['off_topic'])}")
    assert cited_anyway == []


def test_conversations_are_kept_apart(server_url):
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    assert ask(server_url, first, "tell me about botox for dystonia")["kind"] == "answer"
    assert ask(server_url, second, "what is prolotherapy")["kind"] == "answer"
    assert ask(server_url, first, "how often?")["answer_id"] == "cd_botox_frequency"


def test_the_disclaimer_comes_once_at_the_start(server_url):
    def post(sender, text):
        body = {"sender": sender, "message": text}
        return requests.post(f"{server_url}/webhooks/rest/webhook", json=body, timeout=30).json()

    sender = uuid.uuid4().hex
    first = post(sender, "hello")
    assert [m["custom"]["kind"] for m in first if "custom" in m] == ["disclaimer", "smalltalk"]
    assert "automated assistant" in first[0]["text"]
    assert [m["custom"]["kind"] for m in post(sender, "what is cervical dystonia") if "custom" in m] == ["answer"]
