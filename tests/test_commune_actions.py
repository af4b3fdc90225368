"""The commune actions with rasa-sdk trackers, over a real SQLite database seeded from the
repository's files."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.communes as commune_actions
from bot.communes.facts import MembershipFact
from tests.conftest import make_tracker

WERDAU, BERNSDORF_ZWICKAU = "14524300", "14524010"


@pytest.fixture(autouse=True)
def repository(seeded_repository, monkeypatch):
    monkeypatch.setattr(commune_actions, "shared_repository", lambda: seeded_repository)
    return seeded_repository


tracker = make_tracker


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def ask(text: str, intent: str = "ask_commune_membership", **kwargs):
    return run(commune_actions.ActionAnswerCommune(), tracker(text, intent, **kwargs))


def test_werdau_is_a_member_with_date_and_source():
    messages, slots = ask("Ist Werdau Mitglied bei ASSKomm?")
    text = messages[0]["text"]
    assert "Kooperationsvereinbarung" in text and "11.01.2022" in text
    assert "Quelle: " in text and "Stand: 11.01.2022" in text
    assert slots["commune_ags"] == WERDAU


def test_a_typo_still_finds_the_commune_and_unknown_status_is_said_plainly():
    messages, slots = ask("Macht Dresdn mit?")
    assert "Dresden" in messages[0]["text"] and "keine Angaben" in messages[0]["text"]
    assert "nicht teilnimmt" in messages[0]["text"]  # unknown is not "no"
    assert {"title": "Wie tritt eine Kommune bei?", "payload": "/ask_join_process"} in messages[0]["buttons"]
    assert slots["commune_ags"] == "14612000"


def test_the_follow_up_uses_the_commune_of_the_conversation():
    messages, _ = ask("Und seit wann?", "ask_commune_since", slots={"commune_ags": WERDAU})
    assert "Werdau" in messages[0]["text"] and "11.01.2022" in messages[0]["text"]


def test_a_follow_up_without_any_commune_asks_which():
    messages, _ = ask("Und seit wann?", "ask_commune_since")
    assert "Nach welcher Kommune" in messages[0]["text"]


def test_an_ambiguous_name_is_asked_back_with_buttons_that_keep_the_question():
    messages, slots = ask("Wie viele Einwohner hat Bernsdorf?", "ask_commune_facts")
    buttons = messages[0]["buttons"]
    assert len(buttons) == 2 and all("Bernsdorf" in b["title"] for b in buttons)
    assert all('"commune_question": "facts"' in b["payload"] for b in buttons)
    assert slots["commune_question"] == "facts"


def test_the_chosen_button_answers_the_question_asked_before():
    entities = [{"entity": "commune_ags", "value": BERNSDORF_ZWICKAU}]
    messages, _ = ask("/inform_commune", "inform_commune", slots={"commune_question": "facts"}, entities=entities)
    assert "Landkreis Zwickau" in messages[0]["text"] and "Einwohner" in messages[0]["text"]
    assert "Destatis" in messages[0]["text"]


def test_a_city_outside_saxony_is_told_asskomm_is_for_saxon_communes():
    messages, _ = ask("Ist München dabei?")
    assert "„München“" in messages[0]["text"] and "Freistaat Sachsen" in messages[0]["text"]


def test_a_commune_in_a_verband_answers_through_it():
    messages, _ = ask("Ist Grünhainichen dabei?")
    assert "Verwaltungsverband Wildenstein" in messages[0]["text"]


def test_members_of_a_landkreis_are_listed_with_sources():
    messages, slots = run(commune_actions.ActionAnswerDistrict(),
                          tracker("Welche Kommunen im Landkreis Erzgebirgskreis sind dabei?", "ask_members_in_district"))
    text = messages[0]["text"]
    assert "Erzgebirgskreis" in text and "Aue-Bad Schlema" in text and "Stand" in text
    assert text.count("\n- ") >= 5
    assert slots["landkreis"] == "Erzgebirgskreis"


def test_no_landkreis_named_asks_which_with_all_ten():
    messages, _ = run(commune_actions.ActionAnswerDistrict(), tracker("Welche sind dabei?", "ask_members_in_district"))
    assert len(messages[0]["buttons"]) == 10


def test_a_staff_change_is_answered_at_once(repository):
    dohna = repository.matcher().resolve("Dohna").commune.ags
    fact = MembershipFact(ags=dohna, status="kooperationsvereinbarung", agreement_date="2026-11-24",
                          source={"title": "Mitteilung des LPR", "stand": "2026-11-24"})
    repository.set_membership(fact, changed_by="Test")
    try:
        messages, _ = ask("Ist Dohna dabei?")
        assert "24.11.2026" in messages[0]["text"] and "Mitteilung des LPR" in messages[0]["text"]
    finally:  # the database is shared by the module's tests
        assert repository.reset_to_knowledge(dohna)


def test_an_unsure_commune_question_is_still_answered_from_the_database():
    from actions.fallback import ActionClarify

    latest = {
        "text": "Ist Dohna bei ASSKomm dabei?",
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                           {"name": "ask_commune_membership", "confidence": 0.37},
                           {"name": "ask_member_count", "confidence": 0.27}],
        "entities": [],
    }
    messages, slots = run(ActionClarify(), Tracker("u", {}, latest, [], False, None, {}, "action_listen"))
    assert "Dohna" in messages[0]["text"]
    assert slots["commune_ags"]


def test_a_month_only_date_reads_im_not_am_and_the_note_links_its_source():
    text = ask("Ist Görlitz dabei?")[0][0]["text"]
    assert "im Juli 2020 unterzeichnet" in text and "am Juli" not in text
    assert "([Quelle](https://www.behoerden-spiegel.de/" in text and " (https://" not in text


def test_a_model_commune_answer_says_each_fact_once():
    answer, source = ask("Is Plauen scho dabei?")[0][0]["text"].split("\n\n")
    assert answer.count("Modellkommune") == 1 and source.startswith("Quelle")


@pytest.mark.parametrize("value, expected", [("2022-01-11", "am 11.01.2022"), ("2020-07", "im Juli 2020"),
                                             ("2020", "im Jahr 2020")])
def test_dates_carry_the_preposition_of_their_precision(value, expected):
    from bot.communes.facts import on_date

    assert on_date(value) == expected


@pytest.mark.parametrize("text", ["123", "...", "😀😀"])
def test_a_message_without_letters_is_not_taken_for_a_commune_name(text):
    messages, slots = ask(text, "inform_commune")
    assert [m["response"] for m in messages] == ["utter_default", "utter_topics"]
    assert slots == {}


# --- Communes added from knowledge/sources/MEMBERSHIPS-RESEARCH.md, context, counts ---

GROSSENHAIN, ZWICKAU, PLAUEN = "14627060", "14524330", "14523320"


def test_niesky_is_a_member_since_11_07_2022_with_its_source():
    messages, slots = ask("Ist Niesky dabei?")
    text = messages[0]["text"]
    assert text.startswith("Ja, Niesky nimmt an ASSKomm teil") and "am 11.07.2022 unterzeichnet" in text
    assert "https://www.saechsische.de/niesky/" in text and "https://www.medienservice.sachsen.de/medien/news/1049521" in text
    assert "keine Angaben" not in text
    assert slots["commune_ags"] == "14626370" and slots["commune_last_question"] == "membership"


def test_grossenhain_then_since_when_answers_the_agreement_date():
    messages, slots = ask("Ist Großenhain Mitglied?")
    assert "17.02.2021" in messages[0]["text"] and slots["commune_ags"] == GROSSENHAIN
    messages, _ = ask("Und seit wann?", "ask_commune_since", slots={"commune_ags": slots["commune_ags"]})
    text = messages[0]["text"]
    assert text.startswith("Großenhain hat die Kooperationsvereinbarung am 17.02.2021 unterzeichnet.")
    assert "https://www.medienservice.sachsen.de/medien/news/247342" in text


@pytest.mark.parametrize("text, intent, expected", [
    ("Wie viele Einwohner hat die Stadt?", "ask_commune_facts", "Einwohnerinnen und Einwohnern"),
    ("und wie viele Einwohner hat sie?", "ask_commune_facts", "Einwohnerinnen und Einwohnern"),
    ("Wie viele Leute wohnen dort?", "ask_commune_facts", "Einwohnerinnen und Einwohnern"),
    ("Ist die dabei?", "ask_commune_membership", "17.02.2021"),
    ("Macht die Gemeinde schon mit?", "ask_commune_membership", "17.02.2021"),
    ("Seit wann ist sie dabei?", "ask_commune_since", "17.02.2021"),
])
def test_a_question_pointing_back_is_about_the_commune_of_the_conversation(text, intent, expected):
    messages, slots = ask(text, intent, slots={"commune_ags": GROSSENHAIN})
    answer = messages[0]["text"].split("\n\n")[0]
    assert "Großenhain" in answer and expected in answer
    assert slots["commune_ags"] == GROSSENHAIN


@pytest.mark.parametrize("text", ["Ist die Gemeinde Xyzabc dabei?", "Wissen Sie, ob Xyzabc dabei ist?"])
def test_a_new_unknown_name_is_not_taken_for_the_commune_before(text):
    messages, _ = ask(text, slots={"commune_ags": GROSSENHAIN})
    text = messages[0]["text"]
    assert "Xyzabc“ habe ich nicht gefunden" in text and "Großenhain" not in text


def test_pointing_back_without_a_commune_before_asks_which():
    messages, slots = ask("Wie viele Leute wohnen dort?", "ask_commune_facts")
    assert "Nach welcher Kommune" in messages[0]["text"] and slots["commune_question"] == "facts"


def test_und_zwickau_asks_the_question_before_again():
    _, slots = ask("Wie viele Einwohner hat Plauen?", "ask_commune_facts")
    assert slots["commune_last_question"] == "facts"
    messages, slots = ask("Und Zwickau?", "inform_commune", slots=slots)
    assert messages[0]["text"].startswith("Zwickau ist eine Stadt im Landkreis Zwickau mit")
    assert slots["commune_ags"] == ZWICKAU and slots["commune_last_question"] == "facts"
    messages, _ = ask("und in Görlitz?", "inform_commune", slots={"commune_last_question": "since"})
    assert messages[0]["text"].startswith("Görlitz ist seit dem Start von ASSKomm am 06.02.2019 Modellkommune.")


def test_the_question_pending_after_asking_back_wins_over_the_last_one():
    messages, _ = ask("Werdau", "inform_commune", slots={"commune_question": "facts", "commune_last_question": "since"})
    assert "Einwohner" in messages[0]["text"]


def test_a_union_that_signed_for_the_commune_is_named():
    text = ask("Seit wann ist Königshain dabei?", "ask_commune_since")[0][0]["text"]
    assert "Zu „Königshain“ passen mehrere" in text  # Königshain-Wiederau too: asked back
    text = ask("/inform_commune", "ask_commune_since", entities=[{"entity": "commune_ags", "value": "14626240"}])[0][0]["text"]
    assert text.startswith("Für Königshain hat die Verwaltungsgemeinschaft Reichenbach/O.L. die Kooperationsvereinbarung "
                           "am 21.12.2022 unterzeichnet.")
    text = ask("Ist Lößnitz dabei?")[0][0]["text"]
    assert "über den Städtebund Silberberg" in text


def _district(landkreis: str) -> str:
    messages, _ = run(commune_actions.ActionAnswerDistrict(),
                      tracker(f"Welche Kommunen im Landkreis {landkreis} sind dabei?", "ask_members_in_district"))
    return messages[0]["text"]


def test_every_district_answer_counts_exactly_what_it_lists(repository):
    import re

    for landkreis in repository.landkreise():
        text = _district(landkreis)
        listed = text.count("\n- ")
        if not listed:
            assert "nennen meine Quellen keine ASSKomm-Kommune" in text
            continue
        said = re.search(r"belegen meine Quellen für (eine|\d+) Kommunen? eine Teilnahme", text).group(1)
        assert (1 if said == "eine" else int(said)) == listed, landkreis
        counted, heading = {}, None
        for line in text.splitlines():
            said_count = re.fullmatch(r"[^-].* \((\d+)\):", line)
            if said_count:
                heading = line
                counted[heading] = [int(said_count.group(1)), 0]
            elif line.startswith("- "):
                counted[heading][1] += 1
        assert all(said == found for said, found in counted.values()), (landkreis, counted)
        assert sum(found for _, found in counted.values()) == listed


def test_a_district_answer_groups_by_status_so_model_communes_are_not_called_signed():
    text = _district("Leipzig")
    assert "Modellkommune (1):\n- Wurzen" in text
    assert "Kooperationsvereinbarung unterzeichnet (1):\n- Markkleeberg (Kooperationsvereinbarung vom August 2021)" in text
    assert "davon" not in text


def test_a_district_answer_names_the_latest_published_counts_with_date_and_source():
    text = _district("Sächsische Schweiz-Osterzgebirge")
    assert "Heidenau wurde am 09.08.2023 die 6. ASSKomm-Kommune im Landkreis Sächsische Schweiz-Osterzgebirge" in text
    assert "Meine Liste nennt" not in text  # six listed with an agreement: no difference to explain
    assert "Leutersdorf wurde am 11.04.2025 die 60. ASSKomm-Kommune in Sachsen" in text
    assert "folgeseite-news-und-veranstaltungen-9278-9278.html" in text
    text = _district("Görlitz")
    assert "die 10. ASSKomm-Kommune im Landkreis Görlitz" in text and "Meine Liste nennt 16 Kommunen" in text


def test_programme_facts_come_from_the_knowledge_file(tmp_path, monkeypatch):
    from bot.communes.programme import ReloadingProgrammeFacts
    from tests.conftest import ROOT

    path = tmp_path / "programme.yml"
    text = (ROOT / "knowledge" / "communes" / "programme.yml").read_text(encoding="utf-8")
    path.write_text(text.replace('date: "2019-02-06"', 'date: "2019-02-07"', 1).replace("count: 8", "count: 9"),
                    encoding="utf-8")
    monkeypatch.setattr(commune_actions, "shared_programme_facts", lambda: ReloadingProgrammeFacts(path))
    answer = ask("Ist Plauen dabei?")[0][0]["text"]
    assert "eine der neun Modellkommunen, mit denen ASSKomm am 07.02.2019 begann" in answer
    assert "https://lpr.sachsen.de/kommunale-praevention-5644.html" in answer  # the count's source
    assert "Destatis" in ask("Wie viele Einwohner hat Plauen?", "ask_commune_facts")[0][0]["text"]


def test_a_short_since_follow_up_routed_by_the_topic_is_about_the_commune_before():
    # bot/conversation/followups.py hands "Und seit wann?" (intent ask_asskomm_start) over with
    # commune_question "since" when the current topic is a commune.
    messages, slots = ask("Seit wann genau?", "ask_asskomm_start",
                          slots={"commune_ags": GROSSENHAIN, "commune_question": "since", "current_topic": "commune"})
    assert messages[0]["text"].startswith("Großenhain hat die Kooperationsvereinbarung am 17.02.2021 unterzeichnet.")
    assert slots["current_topic"] == "commune" and slots["commune_question"] is None


def test_a_since_question_with_a_new_unknown_name_is_not_taken_for_the_commune_before():
    messages, _ = ask("Seit wann ist Xyzabc dabei?", "ask_commune_since", slots={"commune_ags": GROSSENHAIN})
    assert "Xyzabc“ habe ich nicht gefunden" in messages[0]["text"]
    messages, _ = ask("Seit wann genau?", "ask_commune_since", slots={"commune_ags": GROSSENHAIN})
    assert messages[0]["text"].startswith("Großenhain hat")


def test_two_communes_in_one_question_get_one_answer_each_in_order():
    messages, slots = ask("radeberg und freiberg, sind die beide mitglied?")
    assert len(messages) == 2
    assert "Radeberg" in messages[0]["text"] and "18.12.2023" in messages[0]["text"]
    assert "Freiberg" in messages[1]["text"] and "28.11.2022" in messages[1]["text"]
    assert slots["current_topic"] == "commune"


@pytest.mark.parametrize("text", [
    "Ist Aue-Bad Schlema dabei?",  # one name with a hyphen
    "Ist Oelsnitz im Erzgebirge dabei und seit wann?",  # one commune, two questions
    "Sind Werdau und Umgebung dabei?",  # only one part names a commune
])
def test_one_commune_is_not_taken_for_a_list(text):
    messages, _ = ask(text)
    assert len(messages) == 1


@pytest.mark.parametrize("text,expected", [
    ("und is leipzig dabei, ach nee ich mein görlitz", "Görlitz"),
    ("oh sorry ich meinte zschopau nicht aue", "Zschopau"),
    ("nicht Oelsnitz im Vogtland, sondern Oelsnitz im Erzgebirge", "Oelsnitz"),
])
def test_a_self_correction_answers_for_the_commune_meant(text, expected):
    messages, _ = ask(text)
    assert len(messages) == 1 and expected in messages[0]["text"]
    assert "Leipzig" not in messages[0]["text"] and "Aue" not in messages[0]["text"].replace("Auer", "")


# --------------------------------------------------------------------------- typed answers to "Welche meinen Sie?"

def answer_to_the_ask_back(first: str, first_intent: str, typed: str, intent: str, action=None, between=()):
    """Ask with an ambiguous name, then type an answer in the next message (after `between`
    other messages, if any): the replies to both and the slots set by the second."""
    asked, slots = ask(first, first_intent)
    events = [{"event": "user", "text": first},
              *({"event": "slot", "name": n, "value": v} for n, v in slots.items())]
    for other in between:
        events += [{"event": "user", "text": other}, {"event": "slot", "name": "fallback_count", "value": 1.0}]
    events.append({"event": "user", "text": typed})
    second = tracker(typed, intent, slots={"commune_question": slots.get("commune_question")}, events=events)
    messages, set_now = run(action or commune_actions.ActionAnswerCommune(), second)
    return asked, messages, set_now


@pytest.mark.parametrize("first, typed, chosen, other", [
    ("Ist Oelsnitz dabei?", "die im Erzgebirge", "Oelsnitz/Erzgeb.", "Oelsnitz/Vogtl."),
    ("Ist Oelsnitz dabei?", "die im vogtland bitte", "Oelsnitz/Vogtl.", "Oelsnitz/Erzgeb."),
    ("Ist Oelsnitz dabei?", "Oelsnitz im Erzgebirge", "Oelsnitz/Erzgeb.", "Oelsnitz/Vogtl."),
    ("Ist Reichenbach dabei?", "die in der Oberlausitz", "Reichenbach/O.L.", "Reichenbach im Vogtland"),
    ("Ist Reichenbach dabei?", "die im Landkreis Görlitz", "Reichenbach/O.L.", "Reichenbach im Vogtland"),
    ("Ist Reichenbach dabei?", "die erste", "Reichenbach im Vogtland", "Reichenbach/O.L."),
])
def test_a_typed_answer_to_welche_meinen_sie_selects_the_offered_commune(first, typed, chosen, other):
    asked, messages, slots = answer_to_the_ask_back(first, "ask_commune_membership", typed, "inform_commune")
    assert "Welche meinen Sie" in asked[0]["text"]
    assert chosen in messages[0]["text"] and other not in messages[0]["text"]
    assert slots["commune_options"] is None and slots["current_topic"] == "commune"


def test_the_typed_choice_answers_the_question_asked_before_whatever_the_nlu_read():
    _, messages, slots = answer_to_the_ask_back("Wie viele Einwohner hat Oelsnitz?", "ask_commune_facts",
                                                "die im erzgebirge natürlich", "ask_commune_membership")
    assert "Oelsnitz/Erzgeb." in messages[0]["text"] and "Einwohner" in messages[0]["text"]
    assert slots["commune_last_question"] == "facts"


@pytest.mark.parametrize("typed, intent, action", [
    ("die im Vogtland", "ask_members_in_district", "actions.communes.ActionAnswerDistrict"),
    ("die zweite", "nlu_fallback", "actions.fallback.ActionClarify"),
    ("die im vogtland", "ask_what_is_asskomm", "actions.faq.ActionAnswerFromKnowledge"),
    ("na die zweite", "out_of_scope", "actions.out_of_scope.ActionOutOfScope"),
])
def test_a_typed_choice_selects_whatever_intent_the_nlu_gave_it(typed, intent, action):
    module, name = action.rsplit(".", 1)
    action_class = getattr(__import__(module, fromlist=[name]), name)
    _, messages, slots = answer_to_the_ask_back("Ist Oelsnitz dabei?", "ask_commune_membership", typed, intent,
                                                action=action_class())
    assert "Oelsnitz/Vogtl." in messages[0]["text"] and "Oelsnitz/Erzgeb." not in messages[0]["text"]
    assert slots["commune_ags"] and slots["commune_options"] is None


def test_a_district_question_after_the_ask_back_is_answered_as_one():
    _, messages, _ = answer_to_the_ask_back("Ist Oelsnitz dabei?", "ask_commune_membership",
                                            "Wer macht im Erzgebirgskreis mit?", "ask_members_in_district",
                                            action=commune_actions.ActionAnswerDistrict())
    assert "Im Landkreis Erzgebirgskreis" in messages[0]["text"]


def test_an_offer_counts_only_for_the_next_message():
    _, messages, slots = answer_to_the_ask_back("Ist Oelsnitz dabei?", "ask_commune_membership", "die zweite",
                                                "inform_commune", between=["was kostet das"])
    assert "Oelsnitz/Vogtl." not in messages[0]["text"] and "commune_ags" not in slots


def test_an_answer_that_fits_none_of_the_offered_asks_again():
    _, messages, slots = answer_to_the_ask_back("Ist Oelsnitz dabei?", "ask_commune_membership", "Oelsnitz",
                                                "inform_commune")
    assert "Welche meinen Sie" in messages[0]["text"] and len(slots["commune_options"]) == 2


# persona trial 2026-11-30: after the funding deadline, "und ab wann darf ich einreichen" was
# read as a commune question and got "Kommune „einreichen“ nicht gefunden"
AFTER_DEADLINE = {"current_topic": "funding", "last_knowledge_id": "funding_deadline"}


def test_a_since_question_naming_no_commune_during_another_topic_is_a_follow_up_of_that_topic():
    messages, slots = ask("und ab wann darf ich einreichen", "ask_commune_since", slots=AFTER_DEADLINE)
    assert "nicht gefunden" not in messages[0]["text"]
    assert "15. Oktober" in messages[0]["text"] and slots["last_knowledge_id"] == "funding_deadline"


def test_clarify_does_not_send_an_unsure_follow_up_to_the_commune_answer():
    from actions.fallback import ActionClarify

    t = tracker("und ab wann darf ich einreichen", "nlu_fallback", confidence=0.4, slots=AFTER_DEADLINE)
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.4},
                                          {"name": "ask_commune_since", "confidence": 0.35},
                                          {"name": "ask_funding_deadline", "confidence": 0.2}]
    messages, slots = run(ActionClarify(), t)
    assert "nicht gefunden" not in messages[0]["text"] and "15. Oktober" in messages[0]["text"]


def test_clarify_still_sends_an_unsure_question_naming_a_commune_to_the_commune_answer():
    from actions.fallback import ActionClarify

    t = tracker("und seit wann ist werdau dabei", "nlu_fallback", confidence=0.4, slots=AFTER_DEADLINE)
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.4},
                                          {"name": "ask_commune_since", "confidence": 0.35}]
    messages, slots = run(ActionClarify(), t)
    assert "11.01.2022" in messages[0]["text"] and slots["commune_ags"] == WERDAU


def test_a_membership_question_naming_no_commune_keeps_the_commune_named_before():
    # persona trial: "sind wir eigentlich schon dabei?" after the joining cost, Stützengrün named before
    messages, slots = ask("sind wir eigentlich schon dabei?", "ask_commune_membership",
                          slots={"current_topic": "joining", "commune_ags": WERDAU})
    assert "Werdau" in messages[0]["text"]


def test_a_since_question_pointing_back_to_the_commune_named_before_stays_a_commune_question():
    messages, slots = ask("und seit wann sind die dabei?", "ask_commune_since",
                          slots={"current_topic": "asskomm", "commune_ags": WERDAU})
    assert "Werdau" in messages[0]["text"] and "11.01.2022" in messages[0]["text"]
