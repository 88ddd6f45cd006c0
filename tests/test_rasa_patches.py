"""The changes to Rasa (web/rasa_patches.py): validation checks exactly what Rasa checks; store errors are
raised; the action timeout is short; SQLite keeps its connections and logs ahead; the classifier and the
event look-up give what Rasa gives, faster."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from web import rasa_patches


@pytest.fixture(scope="module")
def action():
    assert rasa_patches.apply()
    return RemoteAction("action_respond", None)


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


def test_sqlite_keeps_its_connections_and_postgresql_keeps_rasas_pool_settings(action, monkeypatch):
    from rasa.core import tracker_store
    from sqlalchemy.pool import QueuePool

    assert tracker_store.create_engine_kwargs("sqlite:///conversations.db")["poolclass"] is QueuePool
    monkeypatch.setenv("SQL_POOL_SIZE", "5")
    assert tracker_store.create_engine_kwargs("postgresql://u@db/rasa")["pool_size"] == 5


def test_sqlite_uses_write_ahead_logging(action, tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    store = SQLTrackerStore(Domain.empty(), db=str(tmp_path / "c.db"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


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


def test_an_older_sqlite_store_is_made_readable_by_its_owner_only(tmp_path):
    from web.rasa_patches import _engine_kwargs

    database = tmp_path / "conversations.db"
    for path in (database, tmp_path / "conversations.db-wal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    _engine_kwargs(f"sqlite:///{database}")
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "conversations.db-wal").stat().st_mode & 0o777) == "0o600"


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
