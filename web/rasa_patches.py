"""Changes to Rasa Open Source 3.6.21, installed in every Rasa process we start (web/rasa_main.py) and again
when the Rasa server loads the chat channel (credentials.yml); any other Rasa version refuses to start.

1. Speed: Rasa checks every action server response with `jsonschema.validate()`, which re-checks the constant
   response schema itself on every call: about half of the Rasa server's CPU time per message here (py-spy,
   see BENCHMARKS.md). The replacement builds the validator once and reports the same error jsonschema would.
   It checks each event against its own type's branch of the schema's `oneOf` rather than all 23 branches
   (1.7 ms a message under load before, 0.3 ms after; py-spy, BENCHMARKS.md), and runs the full check only on
   a response that fails.
2. No silent loss of conversations: Rasa wraps the tracker store in a `FailSafeTrackerStore`, which, when the
   database cannot be reached, starts a new empty conversation and keeps it in memory only. Here the error
   reaches the chat channel instead, which logs it and answers with an error reply (web/channel.py). And a
   tracker store class named in the endpoints (ours: web/tracker_store.py) that cannot be imported stops the
   server, where Rasa would warn and keep every conversation in memory.
3. No long silence: Rasa waits 300 s for the action server. Here it waits ACTION_TIMEOUT seconds (default 3;
   an action takes about 10 ms), then the channel tells the patient it is having trouble.
4. A conversation's lock is handed on when a replica dies mid-turn: Rasa lets a waiting message through only
   when its ticket is the first live one, so a waiter whose own ticket expires together with the dead
   replica's (same lifetime, issued moments later) waits until the client gives up or the conversation's next
   message comes. Here a ticket is locked only while an earlier ticket is live.
5. Speed of the intent classifier: scikit-learn multiplies a message's sparse features by the transposed
   weights; with the weights in C order, SciPy first copies all 83 x 21,290 of them, every message (4.5 ms).
   Kept in Fortran order (the transpose is then in C order), the product takes 0.02 ms, with the same result.
   And a message's row is written straight into one CSR matrix from its sentence features, where Rasa copied
   and joined every feature, sequence ones included, pair by pair (the same matrix; 0.12 ms against 1.6 ms).
6. Speed of loading a conversation: Rasa finds each stored event's class by walking every subclass of
   `Event` (2.3 ms a message in conversations of 6 messages, py-spy). Here the class is remembered by name.
7. Speed of running the model: Rasa runs the NLU and policy graphs through dask's synchronous scheduler, whose
   bookkeeping was 6% of the Rasa server's time under load (2 ms a message; py-spy, BENCHMARKS.md). The
   nodes are computed here one after another, each once, in the order their inputs need; the same results
   and the same GraphRunError. The graph needed for a set of targets is worked out once, not at every run
   (5.5% of the server's samples under load went to that, 2026-12-04). Training (`rasa train`) is not changed.
   With the second half of 5, a message's parse took 3.87 ms of CPU against 4.26 before, and under 32 clients
   the servers used 9.1 ms of CPU a message against 9.7, serving 130-132 msg/s against 122-124 (2026-12-04,
   tenth session, docs/figures.md).
8. The public server's headers: Rasa's CORS set-up sends `Access-Control-Allow-Origin` and `-Credentials` on
   every response (with or without an `Origin`), matches origins regardless of case, and answers a preflight
   with the literal strings `None`; `GET /` names the Rasa version. Here CORS answers only an exactly allowed
   origin (no credentials, a real max-age) and never for the staff pages, `GET /` says only that the server
   is up, and every response carries `nosniff`, frame denial and no-referrer.
9. Speed of calling the action server: Rasa opened a new client session, and so a new connection, for every
   request (a TCP handshake and a new HTTP connection on both sides, every message). The session is kept per
   endpoint and event loop, its idle connections dropped after KEEP_ALIVE_SECONDS. Under 32 clients, four
   runs before and after in turn: 137-142 msg/s against 131-136, 8.4-8.9 ms of the servers' CPU a message
   against 8.9-9.2, p95 339-389 ms against 396-412 (2026-12-04, tenth session, docs/figures.md); one client,
   p50 8.4 ms (no delayed-ACK stall). Its request bodies (the tracker, every turn) are written by orjson
   (web/fastjson.py), as web/tracker_store.py reads and writes the stored events: one client p50 7.4-7.6 ms
   against 7.7-8.3, 141.6-157.7 msg/s at 32 clients against 136.5-146.2, runs in turn (2026-12-04, twelfth
   session, docs/figures.md).
10. Speed of parsing: before each message's parse is logged, Rasa asks whether the domain is empty by turning
   it and a newly built empty domain into dictionaries and comparing them, every message (4.5% of the Rasa
   server's samples under load, about 0.5 ms a message; py-spy, 2026-12-04, eleventh session). A loaded
   domain does not change (a new model brings a new Domain object): the answer is kept per domain.
"""
import asyncio
import logging
import os
from typing import Any, Callable, Dict, List, Optional, Type

import aiohttp
import numpy as np
import scipy.sparse

import rasa
import rasa.shared.utils.common
import rasa.server as rasa_server
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import agent, tracker_store
from rasa.core.actions import action
from rasa.core.actions.action import RemoteAction
from rasa.core.lock import TicketLock
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.utils import endpoints
from rasa.utils.endpoints import EndpointConfig

from web import fastjson

logger = logging.getLogger(__name__)
PATCHED_VERSION = "3.6.21"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
STAFF_PATH = "/staff"
CORS_MAX_AGE = 600  # seconds a browser may reuse a preflight
ACTION_TIMEOUT = float(os.environ.get("ACTION_TIMEOUT", 3))
_validators = None  # built from Rasa's response schema on first use


def _response_validators(schema: dict) -> tuple:
    """The validator of the whole response schema, and validators for the fast path: the response without
    its events, and each event type's own schema (the event schema's properties with the one `oneOf` branch
    whose `event` constant names that type: the only branch such an event can match)."""
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    events = schema["properties"]["events"]["items"]
    common = {key: value for key, value in events.items() if key != "oneOf"}
    by_event = {branch["properties"]["event"]["const"]: validator_class({**common, "allOf": [branch]})
                for branch in events["oneOf"]}
    rest = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k != "events"}}
    return validator_class(schema), validator_class(rest), by_event


def _valid_fast(result: Any) -> bool:
    _, rest, by_event = _validators
    events = result.get("events", []) if isinstance(result, dict) else None
    return isinstance(events, list) and rest.is_valid(result) and all(
        isinstance(e, dict) and isinstance(e.get("event"), str) and e["event"] in by_event
        and by_event[e["event"]].is_valid(e) for e in events)


def _validate_action_result(self: RemoteAction, result: dict) -> bool:
    global _validators
    if _validators is None:
        _validators = _response_validators(self.action_response_format_spec())
    if _valid_fast(result):
        return True
    error = best_match(_validators[0].iter_errors(result))  # the error Rasa's own check would report
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _tracker_store_without_fallback(store, domain):
    """Rasa's Agent._create_tracker_store, without the in-memory fallback: a store error is raised."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def _store_class_or_error(domain, store, event_broker=None) -> TrackerStore:
    """Rasa's loading of a tracker store class named by module, without the in-memory fallback."""
    store_class = rasa.shared.utils.common.class_from_module_path(store.type)
    return store_class(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)


def _is_locked(self: TicketLock, ticket_number: int) -> bool:
    self.remove_expired_tickets()
    return any(ticket.number < ticket_number for ticket in self.tickets)


_rasa_classify = LogisticRegressionClassifier.process


def _classify(self: LogisticRegressionClassifier, messages: list) -> list:
    if not self.clf.coef_.flags.f_contiguous:
        self.clf.coef_ = np.asfortranarray(self.clf.coef_)
    return _rasa_classify(self, messages)


_rasa_create_x = LogisticRegressionClassifier._create_X


def _create_x(self: LogisticRegressionClassifier, messages: list) -> scipy.sparse.csr_matrix:
    """The classifier's rows as Rasa builds them (the message's sparse sentence features, then its dense ones),
    each written straight into one CSR matrix, without the copies and the joined sequence features Rasa makes
    and throws away, and without scipy's general stacking (0.57 of the 0.94 ms the classifier took)."""
    data, indices, indptr, width = [], [], [0], None
    for message in messages:
        sentence = [f.features for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        sparse = [m.tocoo() for m in sentence if scipy.sparse.issparse(m)]
        dense = [m for m in sentence if not scipy.sparse.issparse(m)]
        if not sparse or not dense:
            return _rasa_create_x(self, messages)
        offset = 0
        for matrix in sparse:
            data.append(matrix.data)
            indices.append(matrix.col + offset)
            offset += matrix.shape[1]
        vector = np.concatenate(dense, axis=-1).ravel()
        data.append(vector)
        indices.append(np.arange(offset, offset + vector.size))
        indptr.append(indptr[-1] + sum(len(m.data) for m in sparse) + vector.size)  # where this row ends
        width = offset + vector.size
    dtype = np.result_type(*(d.dtype for d in data))
    rows = scipy.sparse.csr_matrix((np.concatenate(data).astype(dtype, copy=False), np.concatenate(indices),
                                    np.array(indptr)), shape=(len(messages), width))
    rows.sum_duplicates()  # as scipy's stacking leaves it: each column once, in order, zeros kept out
    rows.eliminate_zeros()
    return rows


_rasa_is_empty = Domain.is_empty


def _is_empty(self: Domain) -> bool:
    if "_is_empty" not in self.__dict__:
        self.__dict__["_is_empty"] = _rasa_is_empty(self)
    return self.__dict__["_is_empty"]


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, Type[Event]] = {}


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _event_classes.get(type_name)
    if found is None:
        found = _rasa_resolve_by_type(type_name, default)
        if found is not None and found.type_name == type_name:
            _event_classes[type_name] = found
    return found


_rasa_run_graph = DaskGraphRunner.run


def _run_graph(self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None,
               targets: Optional[List[str]] = None) -> Dict[str, Any]:
    """DaskGraphRunner.run without dask: the same task graph, each node computed once, after its inputs. The
    graph of a set of targets is built once per runner: the schema and its nodes are fixed once loaded."""
    run_targets = targets if targets else self._graph_schema.target_names
    built = self.__dict__.setdefault("_graphs_by_targets", {})
    if tuple(run_targets) not in built:
        built[tuple(run_targets)] = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    graph = dict(built[tuple(run_targets)])  # this run's inputs are added to a copy
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    results: Dict[str, Any] = {}

    def result(key: str) -> Any:
        if key not in results:
            node, *needs = graph[key]  # (GraphNode, names of the nodes it needs) or (input name, value)
            results[key] = node(*(result(need) for need in needs)) if callable(node) else graph[key]
        return results[key]

    try:
        return dict(result(target) for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


# Idle connections are dropped by the client before the action server (Sanic: 5 s) would close them, so a
# request never goes out on a connection the server is closing at that moment.
KEEP_ALIVE_SECONDS = 2.0


class _OpenSession:
    """`async with` over a client session that stays open, so its connection serves the next request too."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _kept_session(self: EndpointConfig) -> _OpenSession:
    """Rasa's client session for an endpoint, made once per event loop (Sanic worker) and kept open."""
    loop = asyncio.get_running_loop()
    sessions = self.__dict__.setdefault("_open_sessions", {})
    if loop not in sessions or sessions[loop].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        sessions[loop] = aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS), json_serialize=fastjson.dumps)
    return _OpenSession(sessions[loop])


def _root_route(app) -> None:
    from sanic import response

    @app.get("/")
    async def up(_request):
        return response.json({"status": "ok"})  # no version banner


def _configure_cors(app, cors_origins=None) -> None:
    """CORS for exactly the allowed origins, and the security headers on every response."""
    from sanic import response

    allowed = {cors_origins} if isinstance(cors_origins, str) else set(cors_origins or [])
    allowed.discard("")

    def cross_origin_allowed(request) -> bool:  # the staff pages (web/staff.py) never
        return request.headers.get("origin", "") in allowed and not request.path.startswith(STAFF_PATH)

    def cors_headers(origin: str) -> dict:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    async def preflight(request):
        if request.method == "OPTIONS" and request.headers.get("access-control-request-method"):
            origin = request.headers.get("origin", "")
            if not cross_origin_allowed(request):
                return response.empty(status=403, headers=SECURITY_HEADERS)
            return response.empty(status=204, headers={
                **cors_headers(origin), **SECURITY_HEADERS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": str(CORS_MAX_AGE)})
        return None

    async def on_every_response(request, reply):
        origin = request.headers.get("origin")
        if cross_origin_allowed(request) and "Access-Control-Allow-Origin" not in reply.headers:
            reply.headers.update(cors_headers(origin))
        for name, value in SECURITY_HEADERS.items():
            reply.headers.setdefault(name, value)

    app.register_middleware(preflight, "request")
    app.register_middleware(on_every_response, "response")


# (owner, attribute, new value) of every change.
CHANGES = [
    (RemoteAction, "_validate_action_result", _validate_action_result),
    (agent.Agent, "_create_tracker_store", staticmethod(_tracker_store_without_fallback)),
    (action, "DEFAULT_REQUEST_TIMEOUT", ACTION_TIMEOUT),
    (tracker_store, "_load_from_module_name_in_endpoint_config", _store_class_or_error),
    (TicketLock, "is_locked", _is_locked),
    (LogisticRegressionClassifier, "process", _classify),
    (LogisticRegressionClassifier, "_create_X", _create_x),
    (Event, "resolve_by_type", staticmethod(_resolve_by_type)),
    (Domain, "is_empty", _is_empty),
    (DaskGraphRunner, "run", _run_graph),
    (EndpointConfig, "session", _kept_session),
    (rasa_server, "add_root_route", _root_route),
    (rasa_server, "configure_cors", _configure_cors),
]


def apply(set_attribute: Callable[[Any, str, Any], None] = setattr) -> bool:
    """Install the changes on the Rasa version they were written for. Any other version is refused: without
    them the server would silently keep conversations in memory after a store error and wait 300 s for the
    action server. Tests pass pytest's `monkeypatch.setattr`, which undoes them afterwards."""
    if rasa.__version__ != PATCHED_VERSION:
        raise RuntimeError(f"rasa {rasa.__version__} is installed; this assistant runs on rasa {PATCHED_VERSION} "
                           "(requirements.txt): `make setup` installs it")
    for owner, attribute, value in CHANGES:
        set_attribute(owner, attribute, value)
    return True
