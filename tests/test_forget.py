"""`make forget`: conversations older than the retention period are deleted, newer ones kept (SQLite and PostgreSQL)."""
import asyncio
import time

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from scripts import forget_conversations
from web import feedback

DAY = 24 * 3600


def conversation(sender: str, *days_ago: float) -> DialogueStateTracker:
    now = time.time()
    events = []
    for age in days_ago:
        stamp = now - age * DAY
        events += [UserUttered("hello", timestamp=stamp), ActionExecuted("action_respond", timestamp=stamp),
                   BotUttered("hi", timestamp=stamp), ActionExecuted("action_listen", timestamp=stamp)]
    return DialogueStateTracker.from_events(sender, events)


@pytest.fixture(params=["sqlite", "postgresql"])
def endpoints(request, tmp_path):
    if request.param == "sqlite":
        store = {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "conversations.db")}
    else:
        store = {"type": "SQL", "dialect": "postgresql", "url": "127.0.0.1", "port": 5432,
                 "db": request.getfixturevalue("postgres_db"), "username": "postgres"}
    path = tmp_path / "endpoints.yml"
    path.write_text(yaml.safe_dump({"tracker_store": store}))
    return path, store


def test_old_conversations_are_deleted_and_recent_ones_kept(endpoints, capsys):
    path, config = endpoints
    store = SQLTrackerStore(Domain.empty(), **{k: v for k, v in config.items() if k != "type"})
    for tracker in [conversation("old", 45, 40), conversation("recent", 2), conversation("came-back", 90, 29),
                    conversation("just-over", 30.01)]:
        asyncio.run(store.save(tracker))

    feedback.create_table(store.engine)
    feedback.record(store.engine, "old", "cd_botox_what", False, "it did not say how long it lasts", ["cd-1"])
    feedback.record(store.engine, "recent", "cd_botox_what", True, None, ["cd-1"])
    assert forget_conversations.main(["--days", "30", "--endpoints", str(path)]) == 0

    assert "Deleted 2 conversations (12 events) older than 30 days." in capsys.readouterr().out
    # The old conversation's vote and its reason went with it (the staff report shows reasons).
    assert [(v["sender_id"], v["helpful"]) for v in feedback.since(store.engine, 0)] == [("recent", True)]
    assert sorted(asyncio.run(store.keys())) == ["came-back", "recent"]
    assert len(asyncio.run(store.retrieve_full_tracker("came-back")).events) == 8
    assert forget_conversations.main(["--days", "30", "--endpoints", str(path)]) == 0
    assert "Deleted 0 conversations" in capsys.readouterr().out
    store.engine.dispose()


def test_a_store_that_is_not_sql_is_refused(tmp_path, capsys):
    path = tmp_path / "endpoints.yml"
    path.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    assert forget_conversations.main(["--endpoints", str(path)]) == 2
    assert "names no SQL tracker store" in capsys.readouterr().err
