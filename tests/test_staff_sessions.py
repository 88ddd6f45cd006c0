"""Staff sessions without a server (web/staff.py): signed, expiring, tied to the password."""
import time

from web import staff


def test_a_session_is_valid_for_its_password_until_it_expires():
    token = staff.new_session("pw-one")
    assert staff.valid_session(token, "pw-one")
    assert not staff.valid_session(token, "pw-two")  # a new password signs everyone out
    assert not staff.valid_session(token, "")  # no password: nobody is signed in
    assert not staff.valid_session(token, "pw-one", now=time.time() + staff.SESSION_SECONDS + 1)


def test_a_tampered_session_is_refused():
    expires, nonce, signature = staff.new_session("pw").split(".")
    later = str(int(expires) + 10**6)
    for token in (f"{later}.{nonce}.{signature}", f"{expires}.other.{signature}", f"{expires}.{nonce}.{'0' * 64}",
                  "", "x", f"{expires}.{nonce}", f"-1.{nonce}.{signature}"):
        assert not staff.valid_session(token, "pw"), token


def test_passwords_are_compared_whole():
    assert staff.password_matches("secret", "secret")
    assert not staff.password_matches("secre", "secret") and not staff.password_matches("", "secret")
