"""The production layout on one machine, for the scale-out tests and `make bench`.

Rasa replicas on deploy/endpoints.production.yml (conversations in PostgreSQL, conversation locks in Redis), in a
fresh database and under a fresh Redis key prefix, both removed afterwards; action servers; deploy/nginx.conf in
Debian's nginx in front of them, with only its addresses changed. Needs PostgreSQL on 127.0.0.1:5432 (user
postgres, no password), Redis on 127.0.0.1:6379 and nginx (`make test-deps`): `missing()` names what is not there.
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List, Optional

import redis
import sqlalchemy as sa

from scripts.servers import ROOT, stop_process, wait_until_up

PG, REDIS = ("127.0.0.1", 5432), ("127.0.0.1", 6379)
PRODUCTION_ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
ADMIN_URL = f"postgresql://postgres@{PG[0]}:{PG[1]}/postgres"


def postgres_reachable() -> bool:
    engine = sa.create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis(*REDIS, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def nginx_binary() -> Optional[str]:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def missing() -> List[str]:
    """What the production layout needs and this machine lacks."""
    needs = {"PostgreSQL": postgres_reachable, "Redis": redis_reachable, "nginx": lambda: nginx_binary() is not None}
    return [name for name, there in needs.items() if not there()]


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on PostgreSQL, dropped afterwards: its name."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def fresh_services() -> Iterator[SimpleNamespace]:
    """A fresh database and Redis key prefix: `db`, `engine` (to the database), `prefix`, `redis`."""
    red = redis.Redis(*REDIS, socket_timeout=3)
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


def enter_together(stack: ExitStack, managers: list) -> list:
    """Enter the servers' context managers at the same time (they load in parallel); `stack` leaves them."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
    for manager, future in zip(managers, futures):
        if future.exception() is None:
            stack.push(manager.__exit__)
    return [future.result() for future in futures]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_outside_the_ephemeral_range() -> int:
    """A free port for a server bound later (nginx once the replicas are up, the demo page once the servers are):
    outgoing connections (to PostgreSQL, Redis, between the servers) take ephemeral ports meanwhile, so one from
    free_port() may be gone by then."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(10_000, low), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between 10000 and {low}")


def local_addresses(rasa_ports: List[int], action_ports: List[int], public: int, internal: int) -> Dict[str, str]:
    """`local_config`'s addresses: deploy/nginx.conf's two replicas, two action servers and two listening ports,
    as ports on 127.0.0.1."""
    return {
        "rasa-1:5005": f"127.0.0.1:{rasa_ports[0]}", "rasa-2:5005": f"127.0.0.1:{rasa_ports[1]}",
        "actions-1:5055": f"127.0.0.1:{action_ports[0]}", "actions-2:5055": f"127.0.0.1:{action_ports[1]}",
        "listen 80;": f"listen 127.0.0.1:{public};", "listen 5055;": f"listen 127.0.0.1:{internal};",
    }


def local_config(conf: str, addresses: dict, temp: Path, extra: str = "") -> str:
    """deploy/nginx.conf with each of `addresses` (its text: the replacement) changed once, nginx's temporary
    files in `temp` (Debian's are root's) and `extra` directives in its http block."""
    for old, new in addresses.items():
        if conf.count(old) != 1:
            raise ValueError(f"deploy/nginx.conf no longer has exactly one {old!r}: update scripts/production.py")
        conf = conf.replace(old, new)
    temp_paths = "".join(f"\n    {kind}_temp_path {temp / kind};" for kind in NGINX_TEMP_PATHS)
    return conf.replace("http {", "http {" + temp_paths + (f"\n    {extra}" if extra else ""), 1)


def running_nginx(stack: ExitStack, logs: Path, addresses: dict, extra: str = "") -> SimpleNamespace:
    """deploy/nginx.conf in Debian's nginx, with `local_config`'s changes; stopped when `stack` closes.
    `url`: its first `listen` address; `error_log`: where it logs refused and failed-over requests."""
    nginx = nginx_binary()
    if nginx is None:
        raise RuntimeError("nginx is not installed (Debian's package: make test-deps, as root)")
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


@contextmanager
def production_layout(logs: Path, model: Path, env: Optional[Dict[str, str]] = None) -> Iterator[SimpleNamespace]:
    """Two action servers and two Rasa replicas on fresh services, behind nginx: `url` (nginx's public
    address), `processes` (the action servers, then the replicas). `env` adds settings of the replicas."""
    from scripts.servers import action_server, rasa_server

    with ExitStack() as stack:
        services = stack.enter_context(fresh_services())
        public, internal = port_outside_the_ephemeral_range(), port_outside_the_ephemeral_range()
        action_ports, rasa_ports = [free_port(), free_port()], [free_port(), free_port()]
        log = stack.enter_context(open(logs / "servers.log", "w"))
        replica = {**replica_env(services, f"http://127.0.0.1:{internal}/webhook"), **(env or {})}
        processes = enter_together(stack, [action_server(p, log) for p in action_ports])
        processes += enter_together(stack, [rasa_server(p, PRODUCTION_ENDPOINTS, log=log, env=replica, model=model)
                                            for p in rasa_ports])
        nginx = running_nginx(stack, logs, local_addresses(rasa_ports, action_ports, public, internal))
        yield SimpleNamespace(url=nginx.url, processes=processes + [nginx.process], services=services)
