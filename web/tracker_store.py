"""The default conversation store: Rasa's SQL tracker store on an SQLite file, set up for a server.

Named in endpoints.yml (`type: web.tracker_store.SQLiteTrackerStore`), Rasa's extension point for tracker stores.
- Write-ahead logging, synced at checkpoints rather than at every commit: a committed turn survives a crash of
  the server process; only a power cut can lose the last turns. Readers do not wait for the writer.
- Connections kept open in a pool (SQLAlchemy 1.4 opens a new one for every query on a file database).
- Indexes that find a conversation's latest session without reading its earlier ones.
- The database and its -wal and -shm files are readable by their owner only: they hold patients' messages.
PostgreSQL (deploy/endpoints.production.yml) uses Rasa's own `type: SQL`.
"""
import os
import sqlite3
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


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


class SQLiteTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Optional[Domain] = None, db: str = "conversations.db",
                 event_broker: Optional[EventBroker] = None, **kwargs: Any) -> None:
        old_umask = os.umask(0o077)  # a new file is created owner-only, before any patient text is in it
        try:
            super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
            # Rasa's engine (no pool for SQLite files) created the tables; serve from one with a pool and the
            # settings above.
            self.engine.dispose()
            self.engine = sa.create_engine(self.engine.url, poolclass=QueuePool,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", write_ahead_log)
            with self.engine.begin() as connection:  # creates the -wal and -shm files now, under this umask
                self.Base.metadata.create_all(connection)  # already there, but for an in-memory database
                for statement in SESSION_INDEXES:
                    connection.exec_driver_sql(statement)
            self.sessionmaker = sessionmaker(bind=self.engine)
        finally:
            os.umask(old_umask)
        owner_only(db)
