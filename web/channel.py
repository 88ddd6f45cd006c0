"""The public chat channel: Rasa's REST channel with the checks a server facing the internet needs.

  POST /webhooks/rest/webhook  {"sender": "<id>", "message": "<text>"}  ->  a list of bot messages
  POST /webhooks/rest/feedback {"sender": "<id>", "answer_id": "<id>", "helpful": true|false, "reason": "..."}
                               ->  {"status": "recorded"}: a vote on an answer this conversation was given

Before a message reaches the assistant it is checked here, and some never reach it:
- a body not sent as `application/json`: 415 (a `text/plain` post needs no CORS preflight, so any page could
  make its visitors' browsers send one);
- a body that is not a JSON object with a string `sender` (letters, digits, `._:@-`, at most 128) and a string
  `message`: 400 with {"error": ...}; a body over MAX_BODY_BYTES: 413;
- more than RATE_LIMIT_PER_SENDER or RATE_LIMIT_PER_ADDRESS messages a minute: 429 with a polite reply;
- control characters and broken surrogates are removed; an empty message or one over MAX_MESSAGE_CHARS gets a
  polite reply ("please type a question", "please shorten");
- a message starting with `/` is Rasa's syntax for an intent with entities: it passes only when it is exactly
  a button or suggestion payload the assistant offered in this conversation; otherwise the slashes are
  dropped and it is read as the words it is.
If the assistant gives no reply (the action server is down or slow) the patient is told the assistant has
trouble and how to reach the clinic; if the conversation store fails, the same reply comes with a 503.
Message text is never logged here.
"""
import hashlib
import json
import logging
import math
import os
import re
import time
import traceback
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clinic import clinic
from actions.knowledge import knowledge_base
from web import feedback, rasa_patches
from web.shared_state import SharedBuckets

rasa_patches.apply()  # this module is loaded by the Rasa server at start (credentials.yml)
# Patients' messages at rest: what this server creates from here on (conversations.db and SQLite's -wal and
# -shm files beside it, which take the database's mode) is readable by its own user only. The channel is
# loaded before the tracker store opens its database.
os.umask(0o077)

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", 1000))
MAX_BODY_BYTES = 16 * 1024
RATE_LIMIT_PER_SENDER = int(os.environ.get("RATE_LIMIT_PER_SENDER", 30))  # messages a minute
RATE_LIMIT_PER_ADDRESS = int(os.environ.get("RATE_LIMIT_PER_ADDRESS", 120))  # a clinic's network may be shared
MAX_LOGGED_FRAMES = 12
SENDER_PATTERN = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
# C0 and C1 controls and other invisible format characters, except tab and newline (read as spaces).
UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


class RateLimiter:
    """Token buckets per key: `per_minute` messages a minute on average, bursts up to `per_minute`.

    Kept in the process, or with `shared` in the file the Sanic workers of one server share
    (web/shared_state.py), so that a client gets its limit once, whichever worker takes its connection. Across
    replicas, sticky routing keeps a conversation and an address on one replica, so its limits hold there.
    Buckets that have refilled are dropped, so memory stays bounded.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 shared: Optional[SharedBuckets] = None) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.shared = shared
        self.buckets: Dict[str, Tuple[float, float]] = {}
        self.last_sweep = clock()

    @classmethod
    def for_workers(cls, per_minute: int, name: str) -> "RateLimiter":
        """In the shared file when the server runs several Sanic workers (SANIC_WORKERS), else in the process."""
        several = int(os.environ.get("SANIC_WORKERS", 1) or 1) > 1
        return cls(per_minute, shared=SharedBuckets(name) if several else None)

    def take(self, key: str) -> float:
        """Take one message for `key`: 0 if allowed, else the seconds to wait."""
        now = self.clock()
        if now - self.last_sweep > 60:  # a bucket untouched for a minute has refilled
            if self.shared:
                self.shared.sweep(now - 60)
            else:
                self.buckets = {k: b for k, b in self.buckets.items() if self._level(b, now) < self.capacity}
            self.last_sweep = now
        if self.shared:
            return self.shared.update(key, lambda bucket: self._take(bucket, now))
        self.buckets[key], wait = self._take(self.buckets.get(key), now)
        return wait

    def _take(self, bucket: Optional[Tuple[float, float]], now: float) -> Tuple[Tuple[float, float], float]:
        """The bucket after one message, and the seconds to wait (0 when the message may pass)."""
        tokens = self._level(bucket or (self.capacity, now), now)
        if tokens < 1:
            return (tokens, now), (1 - tokens) / self.rate
        return (tokens - 1, now), 0.0

    def _level(self, bucket: Tuple[float, float], now: float) -> float:
        tokens, then = bucket
        return min(self.capacity, tokens + (now - then) * self.rate)


def clean_text(text: str) -> str:
    """The message as words: unprintable characters dropped, tabs and newlines as spaces, NFC, trimmed."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from \ud800-style JSON escapes
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if c in "\t\n\r" else c for c in text if c in "\t\n\r" or unicodedata.category(c) not in UNPRINTABLE)
    return " ".join(text.split())


def offered_payloads(events: List[Any]) -> Set[str]:
    """Payloads of the buttons and suggestions the assistant offered in these tracker events."""
    offered = set()
    for event in events:
        if isinstance(event, BotUttered):
            data = event.data or {}
            choices = [*(data.get("buttons") or []), *((data.get("custom") or {}).get("suggestions") or [])]
            offered.update(c["payload"] for c in choices if isinstance(c, dict) and c.get("payload"))
    return offered


def conversation_tag(sender: str) -> str:
    """A short, stable tag for logs that does not reveal the sender id."""
    return hashlib.sha256(sender.encode()).hexdigest()[:10]


def reply(sender: str, kind: str, text: str) -> List[Dict[str, Any]]:
    """A reply in the channel's shape: the text, then its `custom` message (see README, "What the channel carries")."""
    custom = {"kind": kind, "answer_id": None, "citations": [], "suggestions": []}
    return [{"recipient_id": sender, "text": text}, {"recipient_id": sender, "custom": custom}]


def channel_message(key: str, **values: Any) -> str:
    details = clinic()
    by_phone = f" at {details['phone']}" if details["phone"] else ""
    return knowledge_base().message("channel", key, by_phone=by_phone, **{k: str(v) for k, v in values.items()})


class PatientChannel(InputChannel):
    """Registered in credentials.yml in place of Rasa's `rest` channel, at the same address."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        self.per_sender = RateLimiter.for_workers(RATE_LIMIT_PER_SENDER, "sender")
        self.per_address = RateLimiter.for_workers(RATE_LIMIT_PER_ADDRESS, "address")
        self.votes_table_ready = False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        chat = Blueprint("patient_chat", __name__)

        @chat.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @chat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refuse_body(request)
            if refused:
                return refused
            sender, text, problem = parse(request.body or b"")
            if problem:
                return response.json({"error": problem}, status=400)
            wait = self.wait(request, sender)
            if wait:
                seconds = math.ceil(wait)
                return response.json(
                    reply(sender, "rate_limited", channel_message("rate_limited", seconds=seconds)),
                    status=429, headers={"Retry-After": str(seconds)},
                )
            text = clean_text(text)
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json(
                    reply(sender, "input_rejected", channel_message("too_long", max_chars=f"{MAX_MESSAGE_CHARS:,}"))
                )
            collector = CollectingOutputChannel()
            try:
                if text.startswith("/") and text not in await self.offered(request, sender):
                    text = text.lstrip("/ ")
                if not text:
                    return response.json(reply(sender, "input_rejected", channel_message("empty")))
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name()))
            except Exception as error:  # the conversation store or the model failed: say so, keep serving
                logger.error("could not handle a message of conversation %s: %s: %s; at %s",
                             conversation_tag(sender), type(error).__name__, cause(error, sender), frames(error))
                return response.json(reply(sender, "unavailable", channel_message("unavailable")), status=503)
            if not any("custom" in m for m in collector.messages):
                # Rasa logs why above: the action server was down, too slow, or answered with an error.
                logger.error("no reply for conversation %s: the action server did not answer in time or failed",
                             conversation_tag(sender))
                return response.json(reply(sender, "unavailable", channel_message("unavailable")))
            return response.json(collector.messages)

        @chat.route("/feedback", methods=["POST"])
        async def vote(request: Request) -> HTTPResponse:
            refused = refuse_body(request)
            if refused:
                return refused
            data, problem = parse_vote(request.body or b"")
            if problem:
                return response.json({"error": problem}, status=400)
            wait = self.wait(request, data["sender"])
            if wait:
                return response.json({"error": "too many requests"}, status=429,
                                     headers={"Retry-After": str(math.ceil(wait))})
            store = request.app.ctx.agent.tracker_store
            try:
                tracker = await store.retrieve(data["sender"])
                given = given_answers(list(tracker.events)) | set(tracker.get_slot("given_answers") or []) if tracker else set()
                if data["answer_id"] not in given:
                    return response.json({"error": "this conversation was not given that answer"}, status=404)
                if not hasattr(store, "engine"):
                    return response.json({"error": "votes need an SQL conversation store"}, status=501)
                if not self.votes_table_ready:
                    feedback.create_table(store.engine)
                    self.votes_table_ready = True
                passages = knowledge_base().answers[data["answer_id"]].citations
                feedback.record(store.engine, data["sender"], data["answer_id"], data["helpful"], data["reason"],
                                passages)
            except Exception as error:  # the store failed: the widget offers a quiet retry
                logger.error("could not record a vote of conversation %s: %s: %s; at %s",
                             conversation_tag(data["sender"]), type(error).__name__, cause(error, data["sender"]),
                             frames(error))
                return response.json({"error": "the vote could not be stored"}, status=503)
            return response.json({"status": "recorded"})

        return chat

    def wait(self, request: Request, sender: str) -> float:
        """Seconds until this address and sender may send again (0: now). Votes count as messages."""
        return max(self.per_address.take(request.remote_addr or request.ip or "?"), self.per_sender.take(sender))

    async def offered(self, request: Request, sender: str) -> Set[str]:
        tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
        if not tracker:
            return set()
        return offered_payloads(list(tracker.events)) | set(tracker.get_slot("offered_payloads") or [])


def refuse_body(request: Request) -> Optional[HTTPResponse]:
    if len(request.body or b"") > MAX_BODY_BYTES:
        return response.json({"error": f"the request is larger than {MAX_BODY_BYTES} bytes"}, status=413)
    if (request.content_type or "").split(";")[0].strip().lower() != "application/json":
        # A text/plain post needs no CORS preflight: any web page could make its visitors' browsers send one.
        return response.json({"error": "the body must be sent as application/json"}, status=415)
    return None


def given_answers(events: List[Any]) -> Set[str]:
    """The answers this conversation was given (the `custom` of its bot messages)."""
    given = set()
    for e in events:
        if isinstance(e, BotUttered):
            custom = (e.data or {}).get("custom") or {}
            if custom.get("kind") == "answer" and custom.get("answer_id"):
                given.add(custom["answer_id"])
    return given


def parse_vote(body: bytes) -> Tuple[Dict[str, Any], Optional[str]]:
    """({"sender", "answer_id", "helpful", "reason"}, None), or ({}, what is wrong with the request)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}, "the body must be JSON in UTF-8"
    if not isinstance(data, dict):
        return {}, 'the body must be a JSON object: {"sender": "...", "answer_id": "...", "helpful": true}'
    sender, answer_id, helpful, reason = (data.get(k) for k in ("sender", "answer_id", "helpful", "reason"))
    if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
        return {}, "`sender` must be 1 to 128 letters, digits or ._:@-"
    if not isinstance(answer_id, str) or answer_id not in knowledge_base().answers:
        return {}, "`answer_id` must be the id of an answer"
    if not isinstance(helpful, bool):
        return {}, "`helpful` must be true or false"
    if reason is not None and not isinstance(reason, str):
        return {}, "`reason` must be a string"
    reason = clean_text(reason or "")
    if len(reason) > feedback.MAX_REASON_CHARS:
        return {}, f"`reason` must be at most {feedback.MAX_REASON_CHARS} characters"
    return {"sender": sender, "answer_id": answer_id, "helpful": helpful, "reason": reason or None}, None


def parse(body: bytes) -> Tuple[str, str, Optional[str]]:
    """(sender, message, None), or ("", "", what is wrong with the request)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return "", "", "the body must be JSON in UTF-8"
    if not isinstance(data, dict):
        return "", "", 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    sender, text = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
        return "", "", "`sender` must be 1 to 128 letters, digits or ._:@-"
    if not isinstance(text, str):
        return "", "", "`message` must be a string"
    return sender, text, None


def frames(error: Exception) -> str:
    """Where it happened, innermost last: file, line and function of each stack frame, never values (which
    may hold message text)."""
    stack = traceback.extract_tb(error.__traceback__)[-MAX_LOGGED_FRAMES:]
    return " > ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in stack) or "?"


def cause(error: Exception, sender: str) -> str:
    """What went wrong, for the log: a database error without its statement and parameters (which may hold
    message text), and the sender id replaced by its tag."""
    reason = str(getattr(error, "orig", None) or error).strip()
    return (reason.splitlines() or [""])[0][:200].replace(sender, conversation_tag(sender))
