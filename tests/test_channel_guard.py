"""The checks in front of Rasa's channels (bot/channels/guard.py) and the closed defaults of
the start command: origins, request shape, flood limits, API, action server, file modes."""
import os
import stat

import pytest

from bot.channels.credentials import write_credentials
from bot.channels.guard import (
    MAX_MESSAGE_CHARS,
    FloodGuard,
    RateLimiter,
    RestMessage,
    client_address,
    origin_allowed,
    parse_rest_body,
)
from bot.config import Settings
from bot.deployment.endpoints import write_endpoints
from bot.runner import make_var_dir_private, rasa_command


@pytest.mark.parametrize("origin, host, allowed, expected", [
    (None, "bot.example.org", [], True),  # curl, the Matrix bridge: no browser page
    ("https://bot.example.org", "bot.example.org", [], True),  # the bot's own demo page
    ("http://localhost:5005", "localhost:5005", [], True),
    ("https://evil.example", "bot.example.org", [], False),
    ("https://evil.example", "bot.example.org", ["https://www.dohna.de"], False),
    ("https://www.dohna.de/", "bot.example.org", ["https://www.dohna.de"], True),
    ("https://www.dohna.de.evil.example", "bot.example.org", ["https://www.dohna.de"], False),
    ("https://evil.example", "bot.example.org", ["*"], True),
    ("null", "bot.example.org", [], False),  # sandboxed iframes, file:// pages
])
def test_only_the_bot_itself_and_configured_websites_may_talk_to_it(origin, host, allowed, expected):
    assert origin_allowed(origin, host, allowed) is expected


def test_the_origins_setting_is_a_comma_separated_list():
    assert Settings().allowed_origins == []
    assert Settings(cors_origins=" https://a.de/, https://b.de ,").allowed_origins == ["https://a.de", "https://b.de"]


@pytest.mark.parametrize("body, reason", [
    (b"[]", "JSON-Objekt"), (b'"x"', "JSON-Objekt"), (b"42", "JSON-Objekt"), (b"null", "JSON-Objekt"),
    (b'{"sender": 1, "message": "Hallo"}', '"sender"'), (b'{"sender": "", "message": "Hallo"}', '"sender"'),
    (b'{"sender": "a"}', '"message"'), (b'{"sender": "a", "message": ["Hallo"]}', '"message"'),
    (b'{"sender": "a", "message": "Hallo", "metadata": "x"}', '"metadata"'),
    (b"{", "kein gültiges JSON"), (b"", "kein gültiges JSON"), (b'{"message": "\xff\xfe"}', "UTF-8"),
    (('{"sender": "' + "s" * 300 + '", "message": "x"}').encode(), "zu lang"),
    (b'{"message": "Hallo"}', '"sender"'),  # else all such clients share conversation "default"
    (b'{"sender": "a\\u0000b", "message": "Hallo"}', "Steuerzeichen"),  # PostgreSQL: no NUL in text
    (b'{"sender": "a\\nb", "message": "Hallo"}', "Steuerzeichen"),
])
def test_malformed_rest_bodies_get_a_german_reason(body, reason):
    result = parse_rest_body(body)
    assert isinstance(result, str) and reason in result


def test_a_well_formed_body_is_the_message():
    assert parse_rest_body('{"sender": "s", "message": "Grüß Gott", "metadata": {"a": 1}}'.encode()) == \
        RestMessage("s", "Grüß Gott", {"a": 1})
    assert parse_rest_body(b'{"sender": "s", "message": ""}') == RestMessage("s", "", None)
    # a long message is well-formed; the channel answers it politely (bot/channels/rest.py)
    assert parse_rest_body(('{"sender": "a", "message": "' + "x" * (MAX_MESSAGE_CHARS + 1) + '"}').encode()).sender == "a"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_limit_holds_within_a_sliding_minute_and_frees_up_after_it():
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another key has its own budget
    clock.now += 59
    assert not limiter.allow("a")
    clock.now += 1.5
    assert limiter.allow("a")


def test_idle_keys_are_forgotten_so_memory_stays_bounded():
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    for n in range(1000):
        limiter.allow(f"sender-{n}")
    clock.now += 61
    limiter.allow("late")
    assert list(limiter.events) == ["late"]


def test_zero_means_no_limit():
    limiter = RateLimiter(0)
    assert all(limiter.allow("a") for _ in range(1000))


def test_a_flooding_sender_does_not_use_up_the_budget_of_its_address():
    guard = FloodGuard(per_sender=2, per_ip=4)
    results = [guard.allow("flood", "10.0.0.1") for _ in range(10)]
    assert results == [True, True] + [False] * 8
    assert guard.allow("neighbour", "10.0.0.1") and guard.allow("neighbour", "10.0.0.1")
    assert not guard.allow("third", "10.0.0.1")  # the address's 4 are used now
    assert guard.allow("other", "10.0.0.2")


def test_the_client_address_comes_from_the_proxy_header_only_when_configured():
    headers = {"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "1.2.3.4, 198.51.100.9"}
    assert client_address("127.0.0.1", headers, "") == "127.0.0.1"
    assert client_address("127.0.0.1", headers, "X-Real-IP") == "203.0.113.7"
    assert client_address("127.0.0.1", headers, "X-Forwarded-For") == "198.51.100.9"  # the proxy's entry
    assert client_address("127.0.0.1", {}, "X-Real-IP") == "127.0.0.1"


def test_rasa_gets_no_cors_and_no_api_by_default(tmp_path):
    command = rasa_command(Settings(var_dir=tmp_path), tmp_path / "model.tar.gz")
    assert "--cors" not in command and "--enable-api" not in command


def test_configured_origins_and_a_token_switch_them_on(tmp_path):
    settings = Settings(var_dir=tmp_path, cors_origins="https://a.de,https://b.de", rasa_api_token="t0ken")
    command = rasa_command(settings, tmp_path / "model.tar.gz")
    cors = command.index("--cors")
    assert command[cors + 1:cors + 3] == ["https://a.de", "https://b.de"]
    # the token itself is handed to Rasa inside its process, not on the command line (`ps`)
    assert "--enable-api" in command and "t0ken" not in command and "--auth-token" not in command
    jwt = rasa_command(Settings(var_dir=tmp_path, rasa_jwt_secret="s3cret"), tmp_path / "m")
    assert "--enable-api" in jwt and "s3cret" not in jwt and "--jwt-secret" not in jwt


def test_generated_files_with_secrets_are_readable_by_the_owner_only(tmp_path):
    settings = Settings(var_dir=tmp_path, rabbitmq_url="amqp://u:geheim@h:5672/", telegram_token="123:abc")
    old = tmp_path / "credentials.yml"
    old.write_text("alt")
    old.chmod(0o644)  # as an older version wrote it
    for path in (write_endpoints(settings), write_credentials(settings)):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert "geheim" in (tmp_path / "endpoints.yml").read_text()


def test_var_made_by_make_install_becomes_owner_only(tmp_path):
    """make install builds var/spacy/ with the umask; make run must still close var/ itself."""
    var_dir = tmp_path / "var"
    (var_dir / "spacy").mkdir(parents=True)
    var_dir.chmod(0o755)
    make_var_dir_private(var_dir)
    assert stat.S_IMODE(os.stat(var_dir).st_mode) == 0o700
    make_var_dir_private(tmp_path / "neu")
    assert stat.S_IMODE(os.stat(tmp_path / "neu").st_mode) == 0o700


def test_the_action_server_listens_on_loopback_by_default():
    assert Settings().action_host == "127.0.0.1"


def test_rasa_commands_and_overlong_messages_get_an_answer_instead_of_silence():
    from bot.channels.guard import NOT_A_COMMAND, TOO_LONG, canned_answer

    for text in (" /session_start", "/SESSION_START", "/back"):
        assert canned_answer(text) == NOT_A_COMMAND
    assert canned_answer("x" * (MAX_MESSAGE_CHARS + 1)) == TOO_LONG
    for text in ("/restart", "/affirm", "/inform_commune{\"commune_ags\": \"14524300\"}", "Neustart bitte", "",
                 "/restarting",
                 # the widget's "Hilfreich? Ja / Nein" (bot/feedback.py), exactly as asskomm-widget.js sends it
                 '/feedback{"feedback_wert":"nein"}', '/feedback{"feedback_wert":"ja","feedback_bezug":"gespraech"}',
                 "/greet{", "/x{kein json}"):
        assert canned_answer(text) is None
    # entities no button sends: they would reach the slots unchecked (found by the long fuzz run)
    for text in ('/ask_commune_membership{"commune_ags": ["a", {"b": null}]}', '/inform_commune{"commune_ags": 1}',
                 '/request_join{"app_consent": true}', '/greet{"a": ["b"]}und noch Text', '/inform_commune@0.9{"commune_ags": {}}', '/greet{"a": "' + "x" * 300 + '"}'):
        assert canned_answer(text) == NOT_A_COMMAND, text


def test_only_the_four_feedback_messages_of_the_widget_are_taken_as_feedback():
    from bot import feedback

    assert feedback.parse_payload('/feedback{"feedback_wert":"nein"}') == ("antwort", "nein")
    assert feedback.parse_payload('/feedback{"feedback_wert":"ja","feedback_bezug":"gespraech"}') == ("gespraech", "ja")
    for text in ('/feedback{"feedback_wert":"vielleicht"}', '/feedback{"feedback_wert":"ja","x":"Anna Muster"}',
                 '/feedback', 'feedback ja', '/feedback{"feedback_wert":"ja"} und Text'):
        assert feedback.parse_payload(text) is None, text  # goes to Rasa like any other message


def test_socketio_takes_no_session_id_the_tracker_store_cannot_keep():
    from bot.channels.socketio import _readable

    assert _readable({"message": "Hallo", "session_id": "abc-1"}, "customData")
    assert _readable({"message": "Hallo"}, "customData")  # then the socket's own id
    assert not _readable({"message": "Hallo", "session_id": "a\x00b"}, "customData")  # PostgreSQL: no NUL
    assert not _readable({"message": "Hallo", "session_id": "s" * 300}, "customData")
