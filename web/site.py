"""The web side of the Rasa server: the chat widget's files, its configuration, and each article as a
readable page with an anchor per passage. Registered as an input channel in credentials.yml, mounted at /.

  GET /widget/chat.js, /widget/chat.css   the widget (web/static/)
  GET /widget/config                      clinic name, disclaimer and emergency number for the widget
  GET /sources/<source_id>                the article, passage <span id="<passage_id>">, target highlighted
"""
from functools import lru_cache
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.clinic import clinic
from actions.knowledge import knowledge_base

STATIC = Path(__file__).resolve().parent / "static"
FILES = {"chat.js": "application/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {
    **COMMON_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}


@lru_cache(maxsize=None)
def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@lru_cache(maxsize=None)
def source_page(source_id: str) -> str:
    """The article as HTML: sections as headings, paragraphs of passages, each passage addressable."""
    kb = knowledge_base()
    source = kb.sources[source_id]
    passages = [p for p in kb.passages.values() if p.source_id == source_id]
    body = []
    for section, in_section in groupby(passages, key=lambda p: p.section):
        body.append(f"<h2>{escape(section)}</h2>")
        for _, in_paragraph in groupby(in_section, key=lambda p: p.paragraph):
            spans = " ".join(f'<span class="passage" id="{escape(p.id)}">{escape(p.text)}</span>' for p in in_paragraph)
            body.append(f"<p>{spans}</p>")
    origin = (
        f'<p class="origin">Original article: <a href="{escape(source.url)}" rel="noopener noreferrer">'
        f"{escape(source.url)}</a></p>"
        if source.url
        else '<p class="origin">The original address of this article is not known.</p>'
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(source.title)} - {escape(clinic()["name"])}</title>
<style>
  body {{ font: 18px/1.6 system-ui, sans-serif; color: #1a1a1a; background: #fff; max-width: 46rem;
         margin: 0 auto; padding: 1rem 1.25rem 4rem; }}
  h1 {{ font-size: 1.6rem; line-height: 1.3; }}
  h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
  a {{ color: #0b57d0; }}
  .passage {{ scroll-margin-top: 30vh; }}
  .passage:target {{ background: #fff3b0; outline: 3px solid #b8860b; border-radius: 3px; }}
  .origin, .note {{ color: #444; font-size: 0.95rem; }}
</style>
</head>
<body>
<main>
<p class="note">From {escape(clinic()["name"])}. The highlighted passage is the one the assistant quoted.</p>
<h1>{escape(source.title)}</h1>
{origin}
{chr(10).join(body)}
</main>
</body>
</html>
"""


class WebSite(InputChannel):
    """Serves the widget and the source pages; it receives no chat messages (the REST channel does)."""

    @classmethod
    def name(cls) -> Text:
        return "web"

    def url_prefix(self) -> Text:
        return "/"  # routes at /widget/... and /sources/..., not under /webhooks/

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        site = Blueprint("clinic_site", __name__)

        @site.route("/widget/<name>", methods=["GET"])
        async def widget_file(request: Request, name: str) -> HTTPResponse:
            if name == "config":
                return response.json(widget_config(), headers=COMMON_HEADERS)
            if name not in FILES:
                return response.text("not found", status=404)
            headers = {**COMMON_HEADERS, "Cache-Control": "no-cache"}
            return response.raw(_static(name), content_type=FILES[name], headers=headers)

        @site.route("/sources/<source_id>", methods=["GET"])
        async def source(request: Request, source_id: str) -> HTTPResponse:
            if source_id not in knowledge_base().sources:
                return response.text("no such article", status=404)
            return response.html(source_page(source_id), headers=PAGE_HEADERS)

        return site


def widget_config() -> Dict[str, Any]:
    details = clinic()
    return {
        "clinic": details["name"],
        "disclaimer": knowledge_base().message("disclaimer"),
        "emergency_number": details["emergency_number"],
    }
