"""The state the Sanic workers of one Rasa server share (web/shared_state.py): conversation locks and rate-limit
buckets in one SQLite file, and the session test server running as `make run` runs, in two workers."""
import multiprocessing
import os
import stat
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from conftest import post
from web.channel import RateLimiter
from web.shared_state import SharedBuckets, SQLiteLockStore


def test_two_workers_take_turns_on_a_conversation_in_ticket_order(tmp_path):
    one, other = SQLiteLockStore(str(tmp_path / "workers.db")), SQLiteLockStore(str(tmp_path / "workers.db"))
    first = one.issue_ticket("c1")
    second = other.issue_ticket("c1")
    assert second == first + 1
    assert not one.get_lock("c1").is_locked(first) and other.get_lock("c1").is_locked(second)
    one.cleanup("c1", first)  # the first message served: the second one's turn, its ticket kept
    assert not other.get_lock("c1").is_locked(second)
    other.cleanup("c1", second)
    assert one.get_lock("c1") is None  # nobody waits: the lock is gone


def test_the_lock_context_of_rasa_serves_one_message_at_a_time(tmp_path):
    import asyncio

    store = SQLiteLockStore(str(tmp_path / "workers.db"))
    order = []

    async def message(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock("c1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    async def both() -> None:
        await asyncio.gather(message("a", 0), message("b", 0.01))

    asyncio.run(both())
    assert order == ["a in", "a out", "b in", "b out"]
    assert store.get_lock("c1") is None


def _issue_many(path: str, count: int, queue) -> None:
    store = SQLiteLockStore(path)
    queue.put([store.issue_ticket("busy", 600) for _ in range(count)])


def test_workers_issuing_tickets_at_once_never_get_the_same_one(tmp_path):
    """Each ticket is read and written in one transaction: processes racing on one conversation get distinct,
    consecutive numbers (reading, then writing, as Rasa's Redis store does, could hand out one twice)."""
    path, processes, count = str(tmp_path / "workers.db"), 4, 50
    SQLiteLockStore(path)  # the schema, before the race
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_issue_many, args=(path, count, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    tickets = [t for _ in workers for t in queue.get(timeout=60)]
    for worker in workers:
        worker.join(30)
    assert sorted(tickets) == list(range(processes * count))


def test_an_expired_ticket_does_not_hold_the_conversation(tmp_path):
    store = SQLiteLockStore(str(tmp_path / "workers.db"))
    store.issue_ticket("c1", lock_lifetime=0.01)  # a worker that died mid-turn
    time.sleep(0.05)
    fresh = store.issue_ticket("c1")
    assert not store.get_lock("c1").is_locked(fresh)  # the dead worker's ticket is gone


def test_the_endpoints_file_names_the_store_and_its_file(tmp_path):
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(type="web.shared_state.SQLiteLockStore", db=str(tmp_path / "locks.db"))
    store = LockStore.create(config)
    assert isinstance(store, SQLiteLockStore)
    store.issue_ticket("c1")
    assert (tmp_path / "locks.db").exists()


def test_the_shared_file_is_readable_by_its_owner_only(tmp_path):
    store = SQLiteLockStore(str(tmp_path / "workers.db"))
    store.issue_ticket("c1")
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_two_workers_share_a_sender_s_rate_limit(tmp_path):
    now = [1000.0]
    workers = [RateLimiter(10, clock=lambda: now[0], shared=SharedBuckets("sender", str(tmp_path / "w.db")))
               for _ in range(2)]
    waits = [workers[n % 2].take("patient") for n in range(12)]
    assert waits[:10] == [0.0] * 10 and all(w > 0 for w in waits[10:])
    assert workers[0].take("someone else") == 0.0
    now[0] += 6  # a message every 6 s refills
    assert workers[1].take("patient") == 0.0 and workers[0].take("patient") > 0


def test_limiters_of_one_file_keep_their_own_buckets_and_refilled_ones_are_dropped(tmp_path):
    now = [1000.0]
    path = str(tmp_path / "w.db")
    sender = RateLimiter(2, clock=lambda: now[0], shared=SharedBuckets("sender", path))
    address = RateLimiter(2, clock=lambda: now[0], shared=SharedBuckets("address", path))
    assert [sender.take("k"), sender.take("k")] == [0.0, 0.0] and sender.take("k") > 0
    assert address.take("k") == 0.0  # the same key in another limiter
    now[0] += 61
    sender.take("other")  # the sweep runs: "k" refilled long ago
    keys = {row[0] for row in SharedBuckets("x", path).shared.connection().execute("SELECT key FROM buckets")}
    assert keys == {"sender\x00other"}


def test_limiters_share_the_file_only_when_the_server_runs_several_workers(monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert RateLimiter.for_workers(30, "sender").shared is None
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert RateLimiter.for_workers(30, "sender").shared is not None


# ---- the session server, served as `make run` serves ------------------------------------------------------
def _children(pid: int) -> list:
    return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
            for c in (t / "children").read_text().split()]


def _workers(pid: int, count: int = 2, seconds: float = 30) -> list:
    """The server's worker processes, once `count` of them run: the server answers as soon as one does, and Sanic
    may start the other a moment later (a CI run once found one right after the first answer)."""
    deadline = time.monotonic() + seconds
    while len(workers := _children(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return workers


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_both_workers_of_the_server_answer_patients(server_url, server_processes):
    """`make run` starts two Sanic workers: both take connections and answer (each one's CPU time grows). The
    session server's other tests run on them too: every request of conftest.post and scripts.evaluate comes on a
    new connection, so a conversation's turns (test_rest_e2e's follow-ups) and a sender's rate limit
    (test_reliability) cross from worker to worker."""
    workers = _children(server_processes[-1].pid)
    assert len(workers) == 2, workers
    before = {pid: _cpu(pid) for pid in workers}
    # CPU time grows in clock ticks of 10 ms: a worker that took a few fast requests may not have used a whole one
    # yet, so rounds of 40 requests go on until both have (at most 10 rounds)
    for _ in range(10):
        senders = [uuid.uuid4().hex for _ in range(20)]
        statuses = Counter(post(server_url, {"sender": s, "message": "what is cervical dystonia?"})[0]
                           for s in senders for _ in range(2))
        assert statuses == {200: 40}
        if all(_cpu(pid) > before[pid] for pid in workers):
            break
    assert all(_cpu(pid) > before[pid] for pid in workers), "a worker answered nothing"



def test_when_one_worker_dies_the_other_answers_and_conversations_go_on(tmp_path):
    """A worker killed (SIGKILL) between turns: new connections go to the other, which has the conversation."""
    import signal

    from conftest import free_port
    from scripts.evaluate import ask
    from scripts.servers import ONE_ADDRESS_ENV, running_servers, sqlite_store, workers_env

    processes: list = []
    conversations = tmp_path / "conversations.db"
    with open(tmp_path / "servers.log", "w") as log, running_servers(
        rasa_port=free_port(), action_port=free_port(), log=log, processes=processes,
        stores=sqlite_store(conversations), env={**ONE_ADDRESS_ENV, **workers_env(conversations, "2")},
    ) as url:
        sender = uuid.uuid4().hex
        assert ask(url, sender, "what is deep brain stimulation?")["kind"] == "answer"
        workers = _workers(processes[-1].pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(0.5)
        statuses = Counter(post(url, {"sender": uuid.uuid4().hex, "message": "hello"})[0] for _ in range(10))
        assert statuses == {200: 10}
        follow = ask(url, sender, "and how does it work?")  # the conversation, from the shared store
        assert follow["kind"] == "answer" and follow["answer_id"] == "cd_dbs_how", follow
