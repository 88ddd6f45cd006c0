"""A small sticky HTTP load balancer: what the scale-out test (tests/test_scale_out.py) puts in front of the Rasa
replicas and in front of the action servers. Production uses nginx instead (deploy/nginx.conf).

    python -m deploy.balancer --port 8080 --backend http://127.0.0.1:5005 --backend http://127.0.0.1:5006

A request whose JSON body has `sender` (the chat channel) or `sender_id` (Rasa calling the action server) goes
to the backend that rendezvous hashing picks for that id, so a conversation stays on one replica, and only the
conversations of a replica that goes away move; other requests go round-robin. A backend that refuses the
connection or drops it before answering is marked down for DOWN_SECONDS and the request is sent once more, to
the next backend in the same order.
"""
import argparse
import asyncio
import hashlib
import itertools
import json
import logging
import threading
import time
from collections import Counter
from contextlib import contextmanager
from typing import Iterator, List, Optional

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

logger = logging.getLogger(__name__)
SESSION = web.AppKey("session", aiohttp.ClientSession)
DOWN_SECONDS = 5.0
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length"}


def sticky_key(body: bytes) -> Optional[str]:
    """The conversation id of a request body, if it has one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    key = data.get("sender", data.get("sender_id")) if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


def without_hop_by_hop(headers) -> CIMultiDict:
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP)


class Balancer:
    def __init__(self, backends: List[str]) -> None:
        self.backends = [b.rstrip("/") for b in backends]
        self.down_until = {b: 0.0 for b in self.backends}
        self.next_turn = itertools.count()
        self.in_flight: Counter = Counter()
        self.failovers = 0  # requests sent to a second backend
        self.url = ""  # set by running_balancer

    def rank(self, key: str) -> List[str]:
        """The backends in rendezvous order for `key`: highest hash of (backend, key) first."""
        return sorted(self.backends, key=lambda b: hashlib.sha256(f"{b} {key}".encode()).digest(), reverse=True)

    def order(self, key: Optional[str]) -> List[str]:
        start = next(self.next_turn) % len(self.backends)
        ranked = self.rank(key) if key is not None else self.backends[start:] + self.backends[:start]
        now = time.monotonic()
        return sorted(ranked, key=lambda b: self.down_until[b] > now)  # stable: those up first, in order

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = without_hop_by_hop(request.headers)
        headers["X-Forwarded-For"] = ", ".join(filter(None, [request.headers.get("X-Forwarded-For"), request.remote]))
        for attempt, backend in enumerate(self.order(sticky_key(body))[:2]):
            self.in_flight[backend] += 1
            try:
                async with request.app[SESSION].request(
                    request.method, backend + request.rel_url.raw_path_qs, headers=headers, data=body,
                    allow_redirects=False,
                ) as answer:
                    payload = await answer.read()
                    return web.Response(status=answer.status, headers=without_hop_by_hop(answer.headers), body=payload)
            # Refused, reset or closed before the response: Rasa saves a turn only at its end, so resending is
            # safe. A body cut off after the status line (ClientPayloadError) is not retried.
            except aiohttp.ClientConnectionError as error:
                self.down_until[backend] = time.monotonic() + DOWN_SECONDS
                logger.warning("backend %s failed (%s: %s)", backend, type(error).__name__, error)
                self.failovers += attempt == 0
            finally:
                self.in_flight[backend] -= 1
        return web.json_response({"error": "no backend answered"}, status=502)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 ** 2)

        async def session(app: web.Application):
            # No read timeout: a turn may wait for a dead replica's conversation lock to expire.
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=3)
            async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as app[SESSION]:
                yield

        app.cleanup_ctx.append(session)
        app.router.add_route("*", "/{path:.*}", self.forward)
        return app


@contextmanager
def running_balancer(backends: List[str], port: int, host: str = "127.0.0.1") -> Iterator[Balancer]:
    """The balancer on an event loop in a thread of this process (for tests), with its `url` set."""
    balancer, loop = Balancer(backends), asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    run = lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine, loop).result()  # noqa: E731
    runner = web.AppRunner(balancer.app(), access_log=None)
    run(runner.setup())
    run(web.TCPSite(runner, host, port).start())
    balancer.url = f"http://{host}:{port}"
    try:
        yield balancer
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", action="append", required=True, help="base URL; repeat for each backend")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    web.run_app(Balancer(args.backend).app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
