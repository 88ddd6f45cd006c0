import http.client
import json
import os
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base
from scripts import production
from scripts.production import free_port, port_outside_the_ephemeral_range  # noqa: F401 (tests import free_port from here)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def kb():
    return knowledge_base()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker():
    """A fresh tracker for one user message: its intent ranking, entities and slots."""

    def make(
        ranking: List[tuple],
        text: str = "hmm",  # says nothing: the ranking alone decides (also read alone by meaning, it is near no answer)
        entities: Optional[List[Dict[str, Any]]] = None,
        slots: Optional[Dict[str, Any]] = None,
    ) -> Tracker:
        intent_ranking = [{"name": name, "confidence": confidence} for name, confidence in ranking]
        message = {
            "text": text,
            "intent": intent_ranking[0],
            "intent_ranking": intent_ranking,
            "entities": entities or [],
        }
        return Tracker(
            sender_id="test-sender",
            slots={"topic": None, "last_answer": None, "disclaimer_said": True, **(slots or {})},
            latest_message=message,
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return make


def load_yaml(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_port() -> int:
    """Bound only once the servers are up, so it is taken from outside the ephemeral range their connections use."""
    return port_outside_the_ephemeral_range()


@pytest.fixture(scope="session")
def server_folder(tmp_path_factory) -> Path:
    """Where the session server keeps its log (servers.log) and its conversations (conversations.db)."""
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def server_processes() -> List:
    """The session server's action server and Rasa server processes, once `server_url` has started them."""
    return []


STAFF_PASSWORD = "correct horse battery staple"  # the session server's /staff password (web/staff.py)


@pytest.fixture(scope="session")
def server_url(server_folder, server_processes, demo_port):
    """The real action server and Rasa server with the trained model, on free ports, served as `make run` serves:
    conversations in an SQLite file (`server_db`), two Sanic workers sharing their locks and rate limits. The
    test demo page's origin is allowed (CORS) besides the clinic's. Every test client comes from 127.0.0.1, so
    the per-address rate limit is lifted; the per-sender limit stays."""
    from actions.clinic import clinic
    from scripts.servers import ONE_ADDRESS_ENV, running_servers, sqlite_store, workers_env

    cors = [*clinic()["allowed_origins"], f"http://localhost:{demo_port}"]
    log = open(server_folder / "servers.log", "w")
    with running_servers(
        rasa_port=free_port(), action_port=free_port(), cors=cors, log=log, processes=server_processes,
        stores=sqlite_store(server_folder / "conversations.db"),
        env={**ONE_ADDRESS_ENV, **workers_env(server_folder / "conversations.db"), "STAFF_PASSWORD": STAFF_PASSWORD},
    ) as url:
        yield url
    log.close()


@pytest.fixture(scope="session")
def demo_url(server_url, demo_port):
    """The demo clinic page, from its own origin, with the widget tag pointing at the test server."""
    from scripts.servers import demo_site

    with demo_site(demo_port, server_url.replace("127.0.0.1", "localhost")) as url:
        yield url


def post(url: str, body, address: str = "127.0.0.1", headers: Optional[Dict[str, str]] = None):
    """POST a JSON body (or raw bytes) to the chat channel from a chosen loopback address, with extra `headers`:
    (status, parsed body or None)."""
    host, port = url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(address, 0))
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request("POST", "/webhooks/rest/webhook", data, {"Content-Type": "application/json", **(headers or {})})
    answer = connection.getresponse()
    status, raw = answer.status, answer.read()
    connection.close()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def require_service(name: str, reachable: bool) -> None:
    """Skip a test whose service (PostgreSQL, Redis) is not running here; with REQUIRE_SERVICES=1 (.ci/run), fail."""
    if reachable:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {name} is not reachable")
    pytest.skip(f"{name} is not reachable on 127.0.0.1 (set REQUIRE_SERVICES=1 to fail instead)")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth), dropped afterwards: its name.
    Skipped without PostgreSQL (failed with REQUIRE_SERVICES=1)."""
    require_service("PostgreSQL", production.postgres_reachable())
    with production.fresh_postgres_database() as name:
        yield name


@pytest.fixture
def postgres_db() -> Iterator[str]:
    with fresh_postgres_database() as name:
        yield name


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis for a module's replicas: a fresh database and Redis key prefix, both removed
    afterwards. Skipped without them (failed with REQUIRE_SERVICES=1)."""
    require_service("Redis", production.redis_reachable())
    require_service("PostgreSQL", production.postgres_reachable())
    with production.fresh_services() as services:
        yield services


def event_counts(services, senders: List[str]) -> Dict[str, Counter]:
    """Per conversation, how many events of each type PostgreSQL holds."""
    counts = {sender: Counter() for sender in senders}
    query = sa.text("SELECT sender_id, type_name, count(*) FROM events WHERE sender_id = ANY(:s) GROUP BY 1, 2")
    with services.engine.connect() as connection:
        for sender, kind, count in connection.execute(query, {"s": senders}):
            counts[sender][kind] = count
    return counts


# ---- nginx, the production load balancer (deploy/nginx.conf) ----------------------------------------------
def nginx_binary() -> str:
    found = production.nginx_binary()
    require_service("nginx (Debian's package: make test-deps, as root)", found is not None)
    return found


def running_nginx(stack: ExitStack, logs: Path, addresses: dict, extra: str = "") -> SimpleNamespace:
    """scripts/production.py's running_nginx, skipped (or failed) without nginx."""
    nginx_binary()
    return production.running_nginx(stack, logs, addresses, extra)
