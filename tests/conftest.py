import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

import pytest
import redis
import sqlalchemy as sa
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import knowledge_base

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
        text: str = "a patient's question",
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_port() -> int:
    return free_port()


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
    """The real action server and Rasa server with the trained model, on free ports, conversations in an SQLite
    file (`server_db`); the test demo page's origin is allowed (CORS) besides the clinic's. Every test client
    comes from 127.0.0.1, so the per-address rate limit is lifted; the per-sender limit stays."""
    from actions.clinic import clinic
    from scripts.servers import ONE_ADDRESS_ENV, running_servers, sqlite_store

    cors = [*clinic()["allowed_origins"], f"http://localhost:{demo_port}"]
    log = open(server_folder / "servers.log", "w")
    with running_servers(
        rasa_port=free_port(), action_port=free_port(), cors=cors, log=log, processes=server_processes,
        stores=sqlite_store(server_folder / "conversations.db"), env={**ONE_ADDRESS_ENV, "STAFF_PASSWORD": STAFF_PASSWORD},
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
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    try:
        admin.connect().close()
        reachable = True
    except sa.exc.OperationalError:
        reachable = False
    require_service("PostgreSQL", reachable)
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def postgres_db() -> Iterator[str]:
    with fresh_postgres_database() as name:
        yield name


PG, REDIS = ("127.0.0.1", 5432), ("127.0.0.1", 6379)
PRODUCTION_ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"


@pytest.fixture(scope="module")
def services():
    """PostgreSQL and Redis for a module's replicas: a fresh database and Redis key prefix, both removed
    afterwards. Skipped without them (failed with REQUIRE_SERVICES=1)."""
    red = redis.Redis(*REDIS, socket_timeout=3)
    try:
        reachable = red.ping()
    except redis.RedisError:
        reachable = False
    require_service("Redis", reachable)
    prefix = f"clinictest{uuid.uuid4().hex[:12]}"
    with fresh_postgres_database() as name:
        engine = sa.create_engine(f"postgresql://postgres@{PG[0]}:{PG[1]}/{name}")
        try:
            yield SimpleNamespace(db=name, engine=engine, prefix=prefix, redis=red)
        finally:
            engine.dispose()
            leftover = list(red.scan_iter(match=f"{prefix}:*"))
            if leftover:
                red.delete(*leftover)


def replica_env(services, action_url: str, db_port: int = PG[1]) -> Dict[str, str]:
    """The settings a Rasa replica on PRODUCTION_ENDPOINTS needs, for `services`' database and key prefix."""
    return {
        "ACTION_SERVER_URL": action_url, "DB_HOST": PG[0], "DB_PORT": str(db_port), "DB_NAME": services.db,
        "DB_USER": "postgres", "DB_PASSWORD": "", "REDIS_HOST": REDIS[0], "REDIS_PORT": str(REDIS[1]),
        "REDIS_DB": "0", "REDIS_KEY_PREFIX": services.prefix, "SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "5",
    }


def event_counts(services, senders: List[str]) -> Dict[str, Counter]:
    """Per conversation, how many events of each type PostgreSQL holds."""
    counts = {sender: Counter() for sender in senders}
    query = sa.text("SELECT sender_id, type_name, count(*) FROM events WHERE sender_id = ANY(:s) GROUP BY 1, 2")
    with services.engine.connect() as connection:
        for sender, kind, count in connection.execute(query, {"s": senders}):
            counts[sender][kind] = count
    return counts


def enter_together(stack: ExitStack, managers: list) -> list:
    """Enter the servers' context managers at the same time (they load in parallel); `stack` leaves them."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
    for manager, future in zip(managers, futures):
        if future.exception() is None:
            stack.push(manager.__exit__)
    return [future.result() for future in futures]


# ---- nginx, the production load balancer (deploy/nginx.conf) ----------------------------------------------
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    require_service("nginx (Debian's package: make test-deps, as root)", found is not None)
    return found


def port_outside_the_ephemeral_range() -> int:
    """A free port for nginx to bind once the replicas are up: outgoing connections (to PostgreSQL, Redis) take
    ephemeral ports meanwhile, so one from free_port() may be gone by then."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(10_000, low), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between 10000 and {low}")


def local_config(conf: str, addresses: dict, temp: Path, extra: str = "") -> str:
    """deploy/nginx.conf with each of `addresses` (its text: the replacement) changed once, nginx's temporary
    files in `temp` (Debian's are root's) and `extra` directives in its http block."""
    for old, new in addresses.items():
        assert conf.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}: update this test"
        conf = conf.replace(old, new)
    temp_paths = "".join(f"\n    {kind}_temp_path {temp / kind};" for kind in NGINX_TEMP_PATHS)
    return conf.replace("http {", "http {" + temp_paths + (f"\n    {extra}" if extra else ""), 1)


def running_nginx(stack: ExitStack, logs: Path, addresses: dict, extra: str = "") -> SimpleNamespace:
    """deploy/nginx.conf in Debian's nginx, with `local_config`'s changes; stopped when `stack` closes.
    `url`: its first `listen` address; `error_log`: where it logs refused and failed-over requests."""
    from scripts.servers import stop_process, wait_until_up

    nginx = nginx_binary()
    temp = Path(tempfile.mkdtemp(prefix="nginx-temp-"))  # nginx's workers run as nobody: a folder they can reach
    temp.chmod(0o755)
    stack.callback(shutil.rmtree, temp, ignore_errors=True)
    conf = local_config(NGINX_CONF.read_text(), addresses, temp, extra)
    (logs / "nginx.conf").write_text(conf)
    error_log = logs / "error.log"
    command = [nginx, "-p", str(logs), "-c", str(logs / "nginx.conf"), "-e", str(error_log),
               "-g", f"daemon off; pid {logs / 'nginx.pid'};"]
    subprocess.run([*command, "-t"], check=True, capture_output=True)
    process = subprocess.Popen(command, stderr=stack.enter_context(open(logs / "nginx.out", "w")))
    stack.callback(stop_process, process)
    url = "http://" + addresses["listen 80;"].split()[1].rstrip(";")
    wait_until_up(f"{url}/webhooks/rest/", process, "nginx", 20)
    return SimpleNamespace(url=url, error_log=error_log, process=process)
