"""The production load balancer: deploy/nginx.conf in Debian's nginx, in front of two Rasa replicas on PostgreSQL
and Redis (deploy/endpoints.production.yml) and the action server.

The file is used as it is; only its addresses become this machine's ports, and nginx's temporary files go to a
folder of the test. Checked: only the chat, the widget and the article pages are public; a client cannot
escape the per-address rate limit with its own X-Forwarded-For; conversations whose replica is killed go on,
with context, on the other one. Needs nginx (`make test-deps` installs it as root), PostgreSQL and Redis:
skipped without them, failed with REQUIRE_SERVICES=1 (.ci/run).
"""
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from types import SimpleNamespace

import pytest
import requests

from scripts.servers import action_server, rasa_server
from scripts.production import (PRODUCTION_ENDPOINTS, enter_together, local_addresses, port_outside_the_ephemeral_range,
                                replica_env)
from tests.conftest import event_counts, free_port, nginx_binary, post, running_nginx

pytestmark = pytest.mark.servers

PER_ADDRESS = 20  # RATE_LIMIT_PER_ADDRESS of the replicas here: low, to reach it quickly


@pytest.fixture(scope="module")
def site(services, tmp_path_factory):
    """nginx on a free port in front of two replicas and one action server; the second action server of the
    file is down (nothing listens at its address), so nginx must skip it too."""
    nginx_binary()  # skipped (or failed) here without nginx, before any server starts
    logs = tmp_path_factory.mktemp("nginx")
    public, internal = port_outside_the_ephemeral_range(), port_outside_the_ephemeral_range()
    actions, no_actions = free_port(), free_port()
    replicas = [SimpleNamespace(port=free_port()) for _ in range(2)]
    with ExitStack() as stack:
        env = {**replica_env(services, f"http://127.0.0.1:{internal}/webhook"), "SANIC_PROXIES_COUNT": "1",
               "RATE_LIMIT_PER_ADDRESS": str(PER_ADDRESS)}
        for replica in replicas:
            replica.url = f"http://127.0.0.1:{replica.port}"
            handle = stack.enter_context(open(logs / f"rasa-{replica.port}.log", "w"))
            replica.server = rasa_server(replica.port, PRODUCTION_ENDPOINTS, log=handle, env=env)
        action_log = stack.enter_context(open(logs / "actions.log", "w"))
        processes = enter_together(stack, [action_server(actions, action_log), *(r.server for r in replicas)])
        for replica, process in zip(replicas, processes[1:]):
            replica.process = process

        nginx = running_nginx(stack, logs, local_addresses([r.port for r in replicas], [actions, no_actions],
                                                           public, internal))
        url, error_log = nginx.url, nginx.error_log
        yield SimpleNamespace(url=url, replicas=replicas, error_log=error_log, logs=logs)


def say(site, sender: str, text: str, address: str) -> dict:
    """One message through nginx from `address`: the reply's custom payload."""
    status, messages = post(site.url, {"sender": sender, "message": text}, address)
    assert status == 200, (status, messages)
    (custom,) = [m["custom"] for m in messages if "custom" in m and m["custom"]["kind"] != "disclaimer"]
    return custom


def test_only_the_chat_the_widget_and_the_articles_are_public(site):
    replica = site.replicas[0].url
    for path in ("/webhooks/rest/", "/widget/chat.js", "/widget/config", "/sources/cervical-dystonia"):
        through_nginx = requests.get(f"{site.url}{path}", timeout=10)
        assert through_nginx.status_code == 200, path
        assert through_nginx.content == requests.get(f"{replica}{path}", timeout=10).content, path
        assert "nginx/" not in through_nginx.headers.get("Server", ""), "nginx tells its version"
    assert say(site, uuid.uuid4().hex, "what is cervical dystonia?", "127.0.0.11")["kind"] == "answer"
    # Rasa's own routes, the staff report and anything else: 404 from nginx, even where a replica would answer.
    for path in ("/", "/status", "/version", "/model", f"/conversations/{uuid.uuid4().hex}/tracker", "/webhook",
                 "/webhooks/rest/../../status", "/actions", "/staff", "/staff/login"):
        assert requests.get(f"{site.url}{path}", timeout=10).status_code == 404, path
    assert post(site.url, b"{" + b" " * 70_000 + b"}", "127.0.0.11")[0] == 413


def test_conversations_go_on_when_their_replica_is_killed(site, services):
    # 16 conversations from 16 addresses: nginx spreads them over both replicas by address (it cannot hash the
    # sender inside the body). The chance that none is on the first replica is 1 in 65,536.
    conversations = {f"127.0.1.{n}": uuid.uuid4().hex for n in range(1, 17)}

    def before(address: str) -> list:
        sender = conversations[address]
        return [say(site, sender, "what is botox used for in cervical dystonia", address)["answer_id"],
                say(site, sender, "how often?", address)["answer_id"]]

    def after(address: str) -> str:
        return say(site, conversations[address], "can i take pills with it?", address)["answer_id"]

    with ThreadPoolExecutor(8) as pool:
        assert set(map(tuple, pool.map(before, conversations))) == {("cd_botox_what", "cd_botox_frequency")}
        victim = site.replicas[0]
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=30)
        assert list(pool.map(after, conversations)) == ["cd_botox_with_pills"] * len(conversations)
    refused = [line for line in site.error_log.read_text().splitlines()
               if "Connection refused" in line and f":{victim.port}/" in line]
    print(f"\nnginx: {len(conversations)} conversations from {len(conversations)} addresses over 2 replicas, one "
          f"SIGKILLed after 2 turns; the third turn of each answered in context; {len(refused)} requests refused by "
          "the dead replica and sent to the other")
    assert refused, "nginx sent nothing to the killed replica: the test did not test a failover"
    counts = event_counts(services, list(conversations.values()))
    assert {sender: c["user"] for sender, c in counts.items() if c["user"] != 3} == {}


def test_nginx_opens_a_new_connection_for_each_action_call():
    """With keep-alive connections from nginx to the action servers, each turn through the production layout
    took about 40 ms longer (one client: p50 66.6 ms through nginx against 27.1 ms without them, measured with
    scripts/production.py on 2026-12-02; the pause of TCP's delayed ACK). Rasa itself opens a new connection for
    every action call, so keep-alive saved nothing there. The chat side keeps its keep-alive connections."""
    import re

    from scripts.production import NGINX_CONF

    upstreams = dict(re.findall(r"upstream (\w+) \{(.*?)\}", NGINX_CONF.read_text(), re.S))
    assert "keepalive" not in upstreams["actions"] and "keepalive" in upstreams["rasa"], upstreams


def test_a_forged_x_forwarded_for_does_not_escape_the_per_address_limit(site):
    # After the test above one replica is left, so every address is counted in the same process.
    statuses = [post(site.url, {"sender": uuid.uuid4().hex, "message": "hello"}, "127.0.2.1",
                     {"X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"})[0] for n in range(PER_ADDRESS + 5)]
    assert statuses[:PER_ADDRESS] == [200] * PER_ADDRESS
    assert 429 in statuses[PER_ADDRESS:], "a forged X-Forwarded-For escaped the per-address limit"
    # The limit is the client's, not nginx's: another address goes on.
    assert post(site.url, {"sender": uuid.uuid4().hex, "message": "hello"}, "127.0.2.2")[0] == 200
