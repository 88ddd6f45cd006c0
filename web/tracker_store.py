"""The conversation stores: Rasa's SQL tracker store on an SQLite file (the default), or on PostgreSQL.

Named in endpoints.yml (`type: web.tracker_store.SQLiteTrackerStore`), Rasa's extension point for tracker stores.
- Write-ahead logging, synced at checkpoints rather than at every commit: a committed turn survives a crash of
  the server process; only a power cut can lose the last turns. Readers do not wait for the writer.
- Connections kept open in a pool (SQLAlchemy 1.4 opens a new one for every query on a file database).
- Indexes that find a conversation's latest session without reading its earlier ones.
- A turn reads the latest session and writes its new events with one SQL statement each, where Rasa's ORM
  built queries, counted and flushed object by object: loading and saving took 8.5 ms of the Rasa server a
  message under 32 clients before, 3.0 ms after (py-spy, 2026-12-02; BENCHMARKS.md). What is stored, and what
  is read back, is the same.
- The database and its -wal and -shm files are readable by their owner only: they hold patients' messages.
PostgreSQL (deploy/endpoints.production.yml) uses `SessionSQLTrackerStore`: the same indexes and statements on
Rasa's SQL store, without the SQLite settings.
"""
import os
import sqlite3
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from web import fastjson


def write_ahead_log(connection: sqlite3.Connection, _record: Any) -> None:
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


def owner_only(database: str) -> None:
    """The database, with its -wal and -shm files, readable and writable by its owner only."""
    for path in (database, f"{database}-wal", f"{database}-shm"):
        if os.path.exists(path):
            os.chmod(path, 0o600)


# Every turn Rasa finds the conversation's latest session start, then the events since it: with these indexes
# both are look-ups, not scans of every event the conversation ever had (Rasa indexes `sender_id` alone).
SESSION_INDEXES = (
    "CREATE INDEX IF NOT EXISTS events_session_starts ON events (sender_id, type_name, timestamp)",
    "CREATE INDEX IF NOT EXISTS events_by_time ON events (sender_id, timestamp)",
)

# Any fixed number, the same for every replica: the PostgreSQL advisory lock that serialises creating the schema.
SCHEMA_LOCK = 7340221

# The events of the latest session (all of them when there is no session start yet), as Rasa's
# SQLTrackerStore._event_query selects them; `{what}` is `data` or `COUNT(*)`.
LATEST_SESSION = (
    "SELECT {what} FROM events WHERE sender_id = :sender AND timestamp >= COALESCE((SELECT MAX(timestamp) "
    f"FROM events WHERE sender_id = :sender AND type_name = '{SessionStarted.type_name}'), 0)"
)
LATEST_SESSION_EVENTS = sa.text(LATEST_SESSION.format(what="data") + " ORDER BY id")
LATEST_SESSION_COUNT = sa.text(LATEST_SESSION.format(what="COUNT(*)"))
ALL_EVENTS = sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id")


class SessionSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (any dialect: PostgreSQL in production), with the session indexes and a turn's
    reads and writes in one statement each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.create_indexes()

    def create_indexes(self) -> None:
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Replicas starting together on a new database would race to create the same index, and all but
                # one fail on PostgreSQL's catalogue (UniqueViolation, "IF NOT EXISTS" notwithstanding): one at a
                # time, the others wait for this transaction to end.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            self.Base.metadata.create_all(connection)  # Rasa made them, but not in an in-memory database
            for statement in SESSION_INDEXES:
                connection.exec_driver_sql(statement)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        query = ALL_EVENTS if fetch_events_from_all_sessions else LATEST_SESSION_EVENTS
        with self.engine.connect() as connection:
            events = [fastjson.loads(data) for (data,) in connection.execute(query, {"sender": sender_id})]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """The tracker's events that are not stored yet: those after as many as the latest session has."""
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(LATEST_SESSION_COUNT, {"sender": tracker.sender_id}).scalar()
            rows = [self._row(tracker.sender_id, event) for event in list(tracker.events)[stored:]]
            if rows:
                connection.execute(self.SQLEvent.__table__.insert(), rows)

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict:
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                "action_name": data.get("name"), "data": fastjson.dumps(data)}


class SQLiteTrackerStore(SessionSQLTrackerStore):
    def __init__(self, domain: Optional[Domain] = None, db: str = "conversations.db",
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        old_umask = os.umask(0o077)  # a new file is created owner-only, before any patient text is in it
        try:
            SQLTrackerStore.__init__(self, domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
            # Rasa's engine (no pool for SQLite files) created the tables; serve from one with a pool and the
            # settings above.
            self.engine.dispose()
            self.engine = sa.create_engine(self.engine.url, poolclass=QueuePool,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", write_ahead_log)
            self.create_indexes()  # creates the -wal and -shm files now, under this umask
            self.sessionmaker = sessionmaker(bind=self.engine)
        finally:
            os.umask(old_umask)
        owner_only(db)
