"""Long conversations over REST, with the real servers on SQLite: a turn's cost does not grow with the
conversation, a client driving one long conversation at its rate limit does not slow other patients, and a
conversation that goes on in a new session (actions/actions.py, `rollover`, every
MAX_SESSION_TURNS turns) keeps its context, its offered buttons, its votes and its single disclaimer."""
import sqlite3
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from actions import config
from scripts.servers import ONE_ADDRESS_ENV, running_servers, sqlite_store
from tests.conftest import free_port
from web.channel import RATE_LIMIT_PER_SENDER

pytestmark = pytest.mark.servers

QUESTIONS = ["what is cervical dystonia", "how is it treated", "what is prolotherapy", "can massage help",
             "what causes muscle spasms", "what is botox used for in cervical dystonia", "how often?"]


@pytest.fixture(scope="module")
def long_server(tmp_path_factory):
    """Both servers, with no per-sender rate limit (one conversation sends hundreds of messages here)."""
    database = tmp_path_factory.mktemp("long") / "conversations.db"
    env = {**ONE_ADDRESS_ENV, "RATE_LIMIT_PER_SENDER": "1000000"}
    with running_servers(rasa_port=free_port(), action_port=free_port(), stores=sqlite_store(database), env=env) as url:
        yield url, database


def send(url: str, sender: str, text: str) -> list:
    response = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    response.raise_for_status()
    return response.json()


def custom(messages: list) -> dict:
    (payload,) = [m["custom"] for m in messages if "custom" in m and m["custom"]["kind"] != "disclaimer"]
    return payload


def test_a_conversation_goes_on_across_a_new_session_as_if_nothing_happened(long_server):
    url, database = long_server
    sender = uuid.uuid4().hex
    replies = [send(url, sender, "what is prolotherapy")]
    assert custom(replies[0])["answer_id"] == "ms_prolotherapy_what"
    for n in range(config.MAX_SESSION_TURNS - 2):
        replies.append(send(url, sender, QUESTIONS[n % 5]))
    # The last turn of the first session: its buttons are offered just before the new session starts.
    replies.append(send(url, sender, "what is botox used for in cervical dystonia"))
    offered = next(s for s in custom(replies[-1])["suggestions"] if s["payload"] != "/cd_botox_frequency")
    followup = send(url, sender, "how often?")
    assert custom(followup)["answer_id"] == "cd_botox_frequency", "the topic was lost with the new session"
    clicked = send(url, sender, offered["payload"])
    assert custom(clicked)["answer_id"] == offered["payload"][1:], "the offered button was refused"
    vote = {"sender": sender, "answer_id": "ms_prolotherapy_what", "helpful": True}
    assert requests.post(f"{url}/webhooks/rest/feedback", json=vote, timeout=10).status_code == 200
    disclaimers = [m for r in [*replies, followup, clicked] for m in r
                   if m.get("custom", {}).get("kind") == "disclaimer"]
    assert len(disclaimers) == 1
    with sqlite3.connect(database) as db:
        (sessions,) = db.execute("SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'session_started'",
                                 (sender,)).fetchone()
    assert sessions == 2, "no new session was started (or more than one)"


def test_a_turns_cost_does_not_grow_with_the_conversation(long_server):
    """p50 of the last 20 of 500 turns (a whole session's cycle) at most 1.5 times p50 of turn 5.

    Each of the last 20 turns is timed right after the fifth turn of a fresh conversation, so both are measured
    under the same load: timed minutes apart, another job on the machine once made turn 500 look twice as slow."""
    url, _ = long_server
    sender = uuid.uuid4().hex
    for n in range(480):
        send(url, sender, QUESTIONS[n % len(QUESTIONS)])
    early, late = [], []
    for n in range(480, 500):
        fresh, text = uuid.uuid4().hex, QUESTIONS[n % len(QUESTIONS)]
        for earlier in QUESTIONS[:4]:
            send(url, fresh, earlier)
        for conversation, seconds in ((fresh, early), (sender, late)):  # the same question in both
            started = time.perf_counter()
            send(url, conversation, text)
            seconds.append(time.perf_counter() - started)
    early, late = statistics.median(early), statistics.median(late)
    print(f"\none conversation of 500 turns: p50 of turn 5 {early * 1000:.1f} ms, over turns 481-500 "
          f"{late * 1000:.1f} ms ({late / early:.2f} times)")
    assert late <= 1.5 * early


def patients_p95(url: str, seconds: float, patients: int = 8) -> float:
    """p95 of the turns of `patients` conversations of 5 turns each, one after another, for `seconds`."""
    stop, samples = time.monotonic() + seconds, []

    def patient(_: int) -> None:
        while time.monotonic() < stop:
            sender = uuid.uuid4().hex
            for text in QUESTIONS[:5]:
                started = time.perf_counter()
                send(url, sender, text)
                samples.append(time.perf_counter() - started)

    with ThreadPoolExecutor(patients) as pool:
        list(pool.map(patient, range(patients)))
    return statistics.quantiles(samples, n=20)[-1]


def test_a_1000_turn_conversation_at_its_rate_limit_does_not_slow_other_patients(long_server):
    """A client that has sent 1,000 messages in one conversation goes on at the per-sender limit
    (RATE_LIMIT_PER_SENDER a minute) while 8 patients talk: their p95 rises at most 1.5 times."""
    url, _ = long_server
    sender = uuid.uuid4().hex
    for n in range(1000):  # built up quickly: this server has no per-sender limit
        send(url, sender, QUESTIONS[n % len(QUESTIONS)])
    alone = patients_p95(url, 20)
    stop = threading.Event()

    def at_the_rate_limit() -> None:
        n = 0
        while not stop.wait(60 / RATE_LIMIT_PER_SENDER):
            send(url, sender, QUESTIONS[n % len(QUESTIONS)])
            n += 1

    pacer = threading.Thread(target=at_the_rate_limit)
    pacer.start()
    try:
        beside_it = patients_p95(url, 20)
    finally:
        stop.set()
        pacer.join()
    print(f"\n8 patients' p95: {alone * 1000:.0f} ms alone, {beside_it * 1000:.0f} ms beside a 1,000-turn conversation "
          f"at {RATE_LIMIT_PER_SENDER} messages a minute ({beside_it / alone:.2f} times)")
    assert beside_it <= 1.5 * alone
