"""What the Sanic workers of one Rasa server share, in an SQLite file (WORKERS_DB, default `workers.db` in the
working folder): the conversations' ticket locks and the chat channel's rate-limit buckets.

`make run` starts SANIC_WORKERS (default 2) processes of the Rasa server, so that both cores of a small machine
serve patients. Rasa lets several workers run only with a lock store they share, and has one only on Redis;
`SQLiteLockStore` is that store for a machine without Redis (endpoints.yml names it). Each change of a lock is
one transaction (`BEGIN IMMEDIATE`), so two workers can never be handed the same ticket, which Rasa's Redis
store, reading and then writing, does not rule out. Without rate limits in common, a client whose connections
land on both workers could send twice its limit: `SharedBuckets` keeps them here too.

The file holds conversation ids and addresses for at most a minute or a lock's lifetime; it is readable by its
owner only, like the conversation store. Writes are not synced to disk: after a crash, nothing in it matters.
"""
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

DEFAULT_FILE = "workers.db"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS buckets_by_time ON buckets (at)",
)


def workers_db() -> str:
    return os.environ.get("WORKERS_DB", DEFAULT_FILE)


class SharedFile:
    """One connection per process (and thread) to the shared file, opened on first use: Sanic forks its
    workers, and a connection must not cross a fork."""

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path or workers_db()
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        owner = (os.getpid(), threading.get_ident())
        if getattr(self._local, "owner", None) != owner:
            fresh = not os.path.exists(self.path)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)  # transactions by hand
            if fresh:
                os.chmod(self.path, 0o600)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            for statement in SCHEMA:
                connection.execute(statement)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.chmod(self.path + suffix, 0o600)
            self._local.connection, self._local.owner = connection, owner
        return self._local.connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """`with shared.transaction() as db:` runs its statements as one write transaction."""
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")  # the write lock first: no other worker reads in between
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


class SQLiteLockStore(LockStore):
    """Rasa's ticket locks (rasa.core.lock.TicketLock) in the shared file. Named in endpoints.yml as
    `type: web.shared_state.SQLiteLockStore` (optional `db`: the file, default WORKERS_DB)."""

    def __init__(self, db: Optional[Text] = None, endpoint_config: Optional[EndpointConfig] = None) -> None:
        self.shared = SharedFile(db or (endpoint_config.kwargs.get("db") if endpoint_config else None))
        self.shared.connection()  # a file that cannot be opened stops the server at start, not at a message
        super().__init__()

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return self._read(self.shared.connection(), conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self._delete(self.shared.connection(), conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self._write(self.shared.connection(), lock)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self.shared.transaction() as db:
                lock = self._read(db, conversation_id) or self.create_lock(conversation_id)
                ticket = lock.issue_ticket(lock_lifetime)
                self._write(db, lock)
                return ticket
        except sqlite3.Error as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        with self.shared.transaction() as db:
            lock = self._read(db, conversation_id)
            if lock:
                lock.remove_expired_tickets()
                self._write(db, lock)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """The ticket served: gone, and the lock with it unless another message of the conversation waits."""
        with self.shared.transaction() as db:
            lock = self._read(db, conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self._write(db, lock)
            else:
                self._delete(db, conversation_id)

    @staticmethod
    def _read(db: sqlite3.Connection, conversation_id: Text) -> Optional[TicketLock]:
        row = db.execute("SELECT lock FROM locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    @staticmethod
    def _delete(db: sqlite3.Connection, conversation_id: Text) -> None:
        db.execute("DELETE FROM locks WHERE conversation_id = ?", (conversation_id,))

    @staticmethod
    def _write(db: sqlite3.Connection, lock: TicketLock) -> None:
        db.execute("INSERT INTO locks (conversation_id, lock) VALUES (?, ?) ON CONFLICT (conversation_id) "
                   "DO UPDATE SET lock = excluded.lock", (lock.conversation_id, lock.dumps()))


class SharedBuckets:
    """The token buckets of web.channel.RateLimiter, kept in the shared file: `update(key, change)` reads a
    key's bucket and writes what `change` makes of it, in one transaction. Buckets are (tokens, time) with
    time.monotonic(), which is one clock for every process of the machine."""

    def __init__(self, name: str, path: Optional[str] = None) -> None:
        self.name = name  # one file serves several limiters: "sender", "address", "staff login"
        self.shared = SharedFile(path)

    def update(self, key: str, change) -> float:
        with self.shared.transaction() as db:
            row = db.execute("SELECT tokens, at FROM buckets WHERE key = ?", (self._key(key),)).fetchone()
            bucket, wait = change(row)
            db.execute("INSERT INTO buckets (key, tokens, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                       "tokens = excluded.tokens, at = excluded.at", (self._key(key), *bucket))
            return wait

    def sweep(self, older_than: float) -> None:
        """Drop the buckets last touched before `older_than`: they have refilled."""
        self.shared.connection().execute("DELETE FROM buckets WHERE at < ?", (older_than,))

    def _key(self, key: str) -> str:
        return f"{self.name}\x00{key}"

