"""Privacy and security as a new user meets them, on one running bot (default SQLite set-up):
closed defaults (origins, Rasa API, action server, file modes, malformed requests, floods)."""
import json
import os
import stat
import statistics
import threading
import time
import urllib.error
import urllib.request
import zlib

import pytest

from tests.conftest import bot_running

FRIENDLY_SITE = "https://www.gemeinde-musterstadt.example"
PER_SENDER, PER_IP = 15, 20


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    # X-Real-IP as behind the nginx template, so tests can speak from several addresses.
    with bot_running(trained_model, tmp_path_factory.mktemp("privacy"), cors_origins=FRIENDLY_SITE,
                     client_ip_header="X-Real-IP", rate_limit_per_sender=PER_SENDER,
                     rate_limit_per_ip=PER_IP) as (settings, processes):
        yield settings, processes


def post(settings, body: bytes, headers: dict | None = None, method: str = "POST"):
    """(status, headers, parsed body) of a request to the REST channel."""
    request = urllib.request.Request(f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook",
                                     data=body if method == "POST" else None, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, error.headers, error.read()
    try:
        return status, head, json.loads(raw) if raw else None
    except ValueError:
        return status, head, raw.decode("utf-8", "replace")


def say(settings, sender: str, text: str, address: str = ""):
    """A message from its own address per sender unless one is given (the limits are per address)."""
    address = address or "10.{}.{}.{}".format(*zlib.crc32(sender.encode()).to_bytes(4, "big")[1:])
    return post(settings, json.dumps({"sender": sender, "message": text}).encode(), {"X-Real-IP": address})


def get(settings, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://localhost:{settings.rasa_port}{path}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# ------------------------------------------------------------------------------ closed defaults

def test_a_preflight_from_an_unlisted_website_is_not_allowed(bot):
    settings, _ = bot
    status, headers, _ = post(settings, b"", {"Origin": "https://evil.example",
                                              "Access-Control-Request-Method": "POST"}, method="OPTIONS")
    assert headers.get("Access-Control-Allow-Origin") in (None, "")
    status, headers, _ = post(settings, b"", {"Origin": FRIENDLY_SITE, "Access-Control-Request-Method": "POST"},
                              method="OPTIONS")
    assert headers.get("Access-Control-Allow-Origin") == FRIENDLY_SITE


def test_a_message_from_an_unlisted_website_is_refused(bot):
    settings, _ = bot
    body = json.dumps({"sender": "evil-1", "message": "Was ist ASSKomm?"}).encode()
    status, headers, answer = post(settings, body, {"Origin": "https://evil.example"})
    assert status == 403 and "ASSKOMM_CORS_ORIGINS" in answer["error"]
    assert headers.get("Access-Control-Allow-Origin") in (None, "")
    status, _, answer = post(settings, body, {"Origin": FRIENDLY_SITE})
    assert status == 200 and "Quelle" in answer[0]["text"]


def test_socketio_from_an_unlisted_website_cannot_connect(bot):
    import asyncio

    import socketio

    settings, _ = bot

    async def connect(origin: str) -> bool:
        client = socketio.AsyncClient(reconnection=False)
        try:
            await client.connect(f"http://localhost:{settings.rasa_port}", socketio_path="/socket.io",
                                 headers={"Origin": origin}, transports=["polling"], wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return False
        await client.disconnect()
        return True

    assert asyncio.run(connect("https://evil.example")) is False
    assert asyncio.run(connect(FRIENDLY_SITE)) is True
    assert asyncio.run(connect(f"http://localhost:{settings.rasa_port}")) is True  # the demo page


@pytest.mark.parametrize("body, reason", [(b"[]", "JSON-Objekt"), (b'"x"', "JSON-Objekt"),
                                          (b'{"sender": 1}', '"sender"'), (b"{kaputt", "JSON")])
def test_malformed_requests_get_400_with_a_reason(bot, body, reason):
    settings, _ = bot
    status, _, answer = post(settings, body)
    assert status == 400 and reason in answer["error"]


def test_rasas_http_api_is_off_without_a_token(bot):
    settings, _ = bot
    assert get(settings, "/conversations/evil-1/tracker") == 404
    assert get(settings, "/status") == 404
    assert get(settings, "/") == 200


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:
                found.add(address)
    return found


def test_the_action_server_listens_on_loopback_only(bot):
    settings, _ = bot
    assert _listening_addresses(settings.action_port) == {"0100007F"}  # 127.0.0.1
    assert _listening_addresses(settings.rasa_port)  # Rasa itself is reachable


def test_generated_files_with_secrets_are_owner_only(bot):
    settings, _ = bot
    for name in ("credentials.yml", "endpoints.yml"):
        assert stat.S_IMODE(os.stat(settings.var_dir / name).st_mode) == 0o600, name


def test_a_flood_is_answered_politely_while_others_are_served(bot):
    """One sender sends as fast as it can; three other people (other addresses) go on asking."""
    settings, _ = bot
    flood_statuses, others = [], []

    def flood():
        for n in range(PER_SENDER + 5):
            status, _, answer = say(settings, "flood-1", f"Hallo {n}", address="203.0.113.66")
            flood_statuses.append((status, answer))

    def other(person: int):
        for _ in range(3):
            started = time.monotonic()
            status, _, answer = say(settings, f"other-{person}", "Was ist ASSKomm?", address=f"198.51.100.{person}")
            others.append((status, time.monotonic() - started, answer))

    threads = [threading.Thread(target=flood), *[threading.Thread(target=other, args=(p,)) for p in (11, 12, 13)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    limited = [answer for status, answer in flood_statuses if status == 429]
    assert len(limited) == 5 and all("warten Sie einen Moment" in a[0]["text"] for a in limited)
    assert [s for s, _ in flood_statuses[:PER_SENDER]] == [200] * PER_SENDER
    assert all(status == 200 and "Quelle" in answer[0]["text"] for status, _, answer in others)
    durations = sorted(d for _, d, _ in others)
    p95 = durations[max(0, int(round(0.95 * len(durations))) - 1)]
    print(f"FLOOD: {len(limited)} von {len(flood_statuses)} Flut-Nachrichten gebremst; "
          f"{len(others)}/{len(others)} Nachrichten anderer beantwortet, p95 {p95:.2f} s, "
          f"Median {statistics.median(durations):.2f} s")

    # the address's own budget: another sender behind the flooding address gets the rest only
    statuses = [say(settings, f"neighbour-{n}", "Hallo", address="203.0.113.66")[0] for n in range(PER_IP - PER_SENDER + 2)]
    assert statuses.count(429) == 2 and statuses[:PER_IP - PER_SENDER] == [200] * (PER_IP - PER_SENDER)
