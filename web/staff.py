"""The staff report at /staff, for the clinic's content owner: what patients ask, which answers help, and the
questions the articles do not cover (web/report.py builds it from the conversation store).

  GET  /staff               the report (signed in), or the sign-in form;  ?days=N (1-365, default 30)
  POST /staff/login         form field `password`: signs in when it equals STAFF_PASSWORD
  POST /staff/logout        signs out

- Without STAFF_PASSWORD in the environment every /staff address answers 404: the pages do not exist.
- The password is compared in constant time; STAFF_LOGIN_ATTEMPTS attempts a minute per address (default 5).
- Signed in means a cookie holding an expiry time and a random part, signed with a key derived from the
  password (HMAC-SHA256): HttpOnly, SameSite=Strict, Path=/staff, Secure when the request came over HTTPS
  (directly or through nginx's X-Forwarded-Proto). Every replica with the same password accepts it; changing
  the password signs everyone out. Sign-out clears the cookie in the browser; a copied cookie stays valid until
  it expires (STAFF_SESSION_HOURS, default 8).
- CORS never applies here (web/rasa_patches.py), and deploy/nginx.conf serves /staff only to the clinic's own
  network unless the operator opens it.
"""
import asyncio
import hashlib
import hmac
import os
import secrets
import time
from html import escape
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from web import feedback, report
from web.channel import RateLimiter

COOKIE = "staff_session"
SESSION_SECONDS = float(os.environ.get("STAFF_SESSION_HOURS", 8)) * 3600
LOGIN_ATTEMPTS = int(os.environ.get("STAFF_LOGIN_ATTEMPTS", 5))  # a minute, per address
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def password() -> str:
    return os.environ.get("STAFF_PASSWORD", "")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"clinic-faq staff session", hashlib.sha256).digest()


def new_session(secret: str, now: Optional[float] = None) -> str:
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    body = f"{expires}.{secrets.token_urlsafe(16)}"
    return f"{body}.{hmac.new(_key(secret), body.encode(), hashlib.sha256).hexdigest()}"


def valid_session(token: str, secret: str, now: Optional[float] = None) -> bool:
    """Signed with this password's key, and not expired."""
    expires, _, rest = (token or "").partition(".")
    nonce, _, signature = rest.partition(".")
    if not (secret and expires.isdigit() and nonce and signature):
        return False
    expected = hmac.new(_key(secret), f"{expires}.{nonce}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, expected) and int(expires) > (now if now is not None else time.time())


def password_matches(given: str, secret: str) -> bool:
    # Digests first: compare_digest then takes the same time whatever the length of the guess.
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(secret.encode()).digest())


def over_https(request: Request) -> bool:
    return request.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }}
label, input, button {{ font: inherit; }} input {{ padding: .4rem; }} button {{ padding: .4rem 1rem; }}
.error {{ color: #a50e0e; }}</style></head>
<body><main>{body}</main></body></html>"""


def login_page(message: str = "") -> str:
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return page("Staff sign-in", f"""<h1>Staff sign-in</h1>{error}
<form method="post" action="/staff/login">
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Sign in</button></p></form>""")


def signed_out(status: int = 200, message: str = "") -> HTTPResponse:
    return response.html(login_page(message), status=status, headers=HEADERS)


def sign_out_form() -> str:
    return ('<form method="post" action="/staff/logout" style="text-align:right">'
            '<button type="submit">Sign out</button></form>')


class StaffPages(InputChannel):
    """Registered in credentials.yml; it receives no chat messages."""

    @classmethod
    def name(cls) -> Text:
        return "staff"

    def url_prefix(self) -> Text:
        return "/"

    def __init__(self) -> None:
        self.attempts = RateLimiter.for_workers(LOGIN_ATTEMPTS, "staff login")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        staff = Blueprint("staff_pages", __name__)

        def signed_in(request: Request) -> bool:
            return valid_session(request.cookies.get(COOKIE, ""), password())

        @staff.route("/staff", methods=["GET"])
        async def show(request: Request) -> HTTPResponse:
            if not password():
                return response.text("not found", status=404)
            if not signed_in(request):
                return signed_out()
            try:
                days = min(max(int(request.args.get("days", 30)), 1), 365)
            except ValueError:
                days = 30
            engine = getattr(request.app.ctx.agent.tracker_store, "engine", None)
            if engine is None:
                return response.text("The report needs an SQL conversation store.", status=501, headers=HEADERS)

            def build() -> str:
                feedback.create_table(engine)
                return report.html(report.build(engine, days=days))

            # Seconds of work for a large store: off the event loop, so patients' messages are not held up.
            text = await asyncio.get_running_loop().run_in_executor(None, build)
            return response.html(text.replace("<body>", "<body>" + sign_out_form(), 1), headers=HEADERS)

        @staff.route("/staff/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            secret = password()
            if not secret:
                return response.text("not found", status=404)
            wait = self.attempts.take(request.remote_addr or request.ip or "?")
            if wait:
                return signed_out(429, f"Too many attempts. Please wait {int(wait) + 1} seconds.")
            given = (request.form.get("password") or "") if request.form else ""
            if not password_matches(given, secret):
                return signed_out(401, "That password is not right.")
            reply = response.redirect("/staff", status=303, headers=HEADERS)
            reply.cookies[COOKIE] = new_session(secret)
            cookie = reply.cookies[COOKIE]
            cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", "/staff"
            cookie["max-age"] = int(SESSION_SECONDS)
            if over_https(request):
                cookie["secure"] = True
            return reply

        @staff.route("/staff/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            if not password():
                return response.text("not found", status=404)
            reply = response.redirect("/staff", status=303, headers=HEADERS)
            reply.cookies[COOKIE] = ""
            reply.cookies[COOKIE]["path"] = "/staff"
            reply.cookies[COOKIE]["max-age"] = 0
            return reply

        return staff
