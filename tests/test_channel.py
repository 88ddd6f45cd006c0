"""The chat channel's checks, without a server: parsing, cleaning, rate limits and the `/` payload rule."""
import json

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from web.channel import RateLimiter, cause, clean_text, conversation_tag, offered_payloads, parse, reply


@pytest.mark.parametrize("body, problem", [
    (b"\xff\xfe{", "JSON in UTF-8"),
    (b"{not json", "JSON in UTF-8"),
    (b"[1, 2]", "JSON object"),
    (b'"text"', "JSON object"),
    (json.dumps({"message": "hi"}).encode(), "`sender`"),
    (json.dumps({"sender": "", "message": "hi"}).encode(), "`sender`"),
    (json.dumps({"sender": "a b", "message": "hi"}).encode(), "`sender`"),
    (json.dumps({"sender": "x" * 129, "message": "hi"}).encode(), "`sender`"),
    (json.dumps({"sender": 12, "message": "hi"}).encode(), "`sender`"),
    (json.dumps({"sender": "abc", "message": None}).encode(), "`message`"),
    (json.dumps({"sender": "abc", "message": ["hi"]}).encode(), "`message`"),
])
def test_malformed_requests_are_named(body, problem):
    assert problem in parse(body)[2]


def test_a_good_request_parses():
    assert parse(json.dumps({"sender": "3f2a-b.c:d@e_f", "message": "hi"}).encode()) == ("3f2a-b.c:d@e_f", "hi", None)


@pytest.mark.parametrize("raw, cleaned", [
    ("  what is\tdystonia?\n", "what is dystonia?"),
    ("bo\x00tox\x07 \x1bshots\u200b\x85", "botox shots"),
    ("broken \ud800 surrogate", "broken ? surrogate"),
    ("cafe\u0301", "café"),
    ("\u202eevil override", "evil override"),
    ("😀😀", "😀😀"),
    ("¿Qué es la distonía?", "¿Qué es la distonía?"),
    ("\n\t \r", ""),
])
def test_text_is_cleaned_to_printable_words(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_only_offered_payloads_count():
    events = [
        UserUttered("hi"),
        BotUttered("Did you mean", {"buttons": [{"title": "Botox", "payload": "/cd_botox_what"}]}),
        BotUttered(None, {"custom": {"kind": "answer", "suggestions": [{"title": "How often?", "payload": "/cd_botox_frequency"}]}}),
        BotUttered("plain text", {}),
    ]
    assert offered_payloads(events) == {"/cd_botox_what", "/cd_botox_frequency"}
    assert offered_payloads([]) == set()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rate_limit_allows_a_burst_then_refills():
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(20)  # one message every 20 s on average
    assert limiter.take("b") == 0  # keys are independent
    clock.now += 20
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0


def test_rate_limiter_forgets_idle_keys():
    clock = Clock()
    limiter = RateLimiter(per_minute=10, clock=clock)
    for n in range(1000):
        limiter.take(f"sender-{n}")
    clock.now += 61
    limiter.take("new")
    assert list(limiter.buckets) == ["new"]


def test_replies_have_the_channel_shape():
    text, custom = reply("abc", "unavailable", "Sorry")
    assert text == {"recipient_id": "abc", "text": "Sorry"}
    assert custom["custom"] == {"kind": "unavailable", "answer_id": None, "citations": [], "suggestions": []}


def test_logged_errors_leave_out_statements_parameters_and_sender_ids():
    class DatabaseError(Exception):
        orig = ConnectionRefusedError("connection to server at 127.0.0.1 failed: Connection refused\nIs it running?")

    error = DatabaseError("(psycopg2.OperationalError) ... [parameters: ('my secret symptom',)]")
    assert cause(error, "abc") == "connection to server at 127.0.0.1 failed: Connection refused"
    sender = "04e9cb" * 5
    locked = cause(Exception(f"Could not acquire lock for conversation_id '{sender}'."), sender)
    assert sender not in locked and conversation_tag(sender) in locked


def test_json_nested_thousands_deep_is_a_bad_request_not_a_crash():
    from web.channel import parse

    assert parse(b"[" * 3000 + b"]" * 3000)[2]
    assert parse(b'{"a":' * 3000 + b"1" + b"}" * 3000)[2]


def test_an_error_is_logged_with_its_stack_frames_but_no_values():
    from web.channel import frames

    def inner(text):
        raise KeyError(text)

    try:
        inner("zebra-quartz my private symptom")
    except KeyError as error:
        where = frames(error)
    assert "test_channel.py" in where and "inner" in where and "zebra" not in where
