"""Start the action server, the Rasa server and the demo clinic page, wait until they answer, stop them again.

`python -m scripts.servers` is `make run`: REST channel, widget and article pages on :5005, the demo clinic
page with the widget on http://localhost:8000. `--shell` is `make shell`.
Tests and measurements use `running_servers()` and `demo_site()` on ports of their own.
Settings: RASA_PORT (5005), ACTION_PORT (5055), DEMO_PORT (8000), RASA_INTERFACE (0.0.0.0), ENDPOINTS
(endpoints.yml: conversations in SQLite), SANIC_WORKERS (2 processes of the Rasa server); the allowed origins
(CORS) come from clinic.yml.
"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import yaml

from actions.clinic import clinic

ROOT = Path(__file__).resolve().parent.parent
# `rasa` with web/rasa_patches.py installed first (web/rasa_main.py).
RASA = [str(ROOT / ".venv" / "bin" / "python"), "-m", "web.rasa_main"]
MODEL = ROOT / "models" / "clinic-faq.tar.gz"
QUIET = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
# The Rasa server refuses request bodies over 64 KB before reading them (the chat channel's own limit is 16 KB).
# A conversation whose worker died mid-turn stays locked for TICKET_LOCK_LIFETIME (workers.db outlives it): 15 s
# as in production, less than a server takes to start again, where Rasa's default would hold it a minute.
SERVER_ENV = {**QUIET, "SANIC_REQUEST_MAX_SIZE": "65536", "TICKET_LOCK_LIFETIME": "15"}
# Tests and measurements send all their conversations from 127.0.0.1: lift the per-address rate limit for them.
ONE_ADDRESS_ENV = {"RATE_LIMIT_PER_ADDRESS": "1000000"}
# The action server answers only callers that send this secret (actions/server.py); every server started from
# here inherits it, and the endpoints files name it as ${ACTION_SERVER_SECRET}. Made up per run unless set.
os.environ.setdefault("ACTION_SERVER_SECRET", secrets.token_hex(16))
ACTION_HEADERS = {"X-Action-Secret": "${ACTION_SERVER_SECRET}"}
# Processes of the Rasa server that `make run` starts (SANIC_WORKERS): one per core of a small machine. They
# share conversation locks and rate limits in workers.db (web/shared_state.py).
WORKERS = os.environ.get("SANIC_WORKERS", "2")


def log_tail(log, lines: int = 15) -> str:
    """The last lines a process wrote to `log` (an open file), to say why it stopped; empty without a file."""
    path = getattr(log, "name", None)
    if not isinstance(path, str) or not os.path.isfile(path):
        return ""
    log.flush()
    with open(path, errors="replace") as written:
        return "".join(written.readlines()[-lines:])


def wait_until_up(url: str, process: subprocess.Popen, name: str, seconds: float,
                  instance: Optional[str] = None, log=None) -> None:
    """Until `url` answers; with `instance`, only the process that echoes it (X-Action-Instance) counts. A
    process that exits first is an error that quotes the end of its `log`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_tail(log)
            raise RuntimeError(f"the {name} exited with code {process.returncode} while starting"
                               + (f"; the end of its log:\n{tail}" if tail else ""))
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if instance is not None and answer.headers.get("X-Action-Instance") != instance:
                    raise RuntimeError(f"something other than the {name} it started answers {url}")
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the {name} did not answer {url} within {seconds:.0f} s")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no owner
        try:
            probe.bind((host, port))
            return True
        except OSError:
            return False


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def action_server(port: int, log=None) -> Iterator[subprocess.Popen]:
    """The action server (actions/server.py) on 127.0.0.1:`port`: an error if the port is taken, or if what
    answers there is not the process started here."""
    if not port_is_free(port):
        raise RuntimeError(f"port {port} is in use: the action server cannot start there (set ACTION_PORT)")
    instance = secrets.token_hex(8)
    env = {**os.environ, **QUIET, "ACTION_SERVER_INSTANCE": instance}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "actions.server", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", process, "action server", 90, instance, log)
        yield process
    finally:
        stop_process(process)


def write_endpoints(path: Path, action_url: str, stores: Optional[Dict[str, Any]] = None) -> Path:
    """An endpoints file: the action server's address and secret header, and `stores` (tracker_store,
    lock_store) as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"action_endpoint": {"url": action_url, "headers": ACTION_HEADERS}, **(stores or {})}))
    return path


def endpoints_for(action_port: int, source: Path) -> Path:
    """`source` (endpoints.yml or the production file) with the action endpoint of the action server started
    here: ACTION_PORT holds end to end."""
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    stores = {key: value for key, value in spec.items() if key != "action_endpoint"}
    return write_endpoints(ROOT / "results" / f"endpoints-run-{action_port}.yml",
                           f"http://127.0.0.1:{action_port}/webhook", stores)


def sqlite_store(path: Path) -> Dict[str, Any]:
    """The default stores (endpoints.yml) on other files: the conversations in `path`, the locks the Sanic
    workers share (web/shared_state.py) in workers.db beside it."""
    return {"tracker_store": {"type": "web.tracker_store.SQLiteTrackerStore", "db": str(path)},
            "lock_store": {"type": "web.shared_state.SQLiteLockStore", "db": str(workers_file(path))}}


def workers_file(conversations: Path) -> Path:
    """The file the Sanic workers share (web/shared_state.py), beside the conversations."""
    from web import shared_state  # imports Rasa: not for `make run`'s launcher, which never calls this

    return conversations.with_name(shared_state.DEFAULT_FILE)


def workers_env(conversations: Path, workers: str = WORKERS) -> Dict[str, str]:
    """The settings of `workers` Sanic workers on the stores of sqlite_store(conversations): their rate limits
    in the same shared file as their locks."""
    return {"SANIC_WORKERS": workers, "WORKERS_DB": str(workers_file(conversations))}


@contextmanager
def rasa_server(
    port: int,
    endpoints: Path,
    interface: str = "127.0.0.1",
    cors: Optional[List[str]] = None,
    log=None,
    env: Optional[Dict[str, str]] = None,
    model: Path = MODEL,
) -> Iterator[subprocess.Popen]:
    """The Rasa server: the chat channel, widget and article pages on `interface`:`port`; no HTTP API."""
    command = [
        *RASA, "run", "--model", str(model), "--credentials", str(ROOT / "credentials.yml"),
        "--endpoints", str(endpoints), "--interface", interface, "--port", str(port),
        "--cors", *(cors if cors is not None else clinic()["allowed_origins"]),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **SERVER_ENV, **(env or {})},
        stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/webhooks/rest/", process, "Rasa server", 240, log=log)
        yield process
    finally:
        stop_process(process)


@contextmanager
def running_servers(
    rasa_port: int = 5005,
    action_port: int = 5055,
    interface: str = "127.0.0.1",
    cors: Optional[List[str]] = None,
    endpoints: Optional[Path] = None,
    log=None,
    processes: Optional[List[subprocess.Popen]] = None,
    model: Path = MODEL,
    stores: Optional[Dict[str, Any]] = None,
    env: Optional[Dict[str, str]] = None,
) -> Iterator[str]:
    """Both servers; yields the Rasa server's base URL. Without `endpoints`, one is written with `stores`
    (none: conversations in memory). `processes` receives the action server's and then the Rasa server's
    process (for tests that stop one, and for measuring memory). `env` adds settings of the Rasa server."""
    if endpoints is None:
        action_url = f"http://127.0.0.1:{action_port}/webhook"
        endpoints = write_endpoints(ROOT / "results" / f"endpoints-{rasa_port}.yml", action_url, stores)
    with action_server(action_port, log) as actions, rasa_server(
        rasa_port, endpoints, interface, cors, log, env, model
    ) as process:
        if processes is not None:
            processes += [actions, process]
        yield f"http://127.0.0.1:{rasa_port}"


@contextmanager
def demo_site(port: int, rasa_url: str, host: str = "127.0.0.1") -> Iterator[str]:
    """The demo clinic page (web/demo/) from its own origin, its widget tag pointing at `rasa_url`."""
    page = (ROOT / "web" / "demo" / "index.html").read_text(encoding="utf-8")
    page = page.replace("http://localhost:5005", rasa_url).encode("utf-8")

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop both servers on `kill` as on Ctrl-C
    rasa_port = int(os.environ.get("RASA_PORT", 5005))
    action_port = int(os.environ.get("ACTION_PORT", 5055))
    endpoints = endpoints_for(action_port, ROOT / os.environ.get("ENDPOINTS", "endpoints.yml"))
    if "--shell" in sys.argv:
        with action_server(action_port):
            subprocess.run([*RASA, "shell", "--model", str(MODEL), "--endpoints", str(endpoints)],
                           cwd=ROOT, env={**os.environ, **QUIET})
        return
    demo_port = int(os.environ.get("DEMO_PORT", 8000))
    interface = os.environ.get("RASA_INTERFACE", "0.0.0.0")
    with running_servers(rasa_port, action_port, interface, endpoints=endpoints, env={"SANIC_WORKERS": WORKERS}), demo_site(
        demo_port, f"http://localhost:{rasa_port}"
    ):
        print(
            f"\nThe assistant is ready. Open the demo clinic page with the chat widget: http://localhost:{demo_port}\n"
            "Or talk to it over REST, for example:\n"
            f"  curl -s -X POST http://localhost:{rasa_port}/webhooks/rest/webhook \\\n"
            "       -H 'Content-Type: application/json' "
            "-d '{\"sender\": \"try-it-1\", \"message\": \"what is cervical dystonia?\"}'\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
