"""The website chat widget, served by Rasa itself.

Rasa mounts this channel's blueprint at /webhooks/widget/:

- GET /webhooks/widget/static/<file>  the widget's files (bot/channels/widget/static/):
  asskomm-widget.js, asskomm-widget.css and the vendored socket.io client. Nothing from a CDN.
- GET /webhooks/widget/               a German demo page that embeds the widget with one tag.
- GET /webhooks/widget/datenschutz    redirects to the privacy notice (ASSKOMM_PRIVACY_URL); the
  widget links it above the conversation.

The channel handles no messages: the widget talks to Rasa over the socket.io channel
(bot/channels/socketio.py). It is switched on in bot/channels/credentials.py with
`"bot.channels.web.WidgetChannel": {}`; `{"demo_page": false}` hides the demo page.

Embedding on a website:

    <script src="https://bot.example.de/webhooks/widget/static/asskomm-widget.js"
            data-bot-url="https://bot.example.de" data-title="ASSKomm-Assistent"
            data-primary-color="#005a9c" data-greeting="/greet" defer></script>
"""
from __future__ import annotations

import hashlib
import html
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text
from urllib.parse import unquote

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import get_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "widget" / "static"

# Only these kinds of files are served; anything else is a 404, whatever lies in the folder.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
LICENCE_NAMES = {"LICENSE", "LICENCE"}

# Browsers keep the files an hour and then ask again (a 304 costs nothing), so a new widget
# version reaches every website within an hour without renamed files.
CACHE_CONTROL = "public, max-age=3600, must-revalidate"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The files are meant to be embedded by other sites (also those that set COEP).
    "Cross-Origin-Resource-Policy": "cross-origin",
}

# The demo page is as strict as a careful public-sector site: the widget needs no inline
# script or style and no third-party origin.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'; object-src 'none'"
)


def resolve_static(name: str, root: Path = STATIC_DIR) -> Optional[Path]:
    """The file under `root` that `name` (as it came in the URL) means, or None.

    Refuses anything that could leave the folder or reveal what is not meant to be served:
    '..', absolute paths, backslashes, NUL, hidden files, encoded variants of these, file
    types outside CONTENT_TYPES, symlinks pointing outside, directories."""
    name = unquote(name)
    if not name or len(name) > 200 or "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if Path(parts[-1]).suffix.lower() not in CONTENT_TYPES and parts[-1] not in LICENCE_NAMES:
        return None
    base = root.resolve()
    try:
        path = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if base not in path.parents or not path.is_file():
        return None
    return path


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "text/plain; charset=utf-8")


def demo_page(origin: str) -> str:
    """A plain German page with the widget on it and the code to embed it elsewhere."""
    snippet = (
        f'<script src="{origin}/webhooks/widget/static/asskomm-widget.js"\n'
        f'        data-bot-url="{origin}" data-title="ASSKomm-Assistent"\n'
        '        data-primary-color="#005a9c" data-greeting="/greet" defer></script>'
    )
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo: ASSKomm-Chat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/demo.css">
</head>
<body>
<header><p class="demo-brand">Allianz Sichere Sächsische Kommunen</p></header>
<main id="inhalt">
<h1>Demo: ASSKomm-Chat</h1>
<p>Diese Seite zeigt den Chat-Assistenten der Allianz Sichere Sächsische Kommunen (ASSKomm)
so, wie er auf der Website einer Kommune erscheint. Öffnen Sie den Chat mit der Schaltfläche
<strong>„Chat öffnen“</strong> unten rechts und stellen Sie eine Frage, zum Beispiel:</p>
<ul>
<li>Was ist ASSKomm?</li>
<li>Wie kann unsere Gemeinde bei ASSKomm mitmachen?</li>
<li>Ist Werdau Mitglied bei ASSKomm?</li>
</ul>
<p>Der Assistent beantwortet Fragen aus seinen Quellen und nennt zu jeder Antwort Quelle und
Stand. Der Gesprächsverlauf bleibt in diesem Browser gespeichert, auch wenn Sie die Seite neu
laden. Bitte geben Sie im Chat keine Daten ein, die Sie nicht weitergeben möchten.</p>
<h2>Einbinden auf Ihrer Website</h2>
<p>Fügen Sie diese eine Zeile vor dem Ende des <code>&lt;body&gt;</code> Ihrer Seiten ein:</p>
<pre><code>{html.escape(snippet)}</code></pre>
<p>Optionen: <code>data-title</code> (Titel des Chatfensters), <code>data-primary-color</code>
(Hausfarbe; Farben mit zu wenig Kontrast zu weißer Schrift ersetzt der Chat durch ein
sicheres Blau), <code>data-greeting</code> (Nachricht, die beim allerersten Öffnen gesendet
wird), <code>data-open="true"</code> (Chat beim Laden geöffnet).</p>
</main>
<script src="static/asskomm-widget.js" data-title="ASSKomm-Assistent"
        data-primary-color="#005a9c" data-greeting="/greet" defer></script>
</body>
</html>
"""


class WidgetChannel(InputChannel):
    """Serves the website widget's files and a demo page; messages go over socket.io."""

    def __init__(self, demo_page: bool = True, static_dir: Path = STATIC_DIR) -> None:
        self.demo_page = demo_page
        self.static_dir = static_dir

    @classmethod
    def name(cls) -> Text:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "InputChannel":
        credentials = credentials or {}
        return cls(demo_page=bool(credentials.get("demo_page", True)))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("asskomm_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            if not self.demo_page:
                return response.text("Nicht gefunden.", status=404)
            if not request.path.endswith("/"):
                # the page loads its files relative to /webhooks/widget/ (also behind a proxy prefix)
                return response.redirect(f"{request.path.rsplit('/', 1)[-1]}/", status=301)
            origin = f"{request.scheme}://{request.host}"
            return response.html(demo_page(origin), headers={
                **COMMON_HEADERS, "Content-Security-Policy": DEMO_CSP, "Cache-Control": "no-cache",
                "Referrer-Policy": "no-referrer",
            })

        @widget.route("/datenschutz", methods=["GET"])
        async def privacy(request: Request) -> HTTPResponse:
            # The widget links here, so websites need not know ASSKOMM_PRIVACY_URL.
            return response.redirect(get_settings().privacy_url, status=302,
                                     headers={**COMMON_HEADERS, "Cache-Control": "no-cache"})

        @widget.route("/static/<name:path>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            path = resolve_static(name, self.static_dir)
            if path is None:
                return response.text("Nicht gefunden.", status=404, headers=COMMON_HEADERS)
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            headers = {**COMMON_HEADERS, "Cache-Control": CACHE_CONTROL, "ETag": etag}
            if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
                return response.empty(status=304, headers=headers)
            return response.raw(data, content_type=content_type(path), headers=headers)

        return widget
