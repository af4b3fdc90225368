"""The website chat widget in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright), against the real bot: action server and Rasa as processes, spoken to over Rasa's
socket.io channel, the widget served by bot/channels/web.py.

Nothing is skipped: without Chromium or Playwright the tests fail and say why."""
from __future__ import annotations

import http.client
import http.server
import json
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bot.channels.web import resolve_static
from bot.config import Settings
from tests.conftest import ROOT, bot_running, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "bot" / "channels" / "widget" / "test-support" / "axe.min.js"
SCREENSHOTS = ROOT / "results" / "screenshots"
REPLY_MS = 90_000  # the first answers of a fresh Rasa process take a few seconds
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}



# ---------------------------------------------------------------- the bot, with the widget channel


@pytest.fixture(scope="module")
def widget_bot(trained_model, tmp_path_factory):
    """Rasa with the widget channel (listed in bot/channels/credentials.py)."""
    with bot_running(trained_model, tmp_path_factory.mktemp("widget-state"),
                     cors_origins=COMMUNE_SITE) as (settings, processes):
        yield settings, processes


# The commune's website of test_embedded_on_another_site_with_its_options: the one other
# origin the bot is configured for (any other is refused, see tests/test_privacy_*.py).
COMMUNE_SITE_PORT = free_port()
COMMUNE_SITE = f"http://127.0.0.1:{COMMUNE_SITE_PORT}"


def base(settings: Settings) -> str:
    return f"http://localhost:{settings.rasa_port}"


def demo_url(settings: Settings) -> str:
    return f"{base(settings)}/webhooks/widget/"


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium fehlt: {CHROMIUM} gibt es nicht (Debian: apt-get install -y chromium).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"Playwright fehlt ({error}): pip install playwright (nie `playwright install`).")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - every reason Chromium does not start is a failure
        playwright.stop()
        pytest.fail(f"Chromium ({CHROMIUM}) startet nicht: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


class Problems:
    """JavaScript errors and console errors of a page (CSP violations included)."""

    def __init__(self, page):
        self.items: list[str] = []
        page.on("pageerror", lambda error: self.items.append(f"pageerror: {error}"))
        page.on("console", self._console)
        page.on("response", lambda r: self.items.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def _console(self, msg):
        if msg.type == "error":
            self.items.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    def assert_none(self):
        # browsers ask for /favicon.ico on their own on other sites; nothing else may fail
        relevant = [p for p in self.items if "favicon.ico" not in p]
        assert not relevant, relevant


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="de-DE")
    yield ctx
    ctx.close()


def open_demo(context, settings):
    page = context.new_page()
    problems = Problems(page)
    page.goto(demo_url(settings))
    return page, problems


def open_chat(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Chat öffnen").click()
    expect(page.get_by_role("dialog", name="ASSKomm-Assistent")).to_be_visible()
    return page.get_by_role("textbox", name="Ihre Nachricht")


def wait_until_ready(page):
    """Connected and in its session: the send button is enabled."""
    from playwright.sync_api import expect

    expect(page.locator("button.ak-send")).to_have_attribute("aria-disabled", "false", timeout=30_000)


def bot_messages(page):
    return page.locator(".ak-msg--bot")


def ask(page, question: str, expect_text: str):
    """Types the question, sends it with Enter and waits for an answer containing expect_text."""
    from playwright.sync_api import expect

    wait_until_ready(page)
    expect(page.locator(".ak-typing")).to_be_hidden(timeout=REPLY_MS)  # e.g. the greeting is answered
    before = bot_messages(page).count()
    box = page.get_by_role("textbox", name="Ihre Nachricht")
    box.fill(question)
    box.press("Enter")
    expect(page.locator(".ak-msg--user .ak-bubble").last).to_have_text(question)
    expect(box).to_have_value("")
    answer = bot_messages(page).nth(before)
    expect(answer).to_be_visible(timeout=REPLY_MS)
    expect(bot_messages(page).filter(has_text=expect_text).last).to_be_visible(timeout=REPLY_MS)
    expect(page.locator(".ak-typing")).to_be_hidden(timeout=REPLY_MS)
    return answer


DEEP_FOCUS = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a) return null;
  const style = getComputedStyle(a);
  return {tag: a.tagName.toLowerCase(), cls: a.className || '', text: (a.textContent || '').trim(),
          disabled: !!a.disabled, outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
}"""


def focused(page) -> dict:
    return page.evaluate(DEEP_FOCUS) or {}


def stored_state(page) -> dict:
    return page.evaluate("""() => {
      const key = Object.keys(localStorage).find(k => k.startsWith('asskomm-widget:v1:') && !k.endsWith(':open'));
      return key ? JSON.parse(localStorage.getItem(key)) : null;
    }""")


# ---------------------------------------------------------------- the files and the demo page over HTTP


def http_get(settings, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A raw request: http.client sends the path exactly as given (no '..' normalisation)."""
    connection = http.client.HTTPConnection("localhost", settings.rasa_port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        connection.close()


def test_demo_page_and_static_files_are_served_safely(widget_bot):
    settings, _ = widget_bot
    status, headers, body = http_get(settings, "/webhooks/widget/")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in page and "<title>Demo: ASSKomm-Chat</title>" in page
    assert page.count("<script") == 1 and 'src="static/asskomm-widget.js"' in page
    assert "default-src 'self'" in headers["content-security-policy"]
    with urllib.request.urlopen(f"{base(settings)}/webhooks/widget", timeout=30) as reply:  # follows the redirect
        assert reply.url.endswith("/webhooks/widget/") and reply.status == 200

    for name, kind in [("asskomm-widget.js", "text/javascript"), ("asskomm-widget.css", "text/css"),
                       ("vendor/socket.io.min.js", "text/javascript"), ("vendor/LICENSE", "text/plain")]:
        status, headers, body = http_get(settings, f"/webhooks/widget/static/{name}")
        assert status == 200 and headers["content-type"].startswith(kind) and body, name
        assert "max-age=" in headers["cache-control"] and headers["x-content-type-options"] == "nosniff"
        status, _, body = http_get(settings, f"/webhooks/widget/static/{name}", {"If-None-Match": headers["etag"]})
        assert status == 304 and body == b""
    assert b"Socket.IO v4" in http_get(settings, "/webhooks/widget/static/vendor/socket.io.min.js")[2][:200]

    for attack in ["../web.py", "%2e%2e/web.py", "..%2Fweb.py", "%2e%2e%2f%2e%2e%2fweb.py", "vendor/../../web.py",
                   "vendor/%2e%2e/%2e%2e/credentials.py", "../test-support/axe.min.js", "..%5cweb.py",
                   "%2fetc%2fpasswd", "/etc/passwd", ".hidden.js", "vendor/", "nichtda.js", "../../../runner.py"]:
        status, _, body = http_get(settings, f"/webhooks/widget/static/{attack}")
        assert status in (400, 404), (attack, status)
        assert b"import" not in body and b"axe v" not in body and b"root:" not in body, attack


def test_the_channel_is_named_widget_and_the_demo_page_can_be_switched_off():
    from bot.channels.web import WidgetChannel

    assert WidgetChannel.name() == "widget" and WidgetChannel().url_prefix() == "widget"
    assert WidgetChannel.from_credentials(None).demo_page is True
    assert WidgetChannel.from_credentials({}).demo_page is True
    assert WidgetChannel.from_credentials({"demo_page": False}).demo_page is False


def test_static_paths_never_leave_the_folder(tmp_path):
    root = tmp_path / "static"
    (root / "vendor").mkdir(parents=True)
    (root / "a.js").write_text("x")
    (root / "vendor" / "b.css").write_text("x")
    (tmp_path / "secret.js").write_text("geheim")
    (root / "link.js").symlink_to(tmp_path / "secret.js")
    (root / "notes.py").write_text("x")
    assert resolve_static("a.js", root) == (root / "a.js").resolve()
    assert resolve_static("vendor/b.css", root) == (root / "vendor" / "b.css").resolve()
    for name in ["../secret.js", "%2e%2e/secret.js", "vendor/../../secret.js", "link.js", "notes.py", "vendor",
                 "", "/a.js", "a.js/", ".a.js", "vendor\\b.css", "a.js\x00.css", "%00a.js"]:
        assert resolve_static(name, root) is None, name


# ---------------------------------------------------------------- talking to the bot in the browser


def test_question_is_answered_with_source_and_safe_links(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    launcher = page.get_by_role("button", name="Chat öffnen")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_have_attribute("aria-controls", "ak-panel")
    box = open_chat(page)
    expect(box).to_be_focused()
    assert focused(page)["tag"] == "textarea"
    expect(page.locator("#asskomm-chat")).to_have_attribute("lang", "de")
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(log).to_have_attribute("aria-relevant", "additions")
    # the greeting (data-greeting="/greet") is answered without showing "/greet"
    expect(bot_messages(page).first).to_contain_text("Guten Tag", timeout=REPLY_MS)
    expect(page.locator(".ak-msg--user")).to_have_count(0)

    answer_from = bot_messages(page).count()
    ask(page, "Was ist ASSKomm?", "Quelle")
    answer = page.locator(".ak-msg--bot .ak-bubble").filter(has_text="Quelle").last
    assert "**" not in answer.inner_text() and "](" not in answer.inner_text()
    links = answer.locator("a")
    assert links.count() >= 1
    for i in range(links.count()):
        link = links.nth(i)
        assert link.get_attribute("href").startswith(("https://", "http://", "mailto:"))
        if not link.get_attribute("href").startswith("mailto:"):
            assert link.get_attribute("target") == "_blank"
            assert "noopener" in link.get_attribute("rel")
    assert bot_messages(page).count() > answer_from
    # empty input is not sent
    before = page.locator(".ak-msg--user").count()
    box.fill("   ")
    box.press("Enter")
    page.get_by_role("button", name="Senden").click()
    page.wait_for_timeout(300)
    expect(page.locator(".ak-msg--user")).to_have_count(before)
    problems.assert_none()


def test_a_reply_button_sends_its_payload_and_older_buttons_are_disabled(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    open_chat(page)
    ask(page, "Was ist ASSKomm?", "Quelle")
    group = page.get_by_role("group", name="Antwortmöglichkeiten").last
    expect(group).to_be_visible()
    message_id = group.locator("xpath=..").get_attribute("data-id")
    button = page.locator(f'.ak-msg[data-id="{message_id}"] button.ak-reply').first
    title = button.inner_text().strip()
    answers_before = bot_messages(page).count()
    button.click()
    expect(page.locator(".ak-msg--user .ak-bubble").last).to_have_text(title)
    expect(bot_messages(page).nth(answers_before)).to_be_visible(timeout=REPLY_MS)
    expect(bot_messages(page).nth(answers_before)).not_to_contain_text("/ask_")
    expect(button).to_be_disabled()
    # the user message shows the title, not the payload
    assert not page.locator(".ak-msg--user .ak-bubble").last.inner_text().startswith("/")
    problems.assert_none()


def test_reload_shows_the_conversation_once_and_it_goes_on(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    open_chat(page)
    ask(page, "Was ist ASSKomm?", "Quelle")
    page.wait_for_timeout(1000)  # all parts of the answer are in
    before = page.locator(".ak-msg .ak-bubble").all_inner_texts()
    session_id = stored_state(page)["sessionId"]

    page.reload()
    # the panel stays open after a reload of the same tab; the messages are there once each
    expect(page.get_by_role("dialog", name="ASSKomm-Assistent")).to_be_visible()
    wait_until_ready(page)
    page.wait_for_timeout(1500)  # a second greeting would arrive now
    assert page.locator(".ak-msg .ak-bubble").all_inner_texts() == before
    assert stored_state(page)["sessionId"] == session_id

    ask(page, "Ist Werdau Mitglied bei ASSKomm?", "11.01.2022")
    # /greet once and both questions: one conversation on the server too. Rasa stores the
    # tracker after it has sent the replies, so wait a moment for the last save.
    for _ in range(40):
        with sqlite3.connect(settings.var_dir / "tracker.db") as db:
            (count,) = db.execute("select count(*) from events where sender_id = ? and type_name = 'user'",
                                  (session_id,)).fetchone()
        if count >= 3:
            break
        page.wait_for_timeout(250)
    assert count == 3
    problems.assert_none()


def test_keyboard_only(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused(page).get("cls") == "ak-launcher":
            break
    state = focused(page)
    assert state.get("cls") == "ak-launcher", state
    assert state["outlineStyle"] != "none" and state["outlineWidth"] >= 2

    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="ASSKomm-Assistent")).to_be_visible()
    assert focused(page)["tag"] == "textarea"
    wait_until_ready(page)
    expect(bot_messages(page).first).to_be_visible(timeout=REPLY_MS)  # greeting

    # Shift+Enter is a new line, not a send
    page.keyboard.type("Zeile eins")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Zeile zwei")
    assert page.get_by_role("textbox", name="Ihre Nachricht").input_value() == "Zeile eins\nZeile zwei"
    assert page.locator(".ak-msg--user").count() == 0
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")

    page.keyboard.type("Was ist ASSKomm?")
    page.keyboard.press("Enter")
    expect(bot_messages(page).filter(has_text="Quelle").last).to_be_visible(timeout=REPLY_MS)
    expect(page.locator("button.ak-reply:not([disabled])").first).to_be_visible(timeout=REPLY_MS)
    page.wait_for_timeout(500)

    for key in ["Enter", " "]:
        for _ in range(10):
            page.keyboard.press("Shift+Tab")
            if focused(page).get("cls") == "ak-reply":
                break
        state = focused(page)
        assert state.get("cls") == "ak-reply" and not state["disabled"], state
        assert state["outlineStyle"] != "none" and state["outlineWidth"] >= 2
        answers = bot_messages(page).count()
        page.keyboard.press(key)
        expect(page.locator(".ak-msg--user .ak-bubble").last).to_have_text(state["text"])
        expect(bot_messages(page).nth(answers)).to_be_visible(timeout=REPLY_MS)
        assert focused(page)["tag"] == "textarea"
        expect(page.locator("button.ak-reply:not([disabled])").first).to_be_visible(timeout=REPLY_MS)
        page.wait_for_timeout(500)

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="ASSKomm-Assistent")).to_be_hidden()
    assert focused(page).get("cls") == "ak-launcher"
    expect(page.get_by_role("button", name="Chat öffnen")).to_have_attribute("aria-expanded", "false")
    problems.assert_none()


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '')).slice(0, 5)}));
    }""")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return result


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "360x740"])
def test_axe_finds_no_serious_or_critical_violations(widget_bot, browser, viewport):
    settings, _ = widget_bot
    # bypass_csp: the demo page's CSP (script-src 'self') would refuse the injected axe-core
    ctx = browser.new_context(viewport=viewport, locale="de-DE", bypass_csp=True)
    try:
        page, problems = open_demo(ctx, settings)
        closed = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        assert not closed, closed
        page.reload()
        open_chat(page)
        ask(page, "Was ist ASSKomm?", "Quelle")
        page.wait_for_timeout(500)
        serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        assert not serious, serious
        problems.assert_none()
    finally:
        ctx.close()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def panel_box(page) -> dict:
    return page.locator(".ak-panel").bounding_box()


def test_screenshots_and_layout_on_desktop_phone_and_at_400_percent_zoom(widget_bot, browser):
    settings, _ = widget_bot
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = []
    for name, viewport in [("widget-1280x800", DESKTOP), ("widget-360x740", PHONE),
                           ("widget-zoom400-320x200", {"width": 320, "height": 200})]:
        ctx = browser.new_context(viewport=viewport, locale="de-DE")
        try:
            page, problems = open_demo(ctx, settings)
            closed = SCREENSHOTS / f"{name}-geschlossen.png"
            page.screenshot(path=str(closed))
            open_chat(page)
            ask(page, "Wie kann unsere Gemeinde bei ASSKomm mitmachen?", "Quelle")
            page.wait_for_timeout(500)
            opened = SCREENSHOTS / f"{name}.png"
            page.screenshot(path=str(opened))
            shots += [closed, opened]
            box = panel_box(page)
            assert box["x"] >= 0 and box["y"] >= 0, (name, box)
            assert box["x"] + box["width"] <= viewport["width"] + 0.5, (name, box)
            assert box["y"] + box["height"] <= viewport["height"] + 0.5, (name, box)
            assert no_horizontal_scroll(page), name
            if viewport["width"] <= 360:
                # full screen on narrow screens, and the input stays usable
                assert box["width"] == viewport["width"] and box["height"] == viewport["height"], (name, box)
                assert page.get_by_role("textbox", name="Ihre Nachricht").is_visible()
                assert page.get_by_role("button", name="Senden").is_visible()
            else:
                assert box["width"] < viewport["width"] / 2, (name, box)
            problems.assert_none()
        finally:
            ctx.close()
    for shot in shots:
        assert shot.exists() and shot.stat().st_size > 1000, shot
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


CAPTURE_SOCKETS = """
window.__akSockets = [];
(() => {
  let real;
  Object.defineProperty(window, 'io', {configurable: true, enumerable: true, get() { return real; },
    set(v) { real = typeof v === 'function' ? new Proxy(v, {apply(t, self, args) {
      const s = Reflect.apply(t, self, args); window.__akSockets.push(s); return s; }}) : v; }});
})();
"""

WATCH_STATUS = """() => {
  window.__akStatus = [];
  const line = document.querySelector('#asskomm-chat').shadowRoot.querySelector('.ak-status');
  new MutationObserver(() => window.__akStatus.push(line.textContent)).observe(line, {childList: true, characterData: true, subtree: true});
  return line.getAttribute('role');
}"""


def test_a_lost_connection_is_shown_and_the_session_goes_on(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    context.add_init_script(CAPTURE_SOCKETS)
    page, problems = open_demo(context, settings)
    open_chat(page)
    ask(page, "Was ist ASSKomm?", "Quelle")
    assert page.evaluate(WATCH_STATUS) == "status"
    send = page.get_by_role("button", name="Senden")

    context.set_offline(True)
    page.evaluate("() => window.__akSockets[0].io.engine.close()")
    status = page.get_by_role("status")
    expect(status).to_have_text("Verbindung unterbrochen – neuer Versuch …")
    expect(send).to_have_attribute("aria-disabled", "true")
    users = page.locator(".ak-msg--user").count()
    box = page.get_by_role("textbox", name="Ihre Nachricht")
    box.fill("Hallo?")
    box.press("Enter")
    expect(page.locator(".ak-msg--user")).to_have_count(users)
    expect(box).to_have_value("Hallo?")  # nothing is lost while offline

    context.set_offline(False)
    expect(send).to_have_attribute("aria-disabled", "false", timeout=30_000)
    expect(status).to_have_text("")
    assert "Verbindung unterbrochen – neuer Versuch …" in page.evaluate("() => window.__akStatus")
    # a reply only arrives if the new socket joined the same session again
    ask(page, "Ist Werdau Mitglied bei ASSKomm?", "11.01.2022")
    problems.assert_none()


def test_long_messages_and_the_character_counter(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    box = open_chat(page)
    expect(box).to_have_attribute("maxlength", "2000")
    counter = page.locator(".ak-counter")
    box.fill("Förderung " * 100)  # 1000 characters: no counter yet
    expect(counter).to_be_hidden()
    box.fill("x" * 1850)
    expect(counter).to_be_visible()
    expect(page.locator("#ak-counter-live")).to_have_text("Noch 150 Zeichen möglich.")
    box.fill("Förderung " * 250)  # longer than allowed: the browser keeps 2000 characters
    assert len(box.input_value()) <= 2000
    wait_until_ready(page)
    ask(page, ("Wie kann ich eine Förderung beantragen? " * 40).strip(), "")
    problems.assert_none()


def test_markdown_is_rendered_safely(widget_bot, context):
    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    page.wait_for_function("() => window.ASSKommWidget && window.ASSKommWidget.renderMarkdown")

    def render(text: str) -> str:
        return page.evaluate("t => window.ASSKommWidget.renderMarkdown(t)", text)

    assert "<img" not in render("<img src=x onerror=alert(1)>") and "&lt;img" in render("<img src=x onerror=alert(1)>")
    assert "<script" not in render("<script>alert(1)</script>")
    assert "<a" not in render("[klick](javascript:alert(1))") and "klick" in render("[klick](javascript:alert(1))")
    assert "<a" not in render("[Bild](data:text/html;base64,PHNjcmlwdD4=)")
    html = render("[Seite](https://example.org/a?b=1&c=2)")
    assert '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">Seite' in html
    assert render('[x](https://a.de/"onmouseover="alert(1))').count('"') <= 8  # the quote is escaped, no new attribute
    assert "onmouseover=\"" not in render('[x](https://a.de/"onmouseover="alert(1))')
    assert render("**fett** und **noch fetter**") == "<p><strong>fett</strong> und <strong>noch fetter</strong></p>"
    assert render("- eins\n- zwei") == "<ul><li>eins</li><li>zwei</li></ul>"
    assert render("1. eins\n2. zwei") == "<ol><li>eins</li><li>zwei</li></ol>"
    assert render("Zeile 1\nZeile 2") == "<p>Zeile 1<br>Zeile 2</p>"
    assert render("Mail: [lpr@smi.sachsen.de](mailto:lpr@smi.sachsen.de)").count('target="_blank"') == 0
    bare = render("Siehe https://www.asskomm.sachsen.de.")
    assert 'href="https://www.asskomm.sachsen.de/"' in bare and bare.endswith("</a>.</p>")
    assert "<strong>" in render("Quellen:\n- [**Titel**](https://a.de), Stand: 2023")
    page.evaluate("""() => { const d = document.createElement('div');
      d.innerHTML = window.ASSKommWidget.renderMarkdown('<img src=x onerror="window.__pwned=1">'); document.body.append(d); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__pwned") is None
    problems.assert_none()


def test_embedded_on_another_site_with_its_options(widget_bot, context, request):
    """A commune's website on another origin: cross-origin socket.io, a brand colour without
    enough contrast (replaced by the safe blue), data-open, a title, and a socket.io client
    of the site itself that the widget must leave alone."""
    from playwright.sync_api import expect

    settings, _ = widget_bot
    bot_url = base(settings)
    page_html = f"""<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Musterstadt</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Stadt Musterstadt</h1><p>Bürgerservice</p></main>
<script>window.io = 'Client der Website';</script>
<script src="{bot_url}/webhooks/widget/static/asskomm-widget.js" data-bot-url="{bot_url}"
  data-title="Bürgerservice Musterstadt" data-primary-color="#ffff00" data-greeting="/greet" data-open="true" defer></script>
</body></html>""".encode()

    class CommuneSite(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args):
            pass

    # a real server on 127.0.0.1 (not page.route): Chromium lets only pages in the loopback
    # address space reach the bot on localhost (Local Network Access)
    site = http.server.ThreadingHTTPServer(("127.0.0.1", COMMUNE_SITE_PORT), CommuneSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    request.addfinalizer(site.shutdown)
    page = context.new_page()
    problems = Problems(page)
    page.goto(f"http://127.0.0.1:{site.server_address[1]}/rathaus.html")
    dialog = page.get_by_role("dialog", name="Bürgerservice Musterstadt")
    expect(dialog).to_be_visible()
    assert focused(page).get("tag") in (None, "body")  # data-open does not steal the focus
    expect(bot_messages(page).first).to_contain_text("Guten Tag", timeout=REPLY_MS)  # greeting, cross-origin
    header = page.locator(".ak-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 90, 156)"
    assert page.evaluate("() => window.io") == "Client der Website"
    ask(page, "Was ist ASSKomm?", "Quelle")
    problems.items = [p for p in problems.items if "data-primary-color" not in p]
    problems.assert_none()


def test_a_new_conversation_can_be_started(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    page, problems = open_demo(context, settings)
    open_chat(page)
    ask(page, "Was ist ASSKomm?", "Quelle")
    old_session = stored_state(page)["sessionId"]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Gespräch neu beginnen").click()
    expect(page.locator(".ak-msg--user")).to_have_count(0)
    expect(bot_messages(page).first).to_contain_text("Guten Tag", timeout=REPLY_MS)  # greeted again
    assert stored_state(page)["sessionId"] != old_session
    assert focused(page)["tag"] == "textarea"
    ask(page, "Ist Werdau Mitglied bei ASSKomm?", "11.01.2022")
    problems.assert_none()


def test_two_tabs_of_one_conversation_show_each_answer_once(widget_bot, context):
    from playwright.sync_api import expect

    settings, _ = widget_bot
    first, problems_first = open_demo(context, settings)
    open_chat(first)
    expect(bot_messages(first).first).to_be_visible(timeout=REPLY_MS)
    second, problems_second = open_demo(context, settings)
    open_chat(second)  # a new tab starts closed; opened, it joins the same session
    wait_until_ready(second)
    ask(first, "Was ist ASSKomm?", "Quelle")
    first.wait_for_timeout(1500)
    texts = first.locator(".ak-msg .ak-bubble").all_inner_texts()
    expect(second.locator(".ak-msg .ak-bubble")).to_have_count(len(texts))
    assert second.locator(".ak-msg .ak-bubble").all_inner_texts() == texts
    stored = stored_state(first)["messages"]
    assert len(stored) == len({m["id"] for m in stored}) == len(texts)
    problems_first.assert_none()
    problems_second.assert_none()


def test_reduced_motion_and_the_page_font_size_are_respected(widget_bot, browser):
    settings, _ = widget_bot
    ctx = browser.new_context(viewport=DESKTOP, locale="de-DE", reduced_motion="reduce")
    try:
        page, problems = open_demo(ctx, settings)
        box = open_chat(page)
        dots = page.locator(".ak-dots span").first
        assert dots.evaluate("e => getComputedStyle(e).animationName") == "none"
        assert box.evaluate("e => getComputedStyle(e).fontSize") == "16px"
        page.evaluate("() => { document.documentElement.style.fontSize = '24px'; }")
        assert box.evaluate("e => getComputedStyle(e).fontSize") == "24px"
        title = page.locator(".ak-title")
        assert float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) == 27.0  # 1.125rem
        problems.assert_none()
    finally:
        ctx.close()
    ctx = browser.new_context(viewport=DESKTOP, locale="de-DE")
    try:
        page, _ = open_demo(ctx, settings)
        open_chat(page)
        assert page.locator(".ak-dots span").first.evaluate("e => getComputedStyle(e).animationName") == "ak-blink"
    finally:
        ctx.close()


def test_the_leichte_sprache_toggle_switches_the_answers_and_back(widget_bot, browser):
    """The toggle in the header sends the switch, shows its state with aria-pressed, keeps it
    over a reload and follows a typed request; the answers come in Leichter Sprache with source."""
    from playwright.sync_api import expect

    settings, _ = widget_bot
    ctx = browser.new_context(viewport=DESKTOP, locale="de-DE", bypass_csp=True)  # bypass_csp: for axe
    try:
        page, problems = open_demo(ctx, settings)
        open_chat(page)
        ask(page, "Bis wann muss der Förderantrag da sein?", "Quelle")
        toggle = page.locator("button.ak-toggle")
        expect(toggle).to_have_accessible_name("Leichte Sprache")
        expect(toggle).to_have_attribute("aria-pressed", "false")

        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(page.locator(".ak-msg--user .ak-bubble").last).to_have_text("Leichte Sprache")
        expect(bot_messages(page).filter(has_text="Ab jetzt antworte ich in Leichter Sprache.")).to_have_count(1, timeout=REPLY_MS)
        expect(bot_messages(page).filter(has_text="noch keine Prüf-Gruppe geprüft")).to_have_count(1, timeout=REPLY_MS)
        # the answer just given, again in Leichter Sprache, with the same source line (socket.io
        # sends each paragraph as a message of its own: the source line comes last); each of the
        # two deadline answers also says what today means for the deadline, naming that source
        expect(bot_messages(page).filter(has_text="Eine Frist ist eine feste Zeit.")).to_have_count(1, timeout=REPLY_MS)
        expect(bot_messages(page).filter(has_text="Stand heute")).to_have_count(2, timeout=REPLY_MS)
        expect(bot_messages(page).filter(has_text="Quelle: ASSKomm: Fördermittel")).to_have_count(4, timeout=REPLY_MS)
        expect(page.locator(".ak-typing")).to_be_hidden(timeout=REPLY_MS)

        ask(page, "Was kostet der Beitritt?", "Der eigene Teil heißt: Eigen-Anteil.")
        expect(bot_messages(page).last).to_contain_text("Quelle")
        expect(page.locator('.ak-msg--bot button.ak-reply:not([disabled])', has_text="Wie viel Geld gibt es?")).to_be_visible()
        serious = [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        assert not serious, serious

        page.reload()
        toggle = page.locator("button.ak-toggle")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        toggle.focus()
        page.keyboard.press("Enter")  # usable with the keyboard
        expect(toggle).to_have_attribute("aria-pressed", "false")
        expect(page.locator(".ak-msg--user .ak-bubble").last).to_have_text("Normale Sprache")
        expect(bot_messages(page).filter(has_text="Eine Beitrittsgebühr nennen meine Quellen nicht.")).to_have_count(1, timeout=REPLY_MS)
        expect(page.locator(".ak-typing")).to_be_hidden(timeout=REPLY_MS)

        ask(page, "einfacher bitte", "Ab jetzt antworte ich in Leichter Sprache.")
        expect(toggle).to_have_attribute("aria-pressed", "true")  # follows the typed request
        problems.assert_none()
    finally:
        ctx.close()


# ---------------------------------------------------------------- feedback, seen in the staff console


def feedback_events(settings: Settings, session_id: str) -> list[tuple]:
    """The stored user events of intent `feedback` (type, intent, text) and the revert after each."""
    with sqlite3.connect(settings.var_dir / "tracker.db") as db:
        rows = db.execute("select type_name, intent_name, data from events where sender_id = ? order by id",
                          (session_id,)).fetchall()
    return [(kind, intent, json.loads(data).get("text")) for kind, intent, data in rows
            if intent == "feedback" or kind == "rewind"]


def test_feedback_is_stored_with_the_conversation_and_shown_in_the_console(widget_bot, browser):
    """"Hilfreich? Ja / Nein" after each answer and "Hat Ihnen das Gespräch geholfen?" on closing,
    clicked with keyboard and mouse; the dialogue (here a form) goes on as if nothing was sent,
    and the staff console shows the feedback in the list, the transcript and the statistics."""
    from argon2 import PasswordHasher
    from playwright.sync_api import expect

    from bot.console import accounts
    from bot.db import make_engine, make_session_factory, migrate
    from tests.test_console_browser import console_running

    settings, _ = widget_bot
    ctx = browser.new_context(viewport=DESKTOP, locale="de-DE", bypass_csp=True)  # bypass: inject axe
    try:
        page, problems = open_demo(ctx, settings)
        open_chat(page)
        ask(page, "Was ist ASSKomm?", "Quelle")
        no = page.get_by_role("button", name="Nein, diese Antwort war nicht hilfreich")
        expect(no).to_have_count(1)  # the greeting before the first question is no answer
        no.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Danke für Ihre Rückmeldung.")).to_have_count(1)
        expect(no).to_have_count(0)  # one click per answer
        assert focused(page)["tag"] == "textarea"

        ask(page, "Wir möchten als Gemeinde Großharthau beitreten", "Wie ist Ihr Name")
        page.wait_for_timeout(1000)  # all parts of the answer are in
        answers = bot_messages(page).count()
        page.get_by_role("button", name="Ja, diese Antwort war hilfreich").last.click()
        expect(page.get_by_role("status").filter(has_text="Danke für Ihre Rückmeldung.")).to_have_count(2)
        page.wait_for_timeout(2000)
        assert page.locator(".ak-msg--user").count() == 2  # the click is no message of the user ...
        assert bot_messages(page).count() == answers  # ... and the bot does not answer it
        ask(page, "Anna Muster", "Funktion")  # the form goes on: the name is still the one asked for

        page.keyboard.press("Escape")
        question = page.get_by_role("region", name="Hat Ihnen das Gespräch geholfen?")
        expect(question).to_be_visible()
        assert focused(page).get("cls") == "ak-launcher"
        assert not [v for v in run_axe(page) if v["impact"] in ("serious", "critical")]
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Nein"
        page.keyboard.press(" ")
        expect(question.get_by_role("status")).to_have_text("Danke für Ihre Rückmeldung.")
        expect(question.get_by_role("button", name="Nein, das Gespräch hat nicht geholfen")).to_be_hidden()
        session_id = stored_state(page)["sessionId"]
        assert stored_state(page)["conversationFeedback"] == "nein"
        page.get_by_role("button", name="Chat öffnen").click()
        expect(question).to_be_hidden()
        page.keyboard.press("Escape")
        expect(question).to_be_hidden()  # asked once per conversation
        problems.assert_none()
    finally:
        ctx.close()

    for _ in range(40):  # Rasa saves the tracker after the action
        stored = feedback_events(settings, session_id)
        if len(stored) >= 6:
            break
        time.sleep(0.25)
    assert stored == [
        ("user", "feedback", '/feedback{"feedback_wert":"nein"}'), ("rewind", None, None),
        ("user", "feedback", '/feedback{"feedback_wert":"ja"}'), ("rewind", None, None),
        ("user", "feedback", '/feedback{"feedback_wert":"nein","feedback_bezug":"gespraech"}'), ("rewind", None, None),
    ]

    console_settings = settings.copy(update={"console_port": free_port()})
    migrate(console_settings.database)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        accounts.create_user(make_session_factory(make_engine(console_settings.database)), "armin", "auswertung",
                             "Auswertung-2026-gut", actor="test")
    with console_running(console_settings) as url:
        ctx = browser.new_context(locale="de-DE")
        try:
            page = ctx.new_page()
            page.goto(url + "/anmelden?weiter=/gespraeche")
            page.get_by_label("Benutzername").fill("armin")
            page.get_by_label("Passwort").fill("Auswertung-2026-gut")
            page.get_by_role("button", name="Anmelden").click()
            page.get_by_label("Ergebnis").select_option("negative Rückmeldung")
            page.get_by_role("button", name="Anzeigen").click()
            rows = page.locator("tbody tr")
            expect(rows).to_have_count(1)
            row = rows.first.inner_text()
            assert "1 × Antwort hilfreich" in row and "1 × Antwort nicht hilfreich" in row
            assert "1 × Gespräch hat nicht geholfen" in row
            rows.first.get_by_role("link").click()
            transcript = page.locator("table").inner_text()
            assert "Rückmeldung: Antwort nicht hilfreich" in transcript and "feedback" not in transcript
            assert "[Name]" in transcript and "Anna Muster" not in transcript  # the form answer stays masked
            page.goto(url + "/statistik")
            assert page.locator("#rueckmeldung-antwort").inner_text().startswith("1 / 1, 50 % hilfreich")
            assert page.locator("#rueckmeldung-gespraech").inner_text().startswith("0 / 1, 0 % hilfreich")
        finally:
            ctx.close()
