"""The knowledge base: every fact with source and Stand, every intent answered, live reload."""
import shutil
import time
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeBase, KnowledgeError, ReloadingKnowledgeBase
from bot.knowledge.model import Source
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "knowledge"


def rules_by_intent() -> dict[str, list[str]]:
    """intent -> actions that follow it in some rule of data/rules."""
    result: dict[str, list[str]] = {}
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            steps = rule["steps"]
            for step, following in zip(steps, steps[1:], strict=False):
                if "intent" in step and "action" in following:
                    result.setdefault(step["intent"], []).append(following["action"])
    return result


def test_real_knowledge_loads_and_every_entry_has_source_and_stand():
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    assert len(kb.entries) >= 20
    for entry in kb.entries.values():
        assert entry.sources, entry.id
        for source in entry.sources:
            assert source.title.strip(), entry.id
            assert source.stand.strip(), entry.id


def test_every_intent_has_a_rule_and_every_knowledge_intent_an_entry(domain):
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    rules = rules_by_intent()
    for intent in domain["intents"]:
        assert intent in rules, f"Intent {intent} hat keine Regel in data/rules"
        if "action_answer_from_knowledge" in rules[intent]:
            assert kb.entry_for_intent(intent), f"Intent {intent} hat keinen Eintrag in knowledge/"
    # and no entry answers an intent the domain does not know
    assert kb.intents <= set(domain["intents"])


# Questions answered from the database: communes (with the source of each membership fact)
# and the status of one's own application; and the privacy notice, whose controller and
# periods are the operator's settings (bot/privacy/).
DATABASE_ACTIONS = {"action_answer_commune", "action_answer_district", "action_application_status",
                    "action_privacy_notice"}


def test_every_fact_intent_is_answered_from_knowledge_or_the_database(domain):
    """ask_* questions must never be answered by a typed-in domain response."""
    rules = rules_by_intent()
    for intent in domain["intents"]:
        if intent.startswith("ask_") and intent != "ask_capabilities":
            assert rules[intent] == ["action_answer_from_knowledge"] or set(rules[intent]) <= DATABASE_ACTIONS, intent


def write_entries(directory: Path, entries: list[dict], name: str = "test.yml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump({"entries": entries}, allow_unicode=True), encoding="utf-8")
    return path


def entry(**overrides) -> dict:
    base = {
        "id": "beispiel",
        "intent": "ask_beispiel",
        "title": "Beispiel",
        "answer": "Eine Antwort.",
        "sources": [{"title": "Quelle A", "url": "https://example.org/a", "stand": "2023-09-14"}],
    }
    base.update(overrides)
    return base


def test_entry_without_source_is_rejected(tmp_path):
    write_entries(tmp_path, [entry(sources=[])])
    with pytest.raises(KnowledgeError, match="beispiel"):
        KnowledgeBase.from_directory(tmp_path)


def test_entry_without_stand_is_rejected(tmp_path):
    write_entries(tmp_path, [entry(sources=[{"title": "Quelle A"}])])
    with pytest.raises(KnowledgeError, match="stand"):
        KnowledgeBase.from_directory(tmp_path)


@pytest.mark.parametrize("stand", ["gestern", "14.09.2023", "2023-13", "2023-02-30", ""])
def test_stand_must_be_a_date_or_undatiert(tmp_path, stand):
    write_entries(tmp_path, [entry(sources=[{"title": "Quelle A", "stand": stand}])])
    with pytest.raises(KnowledgeError):
        KnowledgeBase.from_directory(tmp_path)


def test_two_entries_for_one_intent_are_rejected(tmp_path):
    write_entries(tmp_path, [entry(), entry(id="zweiter")])
    with pytest.raises(KnowledgeError, match="ask_beispiel"):
        KnowledgeBase.from_directory(tmp_path)


def test_button_to_unknown_entry_is_rejected(tmp_path):
    write_entries(tmp_path, [entry(buttons=["gibt_es_nicht"])])
    with pytest.raises(KnowledgeError, match="gibt_es_nicht"):
        KnowledgeBase.from_directory(tmp_path)


@pytest.mark.parametrize(
    "stand, german",
    [("2023-09-14", "14.09.2023"), ("2021-11", "November 2021"), ("2019", "2019"), ("undatiert", "ohne Datum")],
)
def test_stand_is_said_in_german(stand, german):
    assert Source(title="T", stand=stand).stand_german() == german


def test_answer_carries_source_line_and_buttons(tmp_path):
    write_entries(
        tmp_path,
        [
            entry(buttons=["folge"]),
            entry(id="folge", intent="ask_folge", title="Weiter", sources=[{"title": "B", "stand": "2021-11"}]),
        ],
    )
    reply = KnowledgeBase.from_directory(tmp_path).render("beispiel")
    assert reply.text.startswith("Eine Antwort.")
    assert reply.text.endswith("Quelle: [Quelle A](https://example.org/a), Stand: 14.09.2023")
    assert reply.buttons == [{"title": "Weiter", "payload": "/ask_folge"}]
    assert KnowledgeBase.from_directory(tmp_path).render("folge").text.endswith("Quelle: B, Stand: November 2021")


def test_a_procedure_answer_offers_to_start_the_application(tmp_path, domain):
    write_entries(tmp_path, [entry(buttons=["request_funding"])])
    reply = KnowledgeBase.from_directory(tmp_path).render("beispiel")
    assert reply.buttons == [{"title": "Förderanfrage stellen", "payload": "/request_funding"}]
    real = KnowledgeBase.from_directory(ROOT / "knowledge")
    started = {b["payload"] for e in ("join_process", "funding_application", "study") for b in real.render(e).buttons}
    assert {"/request_join", "/request_funding", "/request_study"} <= started
    assert {"request_join", "request_funding", "request_study"} <= set(domain["intents"])


def test_several_sources_are_listed(tmp_path):
    two = [{"title": "A", "stand": "2020"}, {"title": "B", "stand": "undatiert"}]
    write_entries(tmp_path, [entry(sources=two)])
    text = KnowledgeBase.from_directory(tmp_path).render("beispiel").text
    assert text.endswith("Quellen:\n- A, Stand: 2020\n- B, Stand: ohne Datum")


def touch_later(path: Path, text: str) -> None:
    """Writes text so that the change is visible even on coarse file-system clocks."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    while path.stat().st_mtime_ns == before:
        time.sleep(0.01)
        path.write_text(text, encoding="utf-8")


def test_edited_file_changes_the_answer_without_restart(tmp_path):
    for f in KNOWLEDGE.glob("*.yml"):
        shutil.copy(f, tmp_path / f.name)
    live = ReloadingKnowledgeBase(tmp_path)
    assert "Februar 2019" in live.get().render("asskomm_start").text

    path = tmp_path / "asskomm.yml"
    touch_later(path, path.read_text(encoding="utf-8").replace("6. Februar 2019", "7. Februar 2019"))
    assert "7. Februar 2019" in live.get().render("asskomm_start").text


def test_broken_edit_keeps_the_last_good_answers(tmp_path):
    for f in KNOWLEDGE.glob("*.yml"):
        shutil.copy(f, tmp_path / f.name)
    live = ReloadingKnowledgeBase(tmp_path)
    good = live.get().render("contact").text

    path = tmp_path / "contact.yml"
    touch_later(path, path.read_text(encoding="utf-8").replace("stand: 2024-09", "stand: irgendwann"))
    assert live.get().render("contact").text == good
    assert "irgendwann" in live.last_error

    touch_later(path, path.read_text(encoding="utf-8").replace("stand: irgendwann", "stand: 2024-10"))
    assert "Oktober 2024" in live.get().render("contact").text
    assert live.last_error is None


def test_every_entry_has_a_topic_and_every_topic_answers_what_it_is():
    """Follow-ups need the subject of each answer; "Was ist das?" must work for every subject."""
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    for entry in kb.entries.values():
        assert entry.topic in kb.topics, entry.id
    for topic in kb.topics:
        assert kb.entry_for(topic, "what") is not None, f"Thema {topic} ohne Eintrag mit Aspekt 'what'"


def test_follow_up_lookup_by_topic_and_aspect():
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    assert kb.entry_for("study", "cost").id == "study_cost"
    assert kb.entry_for("joining", "cost").id == "join_cost"
    assert kb.entry_for("study", "funding") is None


def test_topic_keywords_match_word_beginnings_only():
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    assert kb.topics_named("Was ist ein Kommunaler Präventionsrat?") == {"council"}
    assert "council" not in kb.topics_named("Wo sitzt der Landespräventionsrat?")
    assert kb.topics_named("Was kostet das?") == set()
    assert kb.topics_named("Bis wann muss der Förderantrag da sein?") == {"funding"}


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


ENTRY = """entries:
  - id: a
    intent: ask_a
    title: A
    topic: {topic}
    aspects: [{aspects}]
    answer: Antwort
    sources: [{{title: Q, stand: "2020"}}]
"""


@pytest.mark.parametrize("topic,aspects,message", [
    ("unbekannt", "what", "unbekanntes Thema"),
    ("t", "preis", "unbekannter Aspekt"),
])
def test_entries_with_unknown_topic_or_aspect_are_refused(tmp_path, topic, aspects, message):
    _write(tmp_path, "topics.yml", "topics:\n  - {id: t, title: T, keywords: [t]}\n")
    _write(tmp_path, "a.yml", ENTRY.format(topic=topic, aspects=aspects))
    with pytest.raises(KnowledgeError, match=message):
        KnowledgeBase.from_directory(tmp_path)


def test_two_entries_for_one_topic_and_aspect_are_refused(tmp_path):
    _write(tmp_path, "topics.yml", "topics:\n  - {id: t, title: T, keywords: [t]}\n")
    _write(tmp_path, "a.yml", ENTRY.format(topic="t", aspects="cost"))
    _write(tmp_path, "b.yml", ENTRY.format(topic="t", aspects="cost").replace("id: a", "id: b").replace("ask_a", "ask_b"))
    with pytest.raises(KnowledgeError, match="zwei Einträge"):
        KnowledgeBase.from_directory(tmp_path)


# The fact check of issue 9 against FACTS.md: claims the sources do not carry, and sources
# marked "undatiert" that FACTS.md dates. They must not come back with a later edit.
UNSUPPORTED_CLAIMS = [
    "Gemeinderat beschließt den Beitritt",  # a resolution on joining is documented for Bannewitz only
    "Sie erhalten ihn beim Landespräventionsrat",  # no source says a model agreement text exists
    "Vereine und Privatpersonen gehören nicht dazu",  # inferred; the sources only name who may apply
]
DATED_BY_FACTS = {"foerdermittel-4045.html": "2023", "lpr.sachsen.de/29279.htm": "2018", "personen/id/2494": "2018"}


def test_claims_the_sources_do_not_carry_stay_out():
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    for entry in kb.entries.values():
        for claim in UNSUPPORTED_CLAIMS:
            assert claim not in entry.answer, f"{entry.id}: {claim!r}"


def test_sources_carry_the_date_facts_gives_them():
    kb = KnowledgeBase.from_directory(KNOWLEDGE)
    for entry in kb.entries.values():
        for source in entry.sources:
            for url_part, stand in DATED_BY_FACTS.items():
                if source.url and url_part in source.url:
                    assert source.stand == stand, f"{entry.id}: {source.url} Stand {source.stand}"


def test_member_count_names_the_latest_published_figure_with_its_date():
    entry = KnowledgeBase.from_directory(KNOWLEDGE).entry_for_intent("ask_member_count")
    assert "60. Kommune" in entry.answer and "11. April 2025" in entry.answer
    assert "2025-04-11" in {source.stand for source in entry.sources}
