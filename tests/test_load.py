"""Generated and sustained traffic against the real servers (SQLite store, as `make run`):

- fuzzing: 2,000 generated chat messages (any Unicode, broken surrogates, control characters, `/` commands,
  entity syntax, over-long text) and 500 broken requests (bad senders, wrong JSON types, raw bytes): never a
  5xx, and correct answers afterwards;
- soak: 5,000 messages from 32 concurrent clients, in conversations of 6 messages: no errors, every answered
  message is in the tracker store, and resident memory grows by less than 10% after a warm-up.
"""
import json
import sqlite3
import uuid
from collections import Counter

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.bench import load_test, rss_mb
from scripts.evaluate import ask

pytestmark = pytest.mark.servers
FUZZ_EXAMPLES = 2000
SOAK_WARM_UP, SOAK_MESSAGES, SOAK_CLIENTS = 500, 5000, 32
MAX_MEMORY_GROWTH = 0.10

WORDS = ["botox", "dystonia", "prolotherapy", "spasm", "baclofen", "how often", "can't breathe", "no chest pain",
         "/", "{", '"topic": "x"}', "<script>alert(1)</script>", "'; DROP TABLE events;--", "\x00", "\u202e",
         "😀", "\ufeff", "\\ud800", "%s", "{clinic}", "\n", "../"]
texts = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(exclude_categories=()), max_size=100),  # surrogates and unassigned code points too
    st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join),
    st.tuples(st.sampled_from(["/", "//", "/greet", "/cd_botox_what", "/emergency", '/ask_dosage{"topic": "x"}',
                               " /out_of_scope"]), st.text(max_size=40)).map("".join),
    st.text(alphabet="ab 😀", min_size=950, max_size=1100),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
chat_request = st.builds(lambda s, m: json.dumps({"sender": s, "message": m}).encode(), st.uuids().map(lambda u: u.hex), texts)
broken_request = st.one_of(
    st.builds(lambda s, m: json.dumps({"sender": s, "message": m}).encode(), st.text(max_size=140), texts),
    st.builds(lambda s, m: json.dumps({"sender": s, "message": m}).encode(), json_values, json_values),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=400),
)


def test_generated_requests_never_get_a_5xx_and_the_server_answers_afterwards(server_url, server_processes):
    session, statuses = requests.Session(), Counter()

    def send(body):
        response = session.post(f"{server_url}/webhooks/rest/webhook", data=body,
                                headers={"Content-Type": "application/json"}, timeout=60)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (body[:200], response.text[:200])
        if response.status_code == 200:
            messages = response.json()
            assert isinstance(messages, list) and any("custom" in m for m in messages)

    def fuzz(strategy, examples):
        settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))(given(strategy)(send))()

    fuzz(chat_request, FUZZ_EXAMPLES)
    assert statuses[200] + statuses[429] == FUZZ_EXAMPLES  # well-formed: every one answered (or rate limited)
    fuzz(broken_request, FUZZ_EXAMPLES // 4)
    print(f"fuzz: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert server_processes[-1].poll() is None
    answer = ask(server_url, uuid.uuid4().hex, "how often do i need botox injections for cervical dystonia")
    assert answer["answer_id"] == "cd_botox_frequency"


def test_soak_loses_nothing_and_memory_stays_flat(server_url, server_folder, server_processes):
    pids, answered = [p.pid for p in server_processes], Counter()
    warm_up = load_test(server_url, SOAK_CLIENTS, SOAK_WARM_UP, 600, answered)
    before = rss_mb(pids)
    soak = load_test(server_url, SOAK_CLIENTS, SOAK_MESSAGES - SOAK_WARM_UP, 1800, answered)
    after = rss_mb(pids)
    growth = after / before - 1
    print(f"soak: {warm_up['requests'] + soak['requests']} messages, {SOAK_CLIENTS} clients, {len(answered)} "
          f"conversations; {soak['throughput']} msg/s, p50 {soak['p50_ms']} ms, p95 {soak['p95_ms']} ms, "
          f"p99 {soak['p99_ms']} ms; errors {warm_up['errors'] + soak['errors']}; memory {before:.0f} MB after "
          f"warm-up, {after:.0f} MB at the end ({growth:+.1%})")
    assert warm_up["requests"] + soak["requests"] == SOAK_MESSAGES
    assert warm_up["errors"] == soak["errors"] == 0
    with sqlite3.connect(server_folder / "conversations.db") as db:
        stored = Counter(dict(db.execute(
            "SELECT sender_id, COUNT(*) FROM events WHERE type_name = 'user' GROUP BY sender_id")))
    assert {sender: stored[sender] for sender in answered} == dict(answered)
    assert growth < MAX_MEMORY_GROWTH
