"""Bad input, generated (hypothesis): every form validator and the running bot's REST and
socket.io channels get empty, blank, huge, control-character, invalid-UTF-8, HTML/JS, SQL,
emoji, right-to-left, foreign-language, slash-command and malformed-JSON input.

The promise: no exception, no 5xx, no stack trace; a German answer or a 400 with a reason.

`make test` runs a short variant on one bot start (about a minute of fuzzing). The long
variant (more than 10,000 inputs) runs on demand:

    ASSKOMM_FUZZ_LONG=1 .venv/bin/python -m pytest tests/test_fuzz_inputs.py -q -s

and prints the figures for bench/RESULTS.md.
"""
import asyncio
import json
import os
import urllib.error
import urllib.request
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.applications import validation
from bot.channels.guard import MAX_MESSAGE_CHARS
from tests.conftest import bot_running

LONG = os.environ.get("ASSKOMM_FUZZ_LONG", "").lower() in ("1", "true", "yes")
# examples per property: validators are cheap, a message through Rasa is not
VALIDATOR_EXAMPLES = 1000 if LONG else 150
BODY_EXAMPLES = 1500 if LONG else 120
MESSAGE_EXAMPLES = 1000 if LONG else 30
SOCKET_EXAMPLES = 200 if LONG else 10

TALLY: Counter = Counter()

NASTY = [
    "", " ", "\t\n\r ", "\u00a0\u2003", "\x00", "\x00\x01\x02\x1b[31m", "\ufeff", "\u200b\u200d",
    "a" * MAX_MESSAGE_CHARS, "Förderung " * 10_000,  # 100 kB
    "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "'; DROP TABLE applications; --", "1' OR '1'='1", "Robert'); DELETE FROM events;--",
    "😀😀😀", "👩🏽‍💻🇩🇪", "\U0010ffff", "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "مرحبا، كيف يمكنني الانضمام؟", "שלום, מה שלומך", "\u202eevil\u202c", "Привет, как дела?", "你好，我想申请资助",
    "How do I apply for funding?", "Wie kann unsere Gemeinde bei ASSKomm mitmachen?", "nu gugge ma",
    "/", "//", "/affirm", "/restart", "/session_start", "/nlu_fallback", "/greet{", "/greet{}}",
    '/inform_commune{"commune_ags": "\' OR 1=1 --"}', '/inform_commune{"commune_ags": 14524300}',
    '/request_join{"app_email": "x@y.z", "app_consent": true}', '/correct_field{"app_slot": "requested_slot"}',
    '/ask_commune_membership{"commune_ags": ["a", {"b": null}]}', "/" + "x" * 300,
    "Wir möchten als Gemeinde Dohna beitreten", "Ich möchte eine Förderanfrage stellen", "abbrechen",
    "ja", "nein", "keine", "Bitte löschen Sie meine Daten", "12 Tsd. €", "1e308", "-0", "NaN", "∞",
    "{{7*7}}", "${jndi:ldap://x}", "%s%s%n", "../../etc/passwd", "C:\\Windows\\system32",
]
texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=300),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
                  st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=40)))
FUZZ = settings(deadline=None, database=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.large_base_example])


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)


# ------------------------------------------------------------------------------ form validators

VALIDATORS = {
    "email": validation.parse_email,
    "email_optional": lambda t: validation.parse_email(t, optional=True),
    "phone": validation.parse_phone,
    "phone_required": lambda t: validation.parse_phone(t, optional=False),
    "amount": validation.parse_amount_eur,
    "period": validation.parse_period,
    "degree": validation.parse_degree,
    "consent": validation.parse_consent,
    "name": validation.parse_person_name,
    "function": validation.parse_function,
    "free_text": validation.parse_free_text,
    "free_text_optional": lambda t: validation.parse_free_text(t, optional=True),
    "skip_word": validation.is_skip_word,
}
odd_values = st.one_of(texts, st.none(), st.integers(), st.floats(), st.binary(max_size=50),
                       st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers()))


def test_every_public_parser_is_fuzzed():
    public = {name for name in dir(validation) if name.startswith(("parse_", "is_skip"))}
    fuzzed = {getattr(f, "__name__", "") for f in VALIDATORS.values()} - {"<lambda>"}
    assert public <= fuzzed, public - fuzzed


@pytest.mark.parametrize("name", list(VALIDATORS))
def test_validators_never_raise_and_explain_in_german(name):
    parse = VALIDATORS[name]

    @fuzz(VALIDATOR_EXAMPLES)
    @given(value=odd_values)
    def check(value):
        TALLY["validator"] += 1
        result = parse(value)
        if name == "skip_word":
            assert isinstance(result, bool)
            return
        assert isinstance(result, validation.Parsed)
        if not result.ok:
            assert isinstance(result.error, str) and result.error.strip()
            assert "Traceback" not in result.error and "Exception" not in result.error
            assert not result.error.isascii() or " " in result.error  # a sentence, not a code

    check()


# ------------------------------------------------------------------------------ the running bot

@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    # Floods are tested elsewhere (tests/test_privacy_end_to_end.py); here they would stop the fuzzing.
    with bot_running(trained_model, tmp_path_factory.mktemp("fuzz"), rate_limit_per_sender=0,
                     rate_limit_per_ip=0) as (config, processes):
        yield config, processes


def post(config, body: bytes):
    request = urllib.request.Request(f"http://localhost:{config.rasa_port}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_answer(status: int, raw: bytes) -> None:
    text = raw.decode("utf-8", "replace")
    assert status in (200, 400), (status, text[:300])
    assert "Traceback" not in text and 'File "' not in text
    answer = json.loads(raw)
    if status == 400:
        assert answer["error"].strip()
        TALLY["400"] += 1
    else:
        assert isinstance(answer, list) and answer, text[:300]
        assert all(m.get("text", "").strip() or m.get("buttons") for m in answer), text[:300]
        TALLY["200"] += 1


malformed = st.one_of(
    st.binary(max_size=200),  # anything, invalid UTF-8 included
    st.sampled_from([b"[]", b'"x"', b'{"sender": 1}', b"null", b"42", b"{", b"", b'{"message": null}',
                     b'{"sender": "s", "message": {"text": "x"}}', b'{"sender": "s", "message": "\xff"}',
                     b'{"sender": "s", "message": "x", "metadata": []}', b'{"sender": "' + b"s" * 300 + b'"}']),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                 max_leaves=8).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"sender": st.one_of(st.text(max_size=20), st.integers(), st.none()),
                           "message": st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.text()))}
                          ).map(lambda v: json.dumps(v).encode()),
)


def test_malformed_rest_requests_get_400_or_an_answer(bot):
    config, processes = bot

    @fuzz(BODY_EXAMPLES)
    @given(body=malformed)
    def check(body):
        TALLY["rest"] += 1
        check_answer(*post(config, body))

    check()
    assert all(p.poll() is None for p in processes)


def test_generated_messages_get_a_polite_answer(bot):
    config, processes = bot

    @fuzz(MESSAGE_EXAMPLES)
    @given(sender=st.sampled_from(["fuzz-1", "fuzz-2", "fuzz-3"]), text=texts)
    def check(sender, text):
        TALLY["rest"] += 1
        body = json.dumps({"sender": sender, "message": text}).encode("utf-8", "surrogatepass")
        check_answer(*post(config, body))

    check()
    assert all(p.poll() is None for p in processes)
    status, raw = post(config, json.dumps({"sender": "fuzz-after", "message": "Was ist ASSKomm?"}).encode())
    assert status == 200 and "Quelle" in raw.decode()


def test_socketio_messages_get_an_answer(bot):
    import socketio

    config, _ = bot
    payloads = st.one_of(texts.map(lambda t: {"message": t, "session_id": "fuzz-socket"}),
                         st.sampled_from([None, [], "x", 42, {"message": 1, "session_id": "fuzz-socket"},
                                          {"message": "x", "session_id": ["a"]},
                                          {"message": "x", "session_id": "fuzz-socket", "metadata": "{kaputt"}]))

    async def exchange(messages: list) -> list:
        client = socketio.AsyncClient(reconnection=False)
        answers: asyncio.Queue = asyncio.Queue()
        client.on("bot_uttered", lambda data: answers.put_nowait(data))
        await client.connect(f"http://localhost:{config.rasa_port}", socketio_path="/socket.io",
                             transports=["polling"], wait_timeout=20)
        await client.emit("session_request", {"session_id": "fuzz-socket"})
        replies = []
        for payload in messages:
            await client.emit("user_uttered", payload)
            replies.append(await asyncio.wait_for(answers.get(), timeout=120))
            while not answers.empty():
                answers.get_nowait()
            await asyncio.sleep(0.5)  # late parts of the previous answer
            while not answers.empty():
                answers.get_nowait()
        await client.disconnect()
        return replies

    collected = []

    @fuzz(SOCKET_EXAMPLES)
    @given(payload=payloads)
    def collect(payload):
        collected.append(payload)

    collect()
    replies = asyncio.run(exchange(collected))
    TALLY["socketio"] += len(collected)
    assert len(replies) == len(collected)
    for reply in replies:
        assert isinstance(reply, dict) and (str(reply.get("text", "")).strip() or reply.get("quick_replies")
                                            or reply.get("buttons")), reply
        assert "Traceback" not in json.dumps(reply)


def test_no_stack_trace_in_the_logs_and_the_figures(bot):
    config, _ = bot
    for name in ("rasa.log", "actions.log"):
        log = (config.var_dir / name).read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in log, f"{name}:\n{log[log.find('Traceback') - 500:][:3000]}"
    total = sum(TALLY[k] for k in ("validator", "rest", "socketio"))
    print(f"\nFUZZ ({'lang' if LONG else 'kurz'}): {total} Eingaben: {TALLY['validator']} an Validatoren, "
          f"{TALLY['rest']} an REST ({TALLY['200']}× 200, {TALLY['400']}× 400), {TALLY['socketio']} an socket.io; "
          "0 Fehler")
