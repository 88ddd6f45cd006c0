"""Safety over REST, with the real servers: rules and the NLU second net together."""
import uuid

import pytest

from tests.conftest import load_yaml
from tests.test_rest_e2e import ask
from tests.test_safety import CASES, MAX_FALSE_ALARM_RATE, ORDINARY

pytestmark = pytest.mark.servers


def test_every_red_flag_gets_the_emergency_reply(server_url):
    missed = [c["text"] for c in CASES["red_flags"] if ask(server_url, uuid.uuid4().hex, c["text"])["kind"] != "emergency"]
    print(f"red-flag recall (REST) {1 - len(missed) / len(CASES['red_flags']):.3f} of {len(CASES['red_flags'])}")
    assert missed == []


def test_ordinary_questions_get_no_false_alarm(server_url):
    texts = ORDINARY + [c["text"] for c in CASES["not_emergencies"]]
    alarms = [t for t in texts if ask(server_url, uuid.uuid4().hex, t)["kind"] == "emergency"]
    print(f"false alarms (REST) {len(alarms)} of {len(texts)}")
    assert len(alarms) / len(texts) <= MAX_FALSE_ALARM_RATE, alarms


def test_dosing_and_diagnosis_questions_are_referred(server_url):
    wrong = []
    for case in CASES["dosing"]:
        custom = ask(server_url, uuid.uuid4().hex, case["text"])
        if custom["kind"] != "refer":
            wrong.append(f"{case['text']!r} -> {custom['kind']} {custom.get('answer_id')}")
    print(f"dosing guard {1 - len(wrong) / len(CASES['dosing']):.3f} of {len(CASES['dosing'])}")
    assert wrong == []


def test_requests_for_a_person_get_the_clinics_contact(server_url):
    wrong = [t for t in CASES["handoff"] if ask(server_url, uuid.uuid4().hex, t)["kind"] != "handoff"]
    print(f"handoff {1 - len(wrong) / len(CASES['handoff']):.3f} of {len(CASES['handoff'])}")
    assert len(wrong) <= len(CASES["handoff"]) * 0.1, wrong


def test_an_emergency_interrupts_a_topic_and_the_conversation_goes_on(server_url):
    sender = uuid.uuid4().hex
    assert ask(server_url, sender, "tell me about botox for my neck dystonia")["answer_id"] == "cd_botox_what"
    assert ask(server_url, sender, "since my shot yesterday i can barely swallow")["kind"] == "emergency"
    assert ask(server_url, sender, "ok. how often are the injections?")["answer_id"] == "cd_botox_frequency"
