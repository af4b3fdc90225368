""""Hat Ihnen das Gespräch geholfen?" after staff end a handover (issue 14): the next message,
when it is a yes or no, is stored with the handover (a short comment without e-mail or phone)
and thanked for without Rasa; anything else goes to Rasa and is not asked again; the console
statistics count the answers."""
import asyncio
from datetime import datetime, timedelta, timezone

import jinja2
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

import bot.channels.handover as channel_handover
from bot.config import get_settings
from bot.db import make_engine, make_session_factory, migrate
from bot.handover import helped, store, texts
from tests.conftest import ROOT

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, answer, comment", [
    ("ja", "ja", None),
    ("Ja, sehr freundlich!", "ja", "sehr freundlich"),
    ("hat mir sehr geholfen, danke", "ja", "hat mir sehr geholfen, danke"),
    ("nein", "nein", None),
    ("Nee, leider nicht", "nein", "leider nicht"),
    ("hat nicht wirklich geholfen", "nein", "hat nicht wirklich geholfen"),
    ("ja, ruft mich an unter 0351 1234567 oder anna@werdau.de", "ja", "ruft mich an unter [Telefon] oder [E-Mail]"),
])
def test_yes_and_no_are_read_with_a_comment_without_personal_data(text, answer, comment):
    assert helped.read_answer(text) == helped.Helped(answer, comment)


@pytest.mark.parametrize("text", ["Danke", "Wie beantrage ich Fördermittel?", "Neukirch", "/affirm", ""])
def test_other_messages_are_no_answer(text):
    assert helped.read_answer(text) is None


def test_a_long_comment_is_cut():
    assert len(helped.read_answer("ja " + "sehr gut " * 100).comment) == helped.COMMENT_CHARS


@pytest.fixture
def sessions(database_url):
    migrate(database_url)
    return make_session_factory(make_engine(database_url))


def ended(sessions, sender, thread, at=T0, asks=True):
    handover, _ = store.request(sessions, sender, "socketio", "", at=at)
    store.thread_opened(sessions, handover.id, thread)
    store.from_staff(sessions, thread, "@anna:lpr", "Guten Tag", at=at)
    store.end(sessions, handover.id, "@anna:lpr", texts.ENDED, at=at + timedelta(minutes=10), asks_helped=asks)
    return handover


def test_the_answer_is_stored_once_and_counted(sessions):
    first = ended(sessions, "web-1", "$a")
    second = ended(sessions, "web-2", "$b")
    ended(sessions, "web-3", "$c", asks=False)  # expired or ended otherwise: never asked
    later = T0 + timedelta(minutes=20)
    assert store.helped_asked(sessions, "web-1", helped.WINDOW, at=later) == first.id
    assert store.helped_asked(sessions, "web-3", helped.WINDOW, at=later) is None
    assert store.helped_asked(sessions, "web-1", helped.WINDOW, at=T0 + timedelta(hours=3)) is None  # too late
    assert store.record_helped(sessions, first.id, "ja", "sehr freundlich")
    assert not store.record_helped(sessions, first.id, "nein")  # once
    assert store.record_helped(sessions, second.id, "nein")
    assert store.helped_asked(sessions, "web-1", helped.WINDOW, at=later) is None
    info = store.get(sessions, first.id)
    assert (info.helped, info.helped_comment) == ("ja", "sehr freundlich")
    stats = store.statistics(sessions, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert (stats.helped_yes, stats.helped_no, stats.requested) == (1, 1, 3)


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'asskomm.db'}"
    migrate(url)
    factory = make_session_factory(make_engine(url))
    monkeypatch.setattr(channel_handover, "shared_sessions", lambda: factory)
    monkeypatch.setenv("ASSKOMM_HANDOVER_ROOM", "!staff:lpr")
    get_settings.cache_clear()
    reached_rasa = []

    async def rasa(message):
        reached_rasa.append(message.text)

    def say(text, sender, channel="socketio"):
        output = CollectingOutputChannel()
        asyncio.run(channel_handover.silent_during_handover(rasa)(
            UserMessage(text, output, sender, input_channel=channel)))
        return [m["text"] for m in output.messages]

    yield factory, say, reached_rasa
    get_settings.cache_clear()


def end_now(sessions, sender, channel):
    handover, _ = store.request(sessions, sender, channel, "")
    store.thread_opened(sessions, handover.id, f"${sender}")
    store.from_staff(sessions, f"${sender}", "@anna:lpr", "Guten Tag")
    store.end(sessions, handover.id, "@anna:lpr", texts.ENDED, asks_helped=True)
    return handover


def test_in_the_widget_a_yes_is_stored_and_thanked_without_rasa(guarded):
    sessions, say, reached_rasa = guarded
    handover = end_now(sessions, "sid-1", "socketio")
    assert say("Ja, das hat geholfen!", "sid-1") == [helped.THANKS] and reached_rasa == []
    assert store.get(sessions, handover.id).helped == "ja"
    assert say("ja", "sid-1") == [] and reached_rasa == ["ja"]  # asked once: the bot answers again


def test_over_rest_the_question_is_shown_first_then_the_answer_is_read(guarded):
    sessions, say, reached_rasa = guarded
    handover = end_now(sessions, "rest-1", "rest")
    # REST cannot push: the staff line and the end notice come with the reply to the next message
    assert say("Hallo?", "rest-1", "rest") == [f"{texts.STAFF_PREFIX} Guten Tag", texts.ENDED]
    assert reached_rasa == ["Hallo?"] and store.get(sessions, handover.id).helped == "gefragt"
    assert say("nein, leider nicht", "rest-1", "rest") == [helped.THANKS]
    assert store.get(sessions, handover.id).helped == "nein" and reached_rasa == ["Hallo?"]


def test_a_new_question_instead_goes_to_rasa_and_is_not_taken_for_an_answer_later(guarded):
    sessions, say, reached_rasa = guarded
    handover = end_now(sessions, "sid-2", "socketio")
    assert say("Wie beantrage ich Fördermittel?", "sid-2") == []
    assert reached_rasa == ["Wie beantrage ich Fördermittel?"] and store.get(sessions, handover.id).helped == "keine"
    # a yes with a question: stored, and the question still reaches the bot
    other = end_now(sessions, "sid-3", "socketio")
    assert say("Ja, aber wann ist die nächste Frist?", "sid-3") == []
    assert reached_rasa[-1] == "Ja, aber wann ist die nächste Frist?" and store.get(sessions, other.id).helped == "ja"


def test_the_console_shows_the_answers():
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "bot" / "console" / "templates"),
                                   autoescape=True)
    page = templates.get_template("statistik.html").render(
        handovers=store.Statistics(requested=5, connected=4, expired=1, average_minutes=6.5, callbacks=2,
                                   helped_yes=3, helped_no=1),
        stats=None, day_from="2026-11-01", day_to="2026-11-30", user=None)
    assert '<dd id="uebergaben-geholfen">3 / 1</dd>' in page
