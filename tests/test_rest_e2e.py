"""End to end over REST: the real action server and Rasa server answer held-out patient questions.

Every answer must cite an acceptable passage with its full text; off-topic questions must get no citation.
"""
import uuid

import pytest
import requests

from tests.conftest import load_yaml

HELDOUT = load_yaml("tests/heldout_questions.yml")
MIN_ANSWER_ACCURACY = 0.95  # share of held-out questions whose cited passage is an acceptable one


def post(url: str, sender: str, text: str) -> list:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    return response.json()


def ask(url: str, sender: str, text: str) -> dict:
    """The `custom` payload of the reply (the disclaimer of a conversation's first reply aside)."""
    customs = [m["custom"] for m in post(url, sender, text) if "custom" in m and m["custom"]["kind"] != "disclaimer"]
    assert len(customs) == 1, customs
    return customs[0]


def cited(custom: dict) -> set:
    return {c["passage_id"] for c in custom["citations"]}


pytestmark = pytest.mark.servers


def test_held_out_questions_cite_an_acceptable_passage(server_url, kb):
    misses = []
    for question in HELDOUT["questions"]:
        custom = ask(server_url, uuid.uuid4().hex, question["text"])
        for citation in custom["citations"]:
            assert citation["quote"] == kb.passages[citation["passage_id"]].text
        if not cited(custom) & set(question["passages"]):
            misses.append(f"{question['text']!r} -> {custom['kind']} {custom.get('answer_id')}")
    accuracy = 1 - len(misses) / len(HELDOUT["questions"])
    print(f"answer accuracy {accuracy:.3f} on {len(HELDOUT['questions'])} questions")
    assert accuracy >= MIN_ANSWER_ACCURACY, "\n".join(misses)


def test_follow_ups_are_answered_in_context(server_url):
    misses = []
    for conversation in HELDOUT["conversations"]:
        sender = uuid.uuid4().hex
        for turn in conversation["turns"]:
            custom = ask(server_url, sender, turn["text"])
            if not cited(custom) & set(turn["passages"]):
                misses.append(f"{turn['text']!r} -> {custom['kind']} {custom.get('answer_id')}")
    turns = sum(len(c["turns"]) for c in HELDOUT["conversations"])
    print(f"follow-up turns with an acceptable passage {1 - len(misses) / turns:.3f} of {turns}")
    assert 1 - len(misses) / turns >= MIN_ANSWER_ACCURACY, "\n".join(misses)


def test_off_topic_questions_get_no_citation(server_url):
    cited_anyway = []
    for text in HELDOUT["off_topic"]:
        custom = ask(server_url, uuid.uuid4().hex, text)
        if custom["kind"] == "answer" or custom["citations"]:
            cited_anyway.append(f"{text!r} -> {custom['answer_id']}")
    print(f"off-topic without citation {1 - len(cited_anyway) / len(HELDOUT['off_topic']):.3f} of {len(HELDOUT['off_topic'])}")
    assert cited_anyway == []


def test_conversations_are_kept_apart(server_url):
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    assert ask(server_url, first, "tell me about botox for dystonia")["kind"] == "answer"
    assert ask(server_url, second, "what is prolotherapy")["kind"] == "answer"
    assert ask(server_url, first, "how often?")["answer_id"] == "cd_botox_frequency"


def test_the_disclaimer_comes_once_at_the_start(server_url):
    sender = uuid.uuid4().hex
    first = post(server_url, sender, "hello")
    kinds = [m["custom"]["kind"] for m in first if "custom" in m]
    assert kinds == ["disclaimer", "smalltalk"]
    assert "automated assistant" in first[0]["text"]
    second = post(server_url, sender, "what is cervical dystonia")
    assert [m["custom"]["kind"] for m in second if "custom" in m] == ["answer"]
