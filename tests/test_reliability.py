"""Nothing lost, nothing let in, on the default set-up (SQLite): odd and hostile input, the `/` payload rule,
rate limits, restarts, an action server that is down or hung, a conversation store that fails, and logs
without message text. PostgreSQL and Redis: tests/test_scale_out.py. Fuzzing and the soak: tests/test_load.py.
"""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
import yaml

from scripts.evaluate import ask
from scripts.servers import action_server, rasa_server, sqlite_store, wait_until_up, write_endpoints
from tests.conftest import ROOT, free_port, post

pytestmark = pytest.mark.servers
SECRET = "zebra-quartz my private symptom 4711"  # must never appear in a log
KINDS = {"answer", "clarify", "fallback", "smalltalk", "emergency", "refer", "handoff", "not_covered", "disclaimer",
         "input_rejected"}


def kinds(messages):
    return [m["custom"]["kind"] for m in messages if "custom" in m]


def user_texts(database, sender):
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(data)["parse_data"] for (data,) in rows]


ODD = {
    "empty": "",
    "whitespace": " \t\n  ",
    "control characters": "what\x00 is\x07 \x1b cervical\x08 dystonia\x7f",
    "emoji only": "😀😭🙏",
    "html and script": "<script>alert('x')</script><img src=x onerror=alert(1)> botox?",
    "sql": "'; DROP TABLE events; -- what is prolotherapy",
    "long word": "a" * 999,
    "at the limit": ("is botox safe " * 80)[:1000],
    "spanish": "¿Qué es la distonía cervical y cómo se trata?",
    "chinese": "颈部肌张力障碍是什么？",
    "arabic": "ما هو خلل التوتر العنقي؟",
    "right-to-left override": "\u202ewhat is botox\u202c",
    "format strings": "{clinic} %s %(x)s ${HOME} {{7*7}}",
    "path": "../../../../etc/passwd",
    "json in text": '{"sender": "other", "message": "hi"}',
}


@pytest.mark.parametrize("name", ODD)
def test_odd_messages_get_a_sensible_reply(server_url, name):
    status, messages = post(server_url, {"sender": uuid.uuid4().hex, "message": ODD[name]})
    assert status == 200
    assert [k for k in kinds(messages) if k != "disclaimer"] and set(kinds(messages)) <= KINDS
    if name in ("empty", "whitespace"):
        assert kinds(messages) == ["input_rejected"] and messages[0]["text"] == "Please type a question."


def test_a_message_over_the_limit_is_asked_to_be_shorter(server_url, server_folder):
    sender = uuid.uuid4().hex
    status, messages = post(server_url, {"sender": sender, "message": "is botox safe? " * 100})
    assert status == 200 and kinds(messages) == ["input_rejected"]
    assert "longer than 1,000 characters" in messages[0]["text"] and "shorten" in messages[0]["text"]
    assert user_texts(server_folder / "conversations.db", sender) == []  # it never reached the assistant


@pytest.mark.parametrize("body, status", [
    (b"\xff\xfe\x00garbage", 400),
    (b'{"sender": "abc", "message": "unterminated', 400),
    (b"[]", 400),
    (b"null", 400),
    (b'{"sender": "abc"}', 400),
    (b'{"sender": "abc", "message": 42}', 400),
    (b'{"sender": "<script>", "message": "hi"}', 400),
    (b'{"sender": "abc", "message": "x", "pad": "' + b"y" * 20_000 + b'"}', 413),
    (b'{"sender": "abc", "message": "' + b"y" * 200_000 + b'"}', 413),
    (b"[" * 3000 + b"]" * 3000, 400),  # nested 3,000 deep, 6 KB: no RecursionError, no 500
])
def test_malformed_requests_get_a_clear_4xx(server_url, body, status):
    got, reply = post(server_url, body)
    assert got == status
    assert got == 413 or "error" in reply


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_only_json_is_accepted_so_no_page_can_post_without_a_preflight(server_url, content_type):
    status, reply = post(server_url, {"sender": uuid.uuid4().hex, "message": "what is botox"},
                         headers={"Content-Type": content_type})
    assert status == 415 and "application/json" in reply["error"]


def test_broken_surrogates_and_nul_are_stored_cleanly(server_url, server_folder):
    sender = uuid.uuid4().hex
    status, messages = post(server_url, b'{"sender": "%s", "message": "what is \\ud800botox\\u0000?"}' % sender.encode())
    assert status == 200
    assert user_texts(server_folder / "conversations.db", sender)[0]["text"] == "what is ?botox?"


def test_a_typed_intent_or_entity_is_read_as_words(server_url, server_folder):
    sender = uuid.uuid4().hex
    post(server_url, {"sender": sender, "message": "/cd_botox_frequency"})
    post(server_url, {"sender": sender, "message": '/greet{"topic": "prolotherapy"}'})
    first, second = user_texts(server_folder / "conversations.db", sender)
    assert first["text"] == "cd_botox_frequency" and first["intent"]["confidence"] < 1.0
    assert not second["text"].startswith("/")
    assert {"entity": "topic", "value": "prolotherapy"} not in [
        {k: e.get(k) for k in ("entity", "value")} for e in second["entities"] if e.get("extractor") is None
    ]


def test_an_offered_button_payload_is_taken_as_the_button(server_url, server_folder):
    sender = uuid.uuid4().hex
    greeting = ask(server_url, sender, "hello")
    payload = greeting["suggestions"][0]["payload"]
    answered = ask(server_url, sender, payload)
    assert answered["kind"] == "answer" and answered["answer_id"] == payload[1:]
    assert user_texts(server_folder / "conversations.db", sender)[-1]["intent"]["confidence"] == 1.0


def test_a_sender_over_its_rate_limit_gets_429(server_url):
    """30 a minute with bursts of 30: the 31st message is refused unless the bucket refilled meanwhile (half a
    message a second), which a slow machine may need; the test allows for exactly that refill."""
    sender = uuid.uuid4().hex
    start, statuses, messages = time.monotonic(), [], None
    while len(statuses) < 60 and 429 not in statuses:
        status, messages = post(server_url, {"sender": sender, "message": "hi"})
        statuses.append(status)
    refilled = (time.monotonic() - start) * 30 / 60
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429
    assert len(statuses) <= 31 + int(refilled) + 1, (len(statuses), refilled)
    assert kinds(messages) == ["rate_limited"] and "Please wait" in messages[0]["text"]
    assert post(server_url, {"sender": uuid.uuid4().hex, "message": "hi"})[0] == 200  # others go on


# ---- a server of the module's own: restarts, faults, per-address limits, logs ------------------------------

class Own:
    """An action server and a Rasa server on an SQLite file, each of which a test may stop and start."""

    def __init__(self, folder):
        self.folder = folder
        self.database = folder / "conversations.db"
        self.action_port, self.rasa_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        self.endpoints = write_endpoints(folder / "endpoints.yml", f"http://127.0.0.1:{self.action_port}/webhook",
                                         sqlite_store(self.database))
        self.log_path = folder / "servers.log"
        self.log = open(self.log_path, "a")
        self.stack = ExitStack()
        self.actions = self.rasa = None

    def start_actions(self):
        self.actions = self.stack.enter_context(action_server(self.action_port, self.log))

    def start_rasa(self):
        env = {"RATE_LIMIT_PER_ADDRESS": "40"}
        self.rasa = self.stack.enter_context(rasa_server(self.rasa_port, self.endpoints, log=self.log, env=env))

    def kill(self, process):
        process.send_signal(signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    server = Own(tmp_path_factory.mktemp("own"))
    server.start_actions()
    server.start_rasa()
    yield server
    server.stack.close()
    server.log.close()


def test_a_conversation_survives_a_killed_and_restarted_server(own):
    sender = uuid.uuid4().hex
    assert ask(own.url, sender, "tell me about botox for my neck dystonia")["answer_id"] == "cd_botox_what"
    own.kill(own.rasa)
    own.start_rasa()
    status, messages = post(own.url, {"sender": sender, "message": "how often?"})
    assert kinds(messages) == ["answer"]  # no second disclaimer: the same conversation goes on
    assert messages[-1]["custom"]["answer_id"] == "cd_botox_frequency"


def test_an_action_server_that_is_down_gives_a_prompt_trouble_reply_then_recovers(own):
    sender = uuid.uuid4().hex
    assert ask(own.url, sender, "what is prolotherapy?")["answer_id"] == "ms_prolotherapy_what"
    own.kill(own.actions)
    start = time.monotonic()
    status, messages = post(own.url, {"sender": sender, "message": SECRET})
    waited = time.monotonic() - start
    print(f"action server down: trouble reply after {waited:.2f} s")
    assert status == 200 and kinds(messages) == ["unavailable"] and waited < 5
    assert "having trouble" in messages[0]["text"] and "+1 555 010 0100" in messages[0]["text"]
    assert "call 911" in messages[0]["text"]
    newcomer = uuid.uuid4().hex  # a conversation that starts while the action server is down
    assert kinds(post(own.url, {"sender": newcomer, "message": "hello"})[1]) == ["unavailable"]
    own.start_actions()
    assert ask(own.url, sender, "where is it given?")["answer_id"] == "ms_prolotherapy_where"  # context kept
    assert kinds(post(own.url, {"sender": newcomer, "message": "what is prolotherapy?"})[1]) == ["disclaimer", "answer"]


def test_a_hung_action_server_gives_the_trouble_reply_within_seconds(own):
    sender = uuid.uuid4().hex
    assert ask(own.url, sender, "what is cervical dystonia")["kind"] == "answer"
    own.actions.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        status, messages = post(own.url, {"sender": sender, "message": "how is it treated?"})
        waited = time.monotonic() - start
    finally:
        own.actions.send_signal(signal.SIGCONT)
    print(f"hung action server: trouble reply after {waited:.1f} s")
    assert status == 200 and kinds(messages) == ["unavailable"] and waited < 6
    assert ask(own.url, sender, "how is it treated?")["answer_id"] == "cd_treatments"


def test_a_failing_conversation_store_gives_an_error_reply_and_no_crash(own):
    sender = uuid.uuid4().hex
    assert ask(own.url, sender, "tell me about botox for dystonia")["kind"] == "answer"
    blocker = sqlite3.connect(own.database)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database: the server cannot write the turn
    try:
        status, messages = post(own.url, {"sender": sender, "message": SECRET})
    finally:
        blocker.rollback()
        blocker.close()
    assert status == 503 and kinds(messages) == ["unavailable"] and own.rasa.poll() is None
    assert "could not handle a message of conversation" in own.log_path.read_text()
    assert ask(own.url, sender, "how often?")["answer_id"] == "cd_botox_frequency"  # back, with context


def test_an_address_over_its_rate_limit_gets_429_and_others_do_not(own):
    statuses = [post(own.url, {"sender": uuid.uuid4().hex, "message": "hi"}, "127.0.0.7")[0] for _ in range(45)]
    assert statuses[:40] == [200] * 40 and 429 in statuses  # 40 a minute, refilled while these are sent
    assert post(own.url, {"sender": uuid.uuid4().hex, "message": "hi"}, "127.0.0.8")[0] == 200


def test_logs_do_not_contain_message_text(own):
    """Also when the message fails: with the action server stopped, the error is logged, the text is not. Runs
    alone as well as after the other tests of the module."""
    if own.actions is None or own.actions.poll() is not None:
        own.start_actions()
    if own.rasa is None or own.rasa.poll() is not None:
        own.start_rasa()
    assert post(own.url, {"sender": uuid.uuid4().hex, "message": SECRET})[0] == 200
    own.kill(own.actions)
    try:
        post(own.url, {"sender": uuid.uuid4().hex, "message": SECRET})
    finally:
        own.start_actions()
    own.log.flush()
    log = own.log_path.read_text()
    assert "no reply for conversation" in log and "the action server did not answer" in log  # logged
    assert "zebra-quartz" not in log


def test_only_the_chat_the_widget_and_the_articles_are_public(own):
    assert requests.get(f"{own.url}/webhooks/rest/", timeout=10).status_code == 200
    assert requests.get(f"{own.url}/widget/chat.js", timeout=10).status_code == 200
    for path in ("/status", "/version", "/model", f"/conversations/{uuid.uuid4().hex}/tracker", "/domain"):
        assert requests.get(f"{own.url}{path}", timeout=10).status_code == 404, path
    assert requests.put(f"{own.url}/model", json={"model_file": "/tmp/x"}, timeout=10).status_code in (404, 405)


def listening_addresses(port):
    """The local addresses with a socket listening on `port` (IPv4), from /proc/net/tcp."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            addresses.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return addresses


def test_the_action_server_listens_on_loopback_only(own):
    assert listening_addresses(own.action_port) == {"127.0.0.1"}


# ---- the action server answers only its Rasa server (actions/server.py) ------------------------------------

def test_the_action_server_answers_only_callers_with_the_secret(own):
    call = {"next_action": "action_respond", "sender_id": "x", "tracker": {"sender_id": "x", "slots": {},
            "latest_message": {"text": "I can't breathe"}, "events": [], "paused": False}, "domain": {}}
    url = f"http://127.0.0.1:{own.action_port}/webhook"
    assert requests.post(url, json=call, timeout=10).status_code == 401
    forged = requests.post(url, json=call, headers={"X-Action-Secret": "guess" * 8}, timeout=10)
    assert forged.status_code == 401
    genuine = requests.post(url, json=call, headers={"X-Action-Secret": os.environ["ACTION_SERVER_SECRET"]}, timeout=10)
    assert genuine.status_code == 200
    assert requests.get(f"http://127.0.0.1:{own.action_port}/health", timeout=10).status_code == 200


def test_an_error_in_an_action_reveals_no_patient_text(own):
    # A tracker without its sender id cannot be read.
    call = {"next_action": "action_respond", "sender_id": "x", "tracker": {"slots": {},
            "latest_message": {"text": "my neighbour Ada Lovelace has a headache"}, "events": [], "paused": False},
            "domain": {}}
    headers = {"X-Action-Secret": os.environ["ACTION_SERVER_SECRET"]}
    reply = requests.post(f"http://127.0.0.1:{own.action_port}/webhook", json=call, headers=headers, timeout=10)
    assert reply.status_code == 500 and reply.json() == {"error": "internal error"}
    time.sleep(0.5)
    log = own.log_path.read_text()
    assert "KeyError in POST /webhook" in log and 'File "' in log  # the type and the stack frames
    assert "Lovelace" not in log


def test_the_action_server_refuses_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_SECRET"}
    result = subprocess.run([sys.executable, "-m", "actions.server", "--port", str(free_port())], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "ACTION_SERVER_SECRET" in result.stderr


def test_a_taken_action_port_is_a_clear_error_not_someone_elses_server():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        with pytest.raises(RuntimeError, match="in use"):
            with action_server(squatter.getsockname()[1]):
                pass


def test_only_the_started_process_counts_as_up(tmp_path):
    """Something else answering the health route (without this start's instance token) is refused."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Impostor(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"status": "ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    process = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(RuntimeError, match="something other than"):
            wait_until_up(f"http://127.0.0.1:{server.server_address[1]}/health", process, "action server", 10, "token")
    finally:
        process.kill()
        server.shutdown()


def test_a_server_that_exits_while_starting_is_reported_with_the_end_of_its_log(tmp_path):
    with open(tmp_path / "server.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-c", "import sys; print('loading'); print('why it stopped'); "
                                    "sys.exit(3)"], stdout=log, stderr=subprocess.STDOUT)
        with pytest.raises(RuntimeError, match="(?s)exited with code 3.*why it stopped"):
            wait_until_up(f"http://127.0.0.1:{free_port()}/", process, "Rasa server", 10, log=log)


def test_action_port_holds_end_to_end():
    from scripts.servers import endpoints_for

    written = yaml.safe_load(endpoints_for(5155, ROOT / "endpoints.yml").read_text())
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:5155/webhook"
    assert written["action_endpoint"]["headers"] == {"X-Action-Secret": "${ACTION_SERVER_SECRET}"}
    assert written["tracker_store"]["type"] == "web.tracker_store.SQLiteTrackerStore"


def test_the_conversation_store_is_readable_by_its_owner_only(own):
    post(own.url, {"sender": uuid.uuid4().hex, "message": "what is botox"})
    files = [own.database, *own.database.parent.glob(own.database.name + "-*")]
    assert own.database.exists()
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o600" for f in files}


def test_without_a_staff_password_the_staff_pages_do_not_exist(own):
    for method, path in (("GET", "/staff"), ("POST", "/staff/login"), ("POST", "/staff/logout")):
        assert requests.request(method, own.url + path, data={"password": ""}, timeout=10).status_code == 404, path
