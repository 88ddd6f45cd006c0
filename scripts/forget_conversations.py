"""Delete conversations older than a number of days from the tracker store: `make forget` (DAYS=30).

A conversation is old when its latest event is older than the cut-off; all its events go, and with them its
"Was this helpful?" votes and their reasons (web/feedback.py), which the staff report shows. The store is the
one the Rasa server uses, read from the same endpoints file (ENDPOINTS, default endpoints.yml), so the
command works on SQLite and on PostgreSQL alike. Run it daily, e.g. from cron or a Kubernetes CronJob.
"""
import argparse
import os
import sys
import time
import warnings
from typing import List, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints

from web import feedback

DEFAULT_DAYS = 30


def forget(store: SQLTrackerStore, days: float, now: Optional[float] = None) -> Tuple[int, int]:
    """Delete every conversation whose latest event is more than `days` old: (conversations, events) deleted."""
    cutoff = (now if now is not None else time.time()) - days * 24 * 3600
    events = store.SQLEvent.__table__
    old = sa.select(events.c.sender_id).group_by(events.c.sender_id).having(sa.func.max(events.c.timestamp) < cutoff)
    feedback.create_table(store.engine)
    with store.engine.begin() as connection:  # one transaction: the same conversations are counted and deleted
        conversations = connection.execute(sa.select(sa.func.count()).select_from(old.subquery())).scalar()
        feedback.forget(connection, old)
        deleted = connection.execute(events.delete().where(events.c.sender_id.in_(old))).rowcount
    return conversations, deleted


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=float(os.environ.get("DAYS", DEFAULT_DAYS)))
    parser.add_argument("--endpoints", default=os.environ.get("ENDPOINTS", "endpoints.yml"))
    args = parser.parse_args(argv)
    if args.days < 0:
        parser.error("--days must be 0 or more")
    warnings.simplefilter("ignore", DeprecationWarning)  # Rasa 3.6's SQLAlchemy 2.0 notices: not the user's concern
    store = TrackerStore.create(AvailableEndpoints.read_endpoints(args.endpoints).tracker_store)
    if not isinstance(store, SQLTrackerStore):
        print(f"error: {args.endpoints} names no SQL tracker store; nothing to delete", file=sys.stderr)
        return 2
    conversations, deleted = forget(store, args.days)
    print(f"Deleted {conversations} conversations ({deleted} events) older than {args.days:g} days.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
