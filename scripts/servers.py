"""Start the action server and the Rasa server, wait until both answer, and stop them again.

`python -m scripts.servers` is `make run` (REST channel on :5005); `--shell` is `make shell`.
Tests and measurements use `running_servers()` on ports of their own.
Settings: RASA_PORT (5005), ACTION_PORT (5055), RASA_INTERFACE (0.0.0.0), CORS_ORIGINS (http://localhost:8000).
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

ROOT = Path(__file__).resolve().parent.parent
RASA = str(ROOT / ".venv" / "bin" / "rasa")
MODEL = ROOT / "models" / "clinic-faq.tar.gz"
QUIET = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}


def _wait_until_up(url: str, process: subprocess.Popen, name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {name} exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the {name} did not answer {url} within {seconds:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def action_server(port: int, log=None) -> Iterator[subprocess.Popen]:
    env = {**os.environ, **QUIET, "SANIC_HOST": "127.0.0.1"}
    process = subprocess.Popen(
        [RASA, "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/health", process, "action server", 90)
        yield process
    finally:
        _stop(process)


@contextmanager
def running_servers(
    rasa_port: int = 5005,
    action_port: int = 5055,
    interface: str = "127.0.0.1",
    cors: Optional[List[str]] = None,
    endpoints: Optional[Path] = None,
    log=None,
) -> Iterator[str]:
    """Both servers; yields the Rasa server's base URL."""
    if endpoints is None:
        endpoints = ROOT / "results" / f"endpoints-{action_port}.yml"
        endpoints.parent.mkdir(exist_ok=True)
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n')
    with action_server(action_port, log):
        command = [
            RASA, "run", "--model", str(MODEL), "--credentials", str(ROOT / "credentials.yml"),
            "--endpoints", str(endpoints), "--interface", interface, "--port", str(rasa_port),
        ]
        if cors:
            command += ["--cors", *cors]
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **QUIET}, stdout=log, stderr=subprocess.STDOUT if log else None
        )
        try:
            _wait_until_up(f"http://127.0.0.1:{rasa_port}/", process, "Rasa server", 240)
            yield f"http://127.0.0.1:{rasa_port}"
        finally:
            _stop(process)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop both servers on `kill` as on Ctrl-C
    rasa_port = int(os.environ.get("RASA_PORT", 5005))
    action_port = int(os.environ.get("ACTION_PORT", 5055))
    if "--shell" in sys.argv:
        with action_server(action_port):
            subprocess.run([RASA, "shell", "--model", str(MODEL), "--endpoints", str(ROOT / "endpoints.yml")],
                           cwd=ROOT, env={**os.environ, **QUIET})
        return
    cors = os.environ.get("CORS_ORIGINS", "http://localhost:8000").split()
    interface = os.environ.get("RASA_INTERFACE", "0.0.0.0")
    with running_servers(rasa_port, action_port, interface, cors, endpoints=ROOT / "endpoints.yml"):
        print(
            "\nThe assistant is ready. Talk to it over REST, for example:\n"
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
