"""The web side over HTTP: widget files, size budget, CORS, article pages with passage anchors."""
import gzip
import uuid

import pytest
import requests

from tests.conftest import ROOT

pytestmark = pytest.mark.servers
MAX_WIDGET_GZIPPED = 30 * 1024


def test_widget_files_are_served_with_the_right_types(server_url):
    js = requests.get(f"{server_url}/widget/chat.js", timeout=10)
    css = requests.get(f"{server_url}/widget/chat.css", timeout=10)
    assert js.status_code == css.status_code == 200
    assert js.headers["Content-Type"].startswith("application/javascript")
    assert css.headers["Content-Type"].startswith("text/css")
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{server_url}/widget/other.js", timeout=10).status_code == 404
    assert requests.get(f"{server_url}/widget/..%2Fsite.py", timeout=10).status_code == 404


def test_widget_stays_within_its_size_budget():
    size = sum(len(gzip.compress((ROOT / "web/static" / f).read_bytes())) for f in ("chat.js", "chat.css"))
    print(f"widget JS + CSS gzipped: {size} bytes")
    assert size <= MAX_WIDGET_GZIPPED


def test_widget_config_comes_from_the_clinic_file(server_url):
    config = requests.get(f"{server_url}/widget/config", timeout=10).json()
    assert config["clinic"] == "Example Spine & Movement Clinic" and config["emergency_number"] == "911"
    assert "automated assistant" in config["disclaimer"]


def test_cors_allows_the_clinic_origin_and_no_other(server_url):
    body = {"sender": uuid.uuid4().hex, "message": "hello"}
    allowed = requests.post(f"{server_url}/webhooks/rest/webhook", json=body,
                            headers={"Origin": "http://localhost:8000"}, timeout=30)
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://localhost:8000"
    other = requests.post(f"{server_url}/webhooks/rest/webhook", json=body,
                          headers={"Origin": "https://evil.example"}, timeout=30)
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = requests.options(f"{server_url}/webhooks/rest/webhook", timeout=10, headers={
        "Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == "http://localhost:8000"
    assert preflight.headers.get("Access-Control-Max-Age") == "600"
    assert "None" not in " ".join(preflight.headers.values())
    assert "Access-Control-Allow-Credentials" not in allowed.headers


def test_cors_answers_only_an_exactly_allowed_origin(server_url):
    body = {"sender": uuid.uuid4().hex, "message": "hello"}
    for headers in ({}, {"Origin": "HTTP://LOCALHOST:8000"}, {"Origin": "http://localhost:8000.evil.example"}):
        got = requests.post(f"{server_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=30)
        assert not any(h.lower().startswith("access-control") for h in got.headers), (headers, got.headers)
    refused = requests.options(f"{server_url}/webhooks/rest/webhook", timeout=10, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.parametrize("path", ["/", "/webhooks/rest/", "/widget/config", "/widget/chat.js", "/no/such/page"])
def test_every_response_carries_the_security_headers(server_url, path):
    got = requests.get(f"{server_url}{path}", timeout=10)
    assert got.headers.get("X-Content-Type-Options") == "nosniff"
    assert got.headers.get("X-Frame-Options") == "DENY" and got.headers.get("Referrer-Policy") == "no-referrer"


def test_the_root_names_no_version(server_url):
    got = requests.get(f"{server_url}/", timeout=10)
    assert got.json() == {"status": "ok"} and "Rasa" not in got.text and "3.6" not in got.text


def test_each_article_is_a_page_with_an_anchor_per_passage(server_url, kb):
    for source_id, source in kb.sources.items():
        page = requests.get(f"{server_url}/sources/{source_id}", timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        html = page.text
        for passage in kb.passages.values():
            if passage.source_id == source_id:
                assert f'id="{passage.id}"' in html
        if source.url:
            assert f'href="{source.url}"' in html
        else:
            assert "original address of this article is not known" in html
    assert "Parkinson’s disease" in requests.get(f"{server_url}/sources/cervical-dystonia", timeout=10).text
    assert requests.get(f"{server_url}/sources/nope", timeout=10).status_code == 404


def test_article_text_is_escaped(server_url):
    html = requests.get(f"{server_url}/sources/muscle-spasms", timeout=10).text
    assert "&quot;loose&quot;" in html  # the article's quotes arrive as text, not markup
