"""Scale-out on PostgreSQL and Redis, with the real servers and the production endpoints file.

Two Rasa replicas (deploy/endpoints.production.yml: conversations in PostgreSQL, conversation locks in Redis)
and two action servers, each pair behind deploy/nginx.conf in Debian's nginx, as in production. Twenty
conversations, each from its own address, go on while the busiest replica is killed; a replica restarted mid-conversation goes on with context; a replica whose
tracker store becomes unreachable answers 503 and recovers. Needs nginx (`make test-deps`), PostgreSQL on 127.0.0.1:5432 (user postgres,
no password) and Redis on 127.0.0.1:6379: skipped without them, failed with REQUIRE_SERVICES=1. A fresh
database and a fresh Redis key prefix are used and removed at the end.
"""
import http.client
import json
import re
import signal
import socket
import statistics
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from types import SimpleNamespace
from typing import Dict, List, Optional

import pytest
import requests

from scripts.evaluate import ask
from scripts.servers import action_server, rasa_server
from scripts.production import (PG, PRODUCTION_ENDPOINTS, enter_together, local_addresses,
                                port_outside_the_ephemeral_range, replica_env)
from tests.conftest import event_counts, free_port, nginx_binary, running_nginx

pytestmark = pytest.mark.servers

TICKET_LOCK_LIFETIME = 10
# (message, expected answer_id). The follow-ups are answered with `clarify` in a new conversation: these
# answers need the conversation's earlier turns. "how often?" goes back to Botox (Prolotherapy has no
# frequency answer), later to the pills.
BEFORE_THE_KILL = [
    ("what is botox used for in cervical dystonia", "cd_botox_what"),
    ("how often?", "cd_botox_frequency"),
    ("can i take pills with it?", "cd_botox_with_pills"),
    ("what is prolotherapy", "ms_prolotherapy_what"),
]
AFTER_THE_KILL = [
    ("where are the injections given?", "ms_prolotherapy_where"),
    ("how long does it take?", "ms_ligament_repair_time"),
    ("how often?", "cd_botox_frequency"),
    ("do they have side effects?", "cd_medication_side_effects"),
]
ON_THE_SURVIVOR = ("how does it work?", "cd_oral_medications")
AFTER_THE_RESTART = ("how often?", "cd_follow_directions")


# ---- PostgreSQL ----------------------------------------------------------------------------------------
class Forwarder:
    """A TCP forwarder to PostgreSQL that can be cut (no new connections, open ones closed) and restored."""

    def __init__(self) -> None:
        self.port, self.listener, self.open = free_port(), None, set()

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port again
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for s in list(self.open):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(PG)
            except OSError:
                return
            self.open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.open.discard(source)
        source.close()


@pytest.fixture(scope="module")
def forwarder():
    forwarder = Forwarder()
    forwarder.start()
    yield forwarder
    with suppress(OSError):
        forwarder.stop()


# ---- the servers ----------------------------------------------------------------------------------------
class Cluster:
    def __init__(self, stack: ExitStack, services, logs, action_url: str) -> None:
        self.stack, self.services, self.logs, self.action_url = stack, services, logs, action_url
        self.replicas: Dict[str, SimpleNamespace] = {}  # by URL
        self.conversations: Dict[str, str] = {}  # the senders of the first test (their addresses), continued later
        self.forwarded: Optional[SimpleNamespace] = None
        self.url, self.error_log = "", None  # nginx's, once the replicas are up

    def replica(self, port: int, db_port: int = PG[1]) -> SimpleNamespace:
        """A Rasa replica on the production endpoints file, its log in `logs`; `start` starts it."""
        env = {
            **replica_env(self.services, f"{self.action_url}/webhook", db_port),
            "TICKET_LOCK_LIFETIME": str(TICKET_LOCK_LIFETIME),
            "RATE_LIMIT_PER_ADDRESS": "100000",  # every test client is 127.0.0.1
        }
        log = self.logs / f"rasa-{port}-{uuid.uuid4().hex[:6]}.log"
        handle = self.stack.enter_context(open(log, "w"))
        return SimpleNamespace(port=port, url=f"http://127.0.0.1:{port}", log=log,
                               server=rasa_server(port, PRODUCTION_ENDPOINTS, log=handle, env=env))

    def start(self, *replicas: SimpleNamespace) -> None:
        for replica, process in zip(replicas, enter_together(self.stack, [r.server for r in replicas])):
            replica.process = process
            self.replicas[replica.url] = replica

    def running(self) -> List[str]:
        return [url for url, r in self.replicas.items() if r.process.poll() is None]

    def end(self, url: str, how: signal.Signals) -> None:
        self.replicas[url].process.send_signal(how)
        self.replicas[url].process.wait(timeout=30)

    def through_forwarder(self, forwarder: Forwarder, port: Optional[int] = None) -> SimpleNamespace:
        """The replica whose tracker store reaches PostgreSQL through `forwarder`, started on first use."""
        if self.forwarded is None:
            self.forwarded = self.replica(port or free_port(), db_port=forwarder.port)
            self.start(self.forwarded)
        return self.forwarded


@pytest.fixture(scope="module")
def cluster(services, tmp_path_factory):
    """Two action servers and two Rasa replicas, each pair behind nginx (deploy/nginx.conf); `cluster.url`. The
    test's copy of the file adds one header, X-Upstream: the replica that answered."""
    nginx_binary()  # skipped (or failed) here without nginx, before any server starts
    logs = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        public, internal = port_outside_the_ephemeral_range(), port_outside_the_ephemeral_range()
        action_ports = [free_port(), free_port()]
        action_logs = [stack.enter_context(open(logs / f"actions-{port}.log", "w")) for port in action_ports]
        cluster = Cluster(stack, services, logs, f"http://127.0.0.1:{internal}")
        replicas = [cluster.replica(free_port()), cluster.replica(free_port())]
        started = time.monotonic()
        enter_together(stack, [action_server(p, log) for p, log in zip(action_ports, action_logs)])
        cluster.start(*replicas)
        print(f"\n2 action servers and 2 Rasa replicas up in {time.monotonic() - started:.0f} s; logs in {logs}")
        nginx = running_nginx(stack, logs, local_addresses([r.port for r in replicas], action_ports, public, internal),
                              extra="add_header X-Upstream $upstream_addr always;")
        cluster.url, cluster.error_log = nginx.url, nginx.error_log
        yield cluster


def turn(url: str, sender: str, text: str, expected: str, address: str = "127.0.0.1") -> dict:
    """One message from `address`; `got` is the answer id, or the error; `upstream` the replica that answered
    through nginx (its X-Upstream header)."""
    started, upstream = time.monotonic(), None
    host, port = url.split("//")[1].split(":")
    try:
        connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(address, 0))
        body = json.dumps({"sender": sender, "message": text})
        connection.request("POST", "/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        upstream, messages = response.getheader("X-Upstream"), json.loads(response.read())
        connection.close()
        assert response.status == 200, response.status
        customs = [m["custom"] for m in messages if "custom" in m and m["custom"]["kind"] != "disclaimer"]
        got = customs[0]["answer_id"]
    except (OSError, ValueError, AssertionError, IndexError) as error:
        got = f"{type(error).__name__}: {error}"
    return {"sender": sender, "text": text, "expected": expected, "got": got, "upstream": upstream,
            "seconds": time.monotonic() - started}


def wrong(turns: List[dict]) -> List[dict]:
    return [t for t in turns if t["got"] != t["expected"]]


# ---- the tests ------------------------------------------------------------------------------------------
def test_conversations_go_on_when_a_replica_is_killed(cluster, services):
    # nginx keeps a client address on one replica (hash $remote_addr): each conversation has its own address.
    conversations = {uuid.uuid4().hex: f"127.0.1.{n}" for n in range(1, 21)}
    replica_of: Dict[str, str] = {}  # sender -> the replica that answered its first turns
    halfway = threading.Barrier(len(conversations) + 1, timeout=180)

    def conversation(sender: str) -> List[dict]:
        address = conversations[sender]
        try:
            turns = [turn(cluster.url, sender, *t, address) for t in BEFORE_THE_KILL]
            replica_of[sender] = f"http://{turns[-1]['upstream']}"
            halfway.wait()
            return turns + [turn(cluster.url, sender, *t, address) for t in AFTER_THE_KILL]
        except BaseException:
            halfway.abort()
            raise

    started = time.monotonic()
    with ThreadPoolExecutor(len(conversations)) as pool:
        futures = [pool.submit(conversation, sender) for sender in conversations]
        try:
            halfway.wait()
        except threading.BrokenBarrierError:
            [future.result() for future in futures]  # raises the conversation's own error
            raise
        victim = Counter(replica_of.values()).most_common(1)[0][0]
        assert victim in cluster.replicas, (victim, list(cluster.replicas))
        # Kill the busiest replica in the middle of turns: once it holds a conversation's lock in Redis. The
        # next turn of that conversation waits until the dead replica's ticket expires (TICKET_LOCK_LIFETIME).
        # That needs the TicketLock fix of web/rasa_patches.py: Rasa 3.6.21 never lets that turn through.
        locks = [f"{services.prefix}:lock:{s}" for s, replica in replica_of.items() if replica == victim]
        deadline = time.monotonic() + 10
        while not services.redis.exists(*locks) and time.monotonic() < deadline:
            time.sleep(0.002)
        cluster.end(victim, signal.SIGKILL)
        orphaned = services.redis.exists(*locks)
        turns = [t for future in futures for t in future.result()]
    seconds = time.monotonic() - started
    (survivor,) = cluster.running()
    last = [turn(survivor, sender, *ON_THE_SURVIVOR) for sender in conversations]
    cluster.conversations = conversations
    victim_port = victim.rsplit(":", 1)[1]
    failed_over = [line for line in cluster.error_log.read_text().splitlines() if f":{victim_port}/" in line]

    latencies = sorted(t["seconds"] for t in turns)
    print(f"\nscale-out: {len(conversations)} conversations, {len(turns)} turns through nginx in {seconds:.1f} s; "
          f"the busiest of 2 replicas ({len(locks)} conversations) SIGKILLed halfway, {orphaned} holding its "
          f"conversation's lock; turn latency median {statistics.median(latencies) * 1000:.0f} ms, max "
          f"{latencies[-1]:.1f} s; {len(failed_over)} requests failed over by nginx; {len(last)} more follow-ups "
          f"on the survivor, max {max(t['seconds'] for t in last) * 1000:.0f} ms")
    assert wrong(turns) == []
    assert wrong(last) == []
    assert failed_over, "nginx sent nothing to the killed replica: the test did not test a failover"
    sent = len(BEFORE_THE_KILL) + len(AFTER_THE_KILL) + 1
    counts = event_counts(services, list(conversations))
    assert {s: c["user"] for s, c in counts.items() if c["user"] != sent} == {}, f"expected {sent} user events"
    assert {s: c["bot"] for s, c in counts.items() if c["bot"] < sent} == {}, f"expected >= {sent} bot events"
    assert services.redis.exists(*[f"{services.prefix}:lock:{s}" for s in conversations]) == 0, "a lock was left"


def test_a_rasa_server_restarted_mid_conversation_continues_with_context_on_postgresql(cluster, forwarder, services):
    sender = uuid.uuid4().hex
    running = cluster.running()
    assert ask(running[0], sender, "what is prolotherapy")["answer_id"] == "ms_prolotherapy_what"
    for url in running:
        cluster.end(url, signal.SIGTERM)
    # A new process at the first replica's address, behind nginx again; its tracker store reaches the
    # same database through the forwarder (used by the next test).
    started = time.monotonic()
    restarted = cluster.through_forwarder(forwarder, port=next(iter(cluster.replicas.values())).port)
    print(f"\nrestart: every replica stopped (SIGTERM), a new one up in {time.monotonic() - started:.0f} s")
    assert ask(restarted.url, sender, "where are the injections given?")["answer_id"] == "ms_prolotherapy_where"
    assert event_counts(services, [sender])[sender]["user"] == 2
    # The first test's conversations go on there too, through nginx, each from its address.
    conversations = cluster.conversations.items()
    assert wrong([turn(cluster.url, s, *AFTER_THE_RESTART, address) for s, address in conversations]) == []


def test_the_tracker_store_unreachable_gives_503_and_the_server_recovers(cluster, forwarder):
    replica = cluster.through_forwarder(forwarder)
    sender = uuid.uuid4().hex

    def post(text: str) -> requests.Response:
        body = {"sender": sender, "message": text}
        return requests.post(f"{replica.url}/webhooks/rest/webhook", json=body, timeout=60)

    assert ask(replica.url, sender, "what is botox used for in cervical dystonia")["answer_id"] == "cd_botox_what"
    forwarder.stop()
    response = post("how often?")
    assert response.status_code == 503
    assert [m["custom"]["kind"] for m in response.json() if "custom" in m] == ["unavailable"]
    assert replica.process.poll() is None
    deadline = time.monotonic() + 10
    while not re.search(r"ERROR.*could not handle a message", replica.log.read_text()):
        assert time.monotonic() < deadline, "no ERROR line about the message in the server's log"
        time.sleep(0.1)
    print("\n" + re.search(r".*ERROR.*could not handle a message.*", replica.log.read_text()).group(0))

    forwarder.start()
    restored, attempts = time.monotonic(), 0
    while True:
        attempts += 1
        response = post("how often?")
        if response.status_code != 503 or time.monotonic() - restored > 10:
            break
        time.sleep(0.2)
    print(f"tracker store restored: answered again at attempt {attempts}, {time.monotonic() - restored:.1f} s later")
    assert response.status_code == 200, f"still {response.status_code} 10 s after the database came back"
    customs = [m["custom"] for m in response.json() if "custom" in m]
    assert [c["answer_id"] for c in customs] == ["cd_botox_frequency"]
