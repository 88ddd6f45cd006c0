"""The changes to Rasa (web/rasa_patches.py): validation checks exactly what Rasa checks; store errors are
raised; the action timeout is short; the classifier and the event look-up give what Rasa gives, faster.
The changes are installed for this module's tests only and undone after them. The SQLite store, which is a
tracker store class rather than a change, is tested here too (web/tracker_store.py)."""
import numpy as np
import pytest
import sqlalchemy as sa
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from web import rasa_patches, tracker_store


@pytest.fixture(scope="module")
def action():
    with pytest.MonkeyPatch.context() as patch:
        assert rasa_patches.apply(patch.setattr)
        yield RemoteAction("action_respond", None)


def test_the_changes_are_undone_after_the_tests_that_install_them():
    from inspect import getattr_static

    before = [getattr_static(owner, name) for owner, name, _ in rasa_patches.CHANGES]
    with pytest.MonkeyPatch.context() as patch:
        rasa_patches.apply(patch.setattr)
        assert [getattr_static(owner, name) for owner, name, _ in rasa_patches.CHANGES] == [
            value for _, _, value in rasa_patches.CHANGES]
    assert [getattr_static(owner, name) for owner, name, _ in rasa_patches.CHANGES] == before


def test_a_valid_response_passes(action):
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi", "custom": {"kind": "x"}}]})


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"responses": [1]}, {"events": [{"event": 3}]}])
def test_an_invalid_response_fails_like_rasa(action, bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)


def test_the_fast_check_of_a_response_agrees_with_the_full_schema(action):
    """Every event type Rasa knows, as its own as_dict() writes it, and broken variants: the per-type check
    accepts exactly what jsonschema accepts with Rasa's whole response schema."""
    from rasa.shared.core.events import (
        ActionExecuted, ActiveLoop, AllSlotsReset, BotUttered, EntitiesAdded, Restarted, SessionStarted, SlotSet,
        UserUttered)

    action._validate_action_result({"events": []})  # builds the validators
    full = rasa_patches._validators[0]
    events = [e.as_dict() for e in (
        UserUttered("hi", {"name": "ask", "confidence": 0.9}, [{"entity": "drug", "value": "baclofen"}]),
        ActionExecuted("action_respond"), SlotSet("topic", ["botox"]), EntitiesAdded([{"entity": "a", "value": 1}]),
        BotUttered("hello", {"custom": {"kind": "answer"}}), SessionStarted(), Restarted(), ActiveLoop(None),
        AllSlotsReset())]
    broken = [{"event": "slot", "value": 1}, {"event": "no such event"}, {"event": "user", "text": 3},
              {"name": "x"}, {"event": "entities", "entities": [{"entity": "a"}]}, "not an event",
              {"event": "action", "confidence": "high"}, {"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]
    responses = [{"events": events, "responses": [{"text": "hi"}]}, {}, {"responses": [1]}, {"events": "x"}, [],
                 {"events": events, "responses": "x"}] + [{"events": events + [bad]} for bad in broken]
    agree = [rasa_patches._valid_fast(r) == full.is_valid(r) for r in responses]
    assert all(agree) and sum(full.is_valid(r) for r in responses) == 2, agree


def test_a_tracker_store_error_is_not_hidden_by_an_in_memory_fallback(action):
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(Domain.empty(), db=":memory:")
    assert Agent._create_tracker_store(store, Domain.empty()) is store
    assert not isinstance(Agent._create_tracker_store(None, Domain.empty()), FailSafeTrackerStore)


def test_the_action_server_is_given_seconds_not_minutes(action):
    from rasa.core.actions import action as rasa_action

    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == rasa_patches.ACTION_TIMEOUT == 3


def test_a_tracker_store_class_that_cannot_be_imported_stops_the_server(action):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    with pytest.raises((ImportError, AttributeError)):
        TrackerStore.create(EndpointConfig(type="web.no_such_module.Store"), Domain.empty())


def test_the_sqlite_store_logs_ahead_pools_its_connections_and_keeps_conversations(tmp_path):
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.pool import QueuePool

    from web.tracker_store import SQLiteTrackerStore

    store = SQLiteTrackerStore(Domain.empty(), db=str(tmp_path / "c.db"))
    assert isinstance(store.engine.pool, QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        # A turn's look-up of the latest session start reads an index, not every event of the conversation.
        plan = " ".join(str(row) for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events WHERE sender_id = 'x' AND type_name = 'session_started'"))
        assert "COVERING INDEX events_session_starts" in plan, plan
    asyncio.run(store.save(DialogueStateTracker.from_events("patient", [UserUttered("hello")])))
    again = SQLiteTrackerStore(Domain.empty(), db=str(tmp_path / "c.db"))
    tracker = asyncio.run(again.retrieve("patient"))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hello"]


def _stores(kind: str, tmp_path, stack) -> tuple:
    """(ours, Rasa's SQLTrackerStore) on one database: an SQLite file, or a fresh PostgreSQL database."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from tests.conftest import fresh_postgres_database
    from web.tracker_store import SessionSQLTrackerStore, SQLiteTrackerStore

    if kind == "sqlite":
        db = str(tmp_path / "c.db")
        stores = SQLiteTrackerStore(Domain.empty(), db=db), SQLTrackerStore(Domain.empty(), db=db)
    else:
        where = dict(dialect="postgresql", host="127.0.0.1", port=5432, username="postgres",
                     db=stack.enter_context(fresh_postgres_database()))
        stores = SessionSQLTrackerStore(Domain.empty(), **where), SQLTrackerStore(Domain.empty(), **where)
    for store in stores:
        stack.callback(store.engine.dispose)  # before the database is dropped
    return stores


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_our_sql_stores_read_and_write_what_rasa_s_sql_store_does(kind, tmp_path):
    """Turns saved alternately by ours and by Rasa's SQLTrackerStore on one database, across three sessions:
    each reads back the same latest session and the same whole conversation, and nothing is stored twice. The
    latest session is found through the session indexes."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        ours, rasas = _stores(kind, tmp_path, stack)
        _alternate_turns(ours, rasas, kind)


def _alternate_turns(ours, rasas, kind: str) -> None:
    import asyncio

    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    async def conversation():
        for turn in range(9):
            writer = ours if turn % 2 else rasas
            tracker = await writer.get_or_create_tracker("patient")  # the latest session only, as Rasa works
            if turn % 3 == 0:
                tracker.update(SessionStarted())
            tracker.update(UserUttered(f"question {turn}", {"name": "ask", "confidence": 1.0}))
            tracker.update(ActionExecuted("action_respond"))
            tracker.update(BotUttered(f"answer {turn}"))
            await writer.save(tracker)
            for read in ("retrieve", "retrieve_full_tracker"):
                mine, theirs = await getattr(ours, read)("patient"), await getattr(rasas, read)("patient")
                assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events]
        return await ours.retrieve("patient"), await ours.retrieve_full_tracker("patient")

    latest, whole = asyncio.run(conversation())
    texts = [e.text for e in whole.events if isinstance(e, UserUttered)]
    assert texts == [f"question {turn}" for turn in range(9)]
    assert [e.text for e in latest.events if isinstance(e, UserUttered)] == texts[6:]
    assert asyncio.run(ours.retrieve("nobody")) is None
    with ours.engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT intent_name, action_name FROM events WHERE type_name = 'user' ORDER BY id DESC")).first()
        assert tuple(row) == ("ask", None)
        if kind == "sqlite":
            plan = " ".join(str(r) for r in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(tracker_store.LATEST_SESSION_EVENTS), {"sender": "x"}))
            assert "events_by_time" in plan and "events_session_starts" in plan, plan
        else:
            indexes = set(connection.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")).scalars())
            assert {"events_by_time", "events_session_starts"} <= indexes, indexes


def test_the_default_endpoints_name_the_sqlite_store(monkeypatch):
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.domain import Domain

    from tests.conftest import ROOT
    from web.tracker_store import SQLiteTrackerStore

    monkeypatch.setenv("ACTION_SERVER_SECRET", "x")  # the action endpoint's header reads it
    config = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml")).tracker_store
    assert config.type == "web.tracker_store.SQLiteTrackerStore" and config.kwargs["db"] == "conversations.db"
    config.kwargs["db"] = ":memory:"
    assert isinstance(TrackerStore.create(config, Domain.empty()), SQLiteTrackerStore)


async def test_a_conversation_locked_by_a_dead_replica_is_handed_on_when_its_ticket_expires(action):
    """Rasa 3.6.21 waits for ever when the waiter's own ticket expires together with the dead one's."""
    import asyncio

    from rasa.core.lock_store import InMemoryLockStore

    async def take_the_lock():
        async with store.lock("conversation", lock_lifetime=0.3, wait_time_in_seconds=0.05):
            pass

    store = InMemoryLockStore()
    store.issue_ticket("conversation", 0.3)  # a replica took the lock and died
    await asyncio.wait_for(take_the_lock(), timeout=3)


def test_the_classifier_keeps_its_weights_in_fortran_order_with_the_same_probabilities(action):
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from scipy.sparse import random as sparse_random
    from sklearn.linear_model import LogisticRegression

    X = sparse_random(60, 400, density=0.05, format="csr", random_state=0)
    clf = LogisticRegression(max_iter=200).fit(X, np.arange(60) % 4)
    expected = clf.predict_proba(X)
    component = LogisticRegressionClassifier.__new__(LogisticRegressionClassifier)
    component.clf = clf
    component._create_X = lambda messages: X  # the features Rasa would build for these messages
    component.component_config = {"ranking_length": 4}
    component.process([])  # no messages to write a ranking into: the weights are what is checked
    assert clf.coef_.flags.f_contiguous
    assert np.allclose(clf.predict_proba(X), expected)


def test_events_are_resolved_to_the_classes_rasa_resolves(action):
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is rasa_patches._rasa_resolve_by_type(cls.type_name)
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError):
        Event.resolve_by_type("no such event")


def _small_graph_runner(calls: list):
    """A DaskGraphRunner over three nodes (a needs the input; b needs a and the input; c needs nothing and is
    not a target), with plain functions in place of Rasa's GraphNodes."""
    from types import SimpleNamespace

    from rasa.engine.runner.dask import DaskGraphRunner

    def node(name, fail=False):
        def run(*needs):
            calls.append(name)
            if fail:
                raise RuntimeError("broken component")
            return name, [value for _, value in needs]
        return run

    nodes = {"a": {"message": "__message__"}, "b": {"x": "a", "message": "__message__"}, "c": {}}
    schema = SimpleNamespace(target_names=["b", "a"], nodes={n: SimpleNamespace(needs=needs) for n, needs in nodes.items()})
    schema.minimal_graph_schema = lambda targets: SimpleNamespace(
        nodes={n: schema.nodes[n] for n in ("a", "b")})  # what b and a need
    runner = DaskGraphRunner.__new__(DaskGraphRunner)
    runner._graph_schema, runner._execution_context = schema, None
    runner._instantiated_nodes = {"a": node("a"), "b": node("b"), "c": node("c", fail=True)}
    return runner


def test_the_graph_runs_without_dask_to_the_same_results(action):
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    ours, rasas = [], []
    expected = rasa_patches._rasa_run_graph(_small_graph_runner(rasas), {"__message__": "hi"})
    assert DaskGraphRunner.run is rasa_patches._run_graph
    assert _small_graph_runner(ours).run({"__message__": "hi"}) == expected == {"a": ["hi"], "b": [["hi"], "hi"]}
    assert sorted(ours) == sorted(rasas) == ["a", "b"]  # each node once; c is not needed
    broken = _small_graph_runner([])
    broken._instantiated_nodes["a"] = broken._instantiated_nodes["c"]
    with pytest.raises(GraphRunError):
        broken.run({"__message__": "hi"})
    with pytest.raises(GraphRunError):
        rasa_patches._rasa_run_graph(broken, {"__message__": "hi"})


def test_the_graph_of_a_set_of_targets_is_built_once_per_runner():
    """Rasa worked out each run's minimal graph anew (walking every node's needs, recursively): 5.5% of the
    server's time under load. The second run reuses the first one's graph, with its own inputs."""
    calls = []
    runner = _small_graph_runner(calls)
    schemas = []
    minimal = runner._graph_schema.minimal_graph_schema
    runner._graph_schema.minimal_graph_schema = lambda targets: schemas.append(targets) or minimal(targets)
    assert runner.run({"__message__": "hi"}) == {"a": ["hi"], "b": [["hi"], "hi"]}
    assert runner.run({"__message__": "bye"}) == {"a": ["bye"], "b": [["bye"], "bye"]}
    assert runner.run({"__message__": "bye"}, targets=["a"]) == {"a": ["bye"]}
    assert schemas == [["b", "a"], ["a"]]  # once for each set of targets


def test_the_classifier_s_rows_are_built_as_rasa_builds_them():
    """Rasa joins every sparse and dense feature of a message, sequence ones included, copy by copy, then keeps
    the sentence ones; the rows are now joined from the sentence features in one step: the same matrix."""
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    def message(dense: bool = True) -> Message:
        rng = np.random.default_rng(7)
        features = [
            Features(scipy.sparse.coo_matrix(rng.integers(0, 2, (3, 4))), "sequence", "text", "words"),
            Features(scipy.sparse.coo_matrix(rng.integers(0, 3, (1, 4))), "sentence", "text", "words"),
            Features(scipy.sparse.coo_matrix(rng.integers(0, 2, (1, 5))), "sentence", "intent", "words"),
            Features(scipy.sparse.coo_matrix(rng.random((1, 2))), "sentence", "text", "chars"),
        ]
        if dense:
            features += [Features(rng.random((3, 3)).astype(np.float32), "sequence", "text", "vectors"),
                         Features(rng.random((1, 3)).astype(np.float32), "sentence", "text", "vectors")]
        return Message(data={"text": "how often"}, features=features)

    for messages in ([message()], [message(), message()], [message(dense=False)]):
        ours, rasas = rasa_patches._create_x(None, messages), rasa_patches._rasa_create_x(None, messages)
        assert ours.shape == rasas.shape and ours.dtype == rasas.dtype and (ours != rasas).nnz == 0


def test_whether_a_domain_is_empty_is_worked_out_once_per_domain(monkeypatch):
    """Rasa serialised the domain and a newly built empty one to compare them before every parse was logged
    (0.5 ms a message); the answer is now kept per domain, and is Rasa's answer."""
    from rasa.shared.core.domain import Domain

    serialised = []
    as_dict = Domain.as_dict
    monkeypatch.setattr(Domain, "as_dict", lambda self: serialised.append(self) or as_dict(self))
    full, empty = Domain.from_dict({"intents": ["greet"], "responses": {"utter_hi": [{"text": "hi"}]}}), Domain.empty()
    assert [rasa_patches._rasa_is_empty(d) for d in (full, empty)] == [False, True]
    serialised.clear()
    for _ in range(3):
        assert [rasa_patches._is_empty(d) for d in (full, empty)] == [False, True]
    assert [sum(d is domain for d in serialised) for domain in (full, empty)] == [1, 1]  # once each, not thrice


async def test_requests_to_an_endpoint_share_a_kept_connection_and_survive_a_restart(action):
    """Rasa opened a new connection to the action server for every request (a TCP handshake and a new HTTP
    connection on both sides, every message). Requests now reuse one; a server that went away and came back
    is reached again on a new connection, not a dead one."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from tests.conftest import free_port

    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": []})

    async def serve(port):
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    server = await serve(port)
    for _ in range(3):
        assert await endpoint.request(json={"next_action": "action_respond"}, method="post") == {
            "events": [], "responses": []}
    assert len(peers) == 3 and len(set(peers)) == 1  # one connection for all three
    await server.cleanup()  # the action server restarts
    server = await serve(port)
    assert await endpoint.request(json={}, method="post") == {"events": [], "responses": []}
    assert len(set(peers)) == 2
    await server.cleanup()


def test_the_sqlite_store_s_files_are_readable_by_their_owner_only(tmp_path):
    from rasa.shared.core.domain import Domain

    from web.tracker_store import SQLiteTrackerStore

    older = tmp_path / "older.db"
    older.write_bytes(b"")
    older.chmod(0o644)
    for database in (tmp_path / "new.db", older):
        SQLiteTrackerStore(Domain.empty(), db=str(database))
        files = [database, *tmp_path.glob(database.name + "-*")]
        assert len(files) == 3  # the database, its -wal and its -shm
        assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}, database


def test_another_rasa_version_is_refused_not_run_unpatched(monkeypatch):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    with pytest.raises(RuntimeError, match="3.6.21"):
        rasa_patches.apply()


def test_every_rasa_process_we_start_runs_patched():
    """The servers, `make shell` and `rasa test` start Rasa through web/rasa_main.py, which installs the
    changes first."""
    import subprocess
    import sys

    from scripts import servers
    from tests import test_rasa
    from tests.conftest import ROOT

    assert servers.RASA[1:] == ["-m", "web.rasa_main"] and test_rasa.RASA[1:] == ["-m", "web.rasa_main"]
    probe = ("import runpy, sys; sys.argv = ['rasa', '--version']; import web.rasa_main; "
             "from rasa.core.actions import action; print('timeout', action.DEFAULT_REQUEST_TIMEOUT)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "timeout 3" in result.stdout, result.stderr[-2000:]


def _open_store_when_all_are_ready(db: str, ready, outcomes) -> None:
    from web.tracker_store import SessionSQLTrackerStore

    ready.wait()
    try:
        store = SessionSQLTrackerStore(dialect="postgresql", host="127.0.0.1", port=5432, username="postgres", db=db)
        store.engine.dispose()
        outcomes.put("ok")
    except Exception as error:  # noqa: BLE001 - what failed is the test's message
        outcomes.put(f"{type(error).__name__}: {error}"[:300])


def test_replicas_starting_together_on_a_new_database_all_open_it():
    """Without the schema lock, 4 stores opened at once on a new PostgreSQL database failed in half the rounds
    (UniqueViolation on the session index: the nginx replicas that exited while starting in CI, 2026-12-03)."""
    import multiprocessing

    from tests.conftest import fresh_postgres_database

    processes_per_round, rounds = 4, 4
    context = multiprocessing.get_context("fork")
    for _ in range(rounds):
        with fresh_postgres_database() as db:
            ready, outcomes = context.Barrier(processes_per_round), context.Queue()
            workers = [context.Process(target=_open_store_when_all_are_ready, args=(db, ready, outcomes))
                       for _ in range(processes_per_round)]
            for worker in workers:
                worker.start()
            results = [outcomes.get(timeout=120) for _ in workers]
            for worker in workers:
                worker.join(timeout=30)
            assert results == ["ok"] * processes_per_round


def test_fast_json_reads_and_writes_what_the_standard_library_does():
    """web/fastjson.py: orjson where it can, the standard library where orjson refuses (NaN in stored JSON, an
    object orjson does not know); the same values either way."""
    import json

    from web import fastjson

    event = {"event": "user", "text": "how often — botox?", "parse_data": {"intent": {"confidence": np.float32(0.5)}},
             "timestamp": 1733300000.25, 3: None}
    assert json.loads(fastjson.dumps(event)) == json.loads(json.dumps({**event, "parse_data": {"intent": {"confidence": 0.5}}}))
    assert fastjson.loads(json.dumps(event, default=float)) == json.loads(json.dumps(event, default=float))
    assert fastjson.loads('{"confidence": NaN}')["confidence"] != fastjson.loads('{"confidence": NaN}')["confidence"]
    with pytest.raises(TypeError):
        fastjson.dumps({"not json": object()})


async def test_the_tracker_goes_to_the_action_server_as_fast_json(action):
    """The kept session to the action server writes request bodies with web/fastjson.py (the tracker, every turn)."""
    from rasa.utils.endpoints import EndpointConfig

    from web import fastjson

    async with EndpointConfig("http://127.0.0.1:9/webhook").session() as session:
        assert session._json_serialize is fastjson.dumps
