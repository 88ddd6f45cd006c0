import socket
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
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
            slots={"topic": None, "last_answer": None, **(slots or {})},
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
def server_url(tmp_path_factory, demo_port):
    """The real action server and Rasa server with the trained model, on free ports; the test demo page's
    origin is allowed (CORS) besides the clinic's."""
    from actions.clinic import clinic
    from scripts.servers import running_servers

    cors = [*clinic()["allowed_origins"], f"http://localhost:{demo_port}"]
    log = open(tmp_path_factory.mktemp("servers") / "servers.log", "w")
    with running_servers(rasa_port=free_port(), action_port=free_port(), cors=cors, log=log) as url:
        yield url
    log.close()


@pytest.fixture(scope="session")
def demo_url(server_url, demo_port):
    """The demo clinic page, from its own origin, with the widget tag pointing at the test server."""
    from scripts.servers import demo_site

    with demo_site(demo_port, server_url.replace("127.0.0.1", "localhost")) as url:
        yield url
