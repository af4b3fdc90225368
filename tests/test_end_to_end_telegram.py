"""Telegram: real update payloads posted to Rasa's webhook, and a local stand-in for the
Bot API that records what the bot sends."""
import asyncio
import json
import threading
import urllib.request

import pytest
from aiohttp import web

from bot.config import Settings
from bot.runner import running_bot
from tests.conftest import free_port

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_NAME = "asskomm_test_bot"


class BotApiStandIn:
    """Answers getMe/setWebhook/sendMessage like api.telegram.org and keeps every call."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        self.calls.append((method, params))
        if method == "getMe":
            result = {"id": 42, "is_bot": True, "first_name": "ASSKomm", "username": BOT_NAME}
        elif method == "sendMessage":
            result = {"message_id": len(self.calls), "date": 0, "text": params.get("text", ""),
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    def start(self):
        def serve():
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/bot{token}/{method}", self._handle)
            runner = web.AppRunner(app)
            self._loop.run_until_complete(runner.setup())
            self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            self._started.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        self._started.wait(10)

    def sent(self) -> list[dict]:
        return [params for method, params in self.calls if method == "sendMessage"]


def update(update_id: int, chat_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1764064800, "text": text,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Anna", "language_code": "de"},
        "chat": {"id": chat_id, "first_name": "Anna", "type": "private"}}}


def button_press(update_id: int, chat_id: int, data: str) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": str(update_id), "chat_instance": "1", "data": data,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Anna"},
        "message": {"message_id": 1, "date": 1764064800, "text": "…",
                    "chat": {"id": chat_id, "type": "private"}}}}


def post(settings: Settings, payload: dict) -> str:
    request = urllib.request.Request(f"http://localhost:{settings.rasa_port}/webhooks/telegram/webhook",
                                     data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def api():
    stand_in = BotApiStandIn()
    stand_in.start()
    return stand_in


def settings_for(tmp_path_factory, api_url: str) -> Settings:
    return Settings(rasa_port=free_port(), action_port=free_port(), var_dir=tmp_path_factory.mktemp("tg"),
                    telegram_token=TOKEN, telegram_bot_name=BOT_NAME,
                    telegram_webhook_url="https://bot.example.org/webhooks/telegram/webhook", telegram_api_url=api_url)


def test_an_update_is_answered_with_send_message_and_inline_buttons(trained_model, tmp_path_factory, api):
    settings = settings_for(tmp_path_factory, f"http://127.0.0.1:{api.port}")
    with running_bot(settings, trained_model, log_dir=settings.var_dir):
        assert ("setWebhook", {"url": settings.telegram_webhook_url}) in [
            (m, {k: v for k, v in p.items() if k == "url"}) for m, p in api.calls]
        assert post(settings, update(1, 5550001, "Wie kann unsere Gemeinde bei ASSKomm mitmachen?")) == "success"
        sent = [p for p in api.sent() if str(p["chat_id"]) == "5550001"]
        text = "\n".join(p["text"] for p in sent)
        assert "Kooperationsvereinbarung" in text and "Stand: " in text
        assert "<b>" in text and "**" not in text  # Markdown sent as Telegram HTML
        keyboard = json.loads(next(p["reply_markup"] for p in sent if p.get("reply_markup")))
        buttons = [b for row in keyboard["inline_keyboard"] for b in row]
        assert {"text": "Was kostet der Beitritt?", "callback_data": "/ask_join_cost"} in buttons

        before = len(api.sent())
        assert post(settings, button_press(2, 5550001, "/ask_join_cost")) == "success"
        assert "Beitrittsgebühr" in "\n".join(p["text"] for p in api.sent()[before:])


def test_the_bot_starts_and_serves_rest_when_the_bot_api_is_unreachable(trained_model, tmp_path_factory):
    settings = settings_for(tmp_path_factory, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with running_bot(settings, trained_model, log_dir=settings.var_dir):
        request = urllib.request.Request(f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": "x", "message": "Was ist ASSKomm?"}).encode())
        with urllib.request.urlopen(request, timeout=120) as response:
            assert "Quelle" in response.read().decode()
    log = (settings.var_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "Telegram: Webhook konnte nicht registriert werden" in log
