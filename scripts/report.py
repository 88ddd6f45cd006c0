"""Write the staff report of the last N days to results/report.md and results/report.html: `make report` (DAYS=30).

It reads the store the Rasa server uses, from the same endpoints file (ENDPOINTS, default endpoints.yml), as
`make forget` does, so it works on SQLite and on PostgreSQL alike. Patients' words are in it, their ids never.
"""
import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import List, Optional

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints

from web import report

DEFAULT_DAYS = 30


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=float(os.environ.get("DAYS", DEFAULT_DAYS)))
    parser.add_argument("--endpoints", default=os.environ.get("ENDPOINTS", "endpoints.yml"))
    parser.add_argument("--out", default="results", help="folder for report.md and report.html")
    args = parser.parse_args(argv)
    if args.days <= 0:
        parser.error("--days must be more than 0")
    warnings.simplefilter("ignore", DeprecationWarning)  # Rasa 3.6's SQLAlchemy 2.0 notices: not the user's concern
    # endpoints.yml's action endpoint header names the secret; the report never calls the action server
    os.environ.setdefault("ACTION_SERVER_SECRET", "-" * 16)
    store = TrackerStore.create(AvailableEndpoints.read_endpoints(args.endpoints).tracker_store)
    if not isinstance(store, SQLTrackerStore):
        print(f"error: {args.endpoints} names no SQL tracker store; nothing to report", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        built = report.build(store.engine, days=args.days)
        pages = {"report.md": report.markdown(built), "report.html": report.html(built)}
    finally:
        store.engine.dispose()
    seconds = time.perf_counter() - started
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    print(f"Built in {seconds:.1f} s ({built.messages} messages, {built.conversations} conversations).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
