"""The web pages the Rasa server serves: the widget's files, its demo pages and the agent console.

Only the files listed here are served (no directory is exposed), each with the
headers a government page embedding the widget expects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.knowledge import KnowledgeBase, shared_knowledge
from bot.paths import WEB_DIR

WIDGET_PREFIX = "widget_"
CONSOLE_PREFIX = "console_"

# Served path -> (file under web/, content type).
FILES: dict[str, tuple[str, str]] = {
    "widget/carrefour.js": ("widget/carrefour.js", "text/javascript; charset=utf-8"),
    "widget/carrefour.css": ("widget/carrefour.css", "text/css; charset=utf-8"),
    "widget/socket.io.min.js": (
        "node_modules/socket.io-client/dist/socket.io.min.js",
        "text/javascript; charset=utf-8",
    ),
    "demo/": ("demo/index.html", "text/html; charset=utf-8"),
    "demo/fr/": ("demo/fr.html", "text/html; charset=utf-8"),
    "console/": ("console/index.html", "text/html; charset=utf-8"),
    "console/console.js": ("console/console.js", "text/javascript; charset=utf-8"),
    "console/console.css": ("console/console.css", "text/css; charset=utf-8"),
}

# The console is a tool for agents: nothing but its own files may run or load there.
CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def interface_texts(kb: KnowledgeBase, prefix: str) -> dict[str, dict[str, str]]:
    """The interface's labels, by language, from the knowledge-base messages named ``prefix*``.

    Args:
        kb: The knowledge base.
        prefix: ``widget_`` or ``console_``.

    Returns:
        ``{"en": {name: text}, "fr": {name: text}}`` with the prefix removed from the names.
    """
    texts: dict[str, dict[str, str]] = {"en": {}, "fr": {}}
    for name, text in kb.messages.items():
        if name.startswith(prefix):
            for lang, table in texts.items():
                table[name[len(prefix) :]] = text.get(lang)
    return texts


def _headers(path: str) -> dict[str, str]:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}
    if path.startswith("console/"):
        headers["Content-Security-Policy"] = CONSOLE_POLICY
        headers["Cache-Control"] = "no-store"
    if path.startswith("widget/"):
        # The widget's files are loaded by pages on other government domains.
        headers["Access-Control-Allow-Origin"] = "*"
    return headers


class WebPagesInput(InputChannel):
    """Serves the widget, the demo pages and the agent console page (no messages come in here)."""

    def __init__(self, root: Path | None = None) -> None:
        """Serve the files under ``root`` (``web/`` by default)."""
        self.root = root or WEB_DIR

    @classmethod
    def name(cls) -> str:
        """The channel's name in credentials.yml's logs."""
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebPagesInput:
        """No options: the files are the project's."""
        return cls()

    def url_prefix(self) -> str:
        """Served from the root of the server, not under ``/webhooks``."""
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The routes of the listed files and of the interface labels."""
        pages = Blueprint("carrefour_web", __name__)

        @pages.get("/widget/i18n.json")
        async def widget_texts(_: Request) -> HTTPResponse:
            return response.json(
                interface_texts(shared_knowledge(), WIDGET_PREFIX), headers=_headers("widget/")
            )

        @pages.get("/console/i18n.json")
        async def console_texts(_: Request) -> HTTPResponse:
            return response.json(
                interface_texts(shared_knowledge(), CONSOLE_PREFIX), headers=_headers("console/")
            )

        for served, (relative, content_type) in FILES.items():
            pages.add_route(
                self._file_handler(served, relative, content_type),
                "/" + served,
                methods=["GET"],
                name="file_" + served.replace("/", "_").replace(".", "_"),
                strict_slashes=False,
            )
        return pages

    def _file_handler(
        self, served: str, relative: str, content_type: str
    ) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse]]:
        path = self.root / relative

        async def serve(_: Request) -> HTTPResponse:
            if not path.is_file():
                return response.json({"error": f"{served} is not installed"}, status=404)
            return await response.file(path, mime_type=content_type, headers=_headers(served))

        return serve
