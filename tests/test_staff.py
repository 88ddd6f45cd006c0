"""Votes and the staff report over HTTP: a vote is stored against an answer the conversation was given; /staff
shows the report to signed-in staff only (web/staff.py, web/channel.py)."""
import http.client
import json
import sqlite3
import time
import uuid
from urllib.parse import urlencode

import pytest

from tests.conftest import STAFF_PASSWORD, post
from web import staff

pytestmark = pytest.mark.servers


def request(url, method, path, body=b"", headers=None, address="127.0.0.1"):
    """(status, headers, text) of one request from a chosen loopback address (the sign-in limit is per address)."""
    host, port = url.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(address, 0))
    connection.request(method, path, body, headers or {})
    reply = connection.getresponse()
    result = reply.status, reply.headers, reply.read().decode("utf-8", "replace")
    connection.close()
    return result


def vote(url, body, content_type="application/json"):
    status, _, text = request(url, "POST", "/webhooks/rest/feedback", json.dumps(body).encode(),
                              {"Content-Type": content_type})
    return status, json.loads(text) if text.startswith("{") else text


def sign_in(url, password, address):
    return request(url, "POST", "/staff/login", urlencode({"password": password}).encode(),
                   {"Content-Type": "application/x-www-form-urlencoded"}, address)


def session_cookie(headers) -> str:
    cookie = headers.get("Set-Cookie", "")
    return cookie.split(";")[0]


# ---- votes ------------------------------------------------------------------------------------------------

def test_a_vote_on_a_given_answer_is_stored_with_its_passages(server_url, server_folder):
    sender = uuid.uuid4().hex
    status, messages = post(server_url, {"sender": sender, "message": "how often do i need botox for my neck"})
    answer = [m["custom"] for m in messages if "custom" in m][-1]
    assert answer["answer_id"] == "cd_botox_frequency"
    assert vote(server_url, {"sender": sender, "answer_id": "cd_botox_frequency", "helpful": False,
                             "reason": "it did not say how long one lasts"}) == (200, {"status": "recorded"})
    # One vote per answer: changing it replaces it.
    assert vote(server_url, {"sender": sender, "answer_id": "cd_botox_frequency", "helpful": True})[0] == 200
    with sqlite3.connect(server_folder / "conversations.db") as db:
        rows = db.execute("SELECT helpful, reason, passage_ids FROM answer_votes WHERE sender_id = ?", (sender,)).fetchall()
        events = db.execute("SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)).fetchone()
    assert rows == [(1, None, " ".join(c["passage_id"] for c in answer["citations"]))]
    assert events == (1,)  # a vote is not a message


def test_a_vote_on_an_answer_not_given_or_a_bad_vote_is_refused(server_url):
    sender = uuid.uuid4().hex
    post(server_url, {"sender": sender, "message": "what is cervical dystonia"})
    assert vote(server_url, {"sender": sender, "answer_id": "cd_dbs_what", "helpful": True})[0] == 404
    assert vote(server_url, {"sender": uuid.uuid4().hex, "answer_id": "cd_what_is", "helpful": True})[0] == 404
    assert vote(server_url, {"sender": sender, "answer_id": "no_such_answer", "helpful": True})[0] == 400
    assert vote(server_url, {"sender": sender, "answer_id": "cd_what_is", "helpful": "yes"})[0] == 400
    assert vote(server_url, {"sender": sender, "answer_id": "cd_what_is", "helpful": False, "reason": "x" * 301})[0] == 400
    assert vote(server_url, {"sender": sender, "answer_id": "cd_what_is", "helpful": True}, "text/plain")[0] == 415
    assert vote(server_url, {"sender": sender, "answer_id": "cd_what_is", "helpful": True})[0] == 200


# ---- /staff -----------------------------------------------------------------------------------------------

def test_no_password_a_wrong_one_or_a_forged_or_expired_cookie_shows_nothing(server_url):
    sender = uuid.uuid4().hex
    post(server_url, {"sender": sender, "message": "does my insurance pay for the parking garage"})
    status, _, text = request(server_url, "GET", "/staff")
    assert status == 200 and 'name="password"' in text and "Content gaps" not in text
    status, headers, text = sign_in(server_url, "guess", "127.0.0.21")
    assert status == 401 and "Content gaps" not in text and "Set-Cookie" not in headers
    forged = staff.new_session("some other password")
    expired = staff.new_session(STAFF_PASSWORD, now=time.time() - staff.SESSION_SECONDS - 1)
    for cookie in (f"{staff.COOKIE}={forged}", f"{staff.COOKIE}={expired}", f"{staff.COOKIE}=1.x.y", f"{staff.COOKIE}="):
        status, _, text = request(server_url, "GET", "/staff", headers={"Cookie": cookie})
        assert "Content gaps" not in text and 'name="password"' in text, cookie


def test_signed_in_staff_see_the_report_and_sign_out_ends_it(server_url):
    status, headers, _ = sign_in(server_url, STAFF_PASSWORD, "127.0.0.22")
    assert status == 303 and headers["Location"] == "/staff"
    set_cookie = headers["Set-Cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/staff" in set_cookie
    assert "secure" not in set_cookie  # plain HTTP here; over HTTPS it is Secure (test below)
    cookie = session_cookie(headers)
    status, headers, text = request(server_url, "GET", "/staff", headers={"Cookie": cookie})
    assert status == 200 and "Content gaps" in text and "Sign out" in text
    assert headers["Cache-Control"] == "no-store"
    status, headers, _ = request(server_url, "POST", "/staff/logout", headers={"Cookie": cookie})
    assert status == 303 and "max-age=0" in headers["Set-Cookie"].lower()


def test_the_cookie_is_secure_behind_https(server_url):
    status, headers, _ = request(server_url, "POST", "/staff/login", urlencode({"password": STAFF_PASSWORD}).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-Proto": "https"},
                                 "127.0.0.23")
    assert status == 303 and "secure" in headers["Set-Cookie"].lower()


def test_sign_in_attempts_are_limited(server_url):
    statuses = [sign_in(server_url, "guess", "127.0.0.24")[0] for _ in range(staff.LOGIN_ATTEMPTS + 1)]
    assert statuses[:staff.LOGIN_ATTEMPTS] == [401] * staff.LOGIN_ATTEMPTS and statuses[-1] == 429
    assert sign_in(server_url, STAFF_PASSWORD, "127.0.0.24")[0] == 429  # even the right password waits


def test_cors_never_opens_the_staff_pages(server_url, demo_port):
    origin = f"http://localhost:{demo_port}"  # allowed for the chat
    status, headers, _ = request(server_url, "OPTIONS", "/staff/login", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = request(server_url, "GET", "/staff", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = request(server_url, "OPTIONS", "/webhooks/rest/webhook", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == origin
