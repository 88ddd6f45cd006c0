"""The changes to Rasa (web/rasa_patches.py): validation checks exactly what Rasa checks; store errors are
raised; the action timeout is short; the classifier and the event look-up give what Rasa gives, faster.
The changes are installed for this module's tests only and undone after them. The SQLite store, which is a
tracker store class rather than a change, is tested here too (web/tracker_store.py)."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from web import rasa_patches


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
