"""Leichte Sprache: every entry has a text, the texts follow the rules a program can check and
say no fact their entry does not say; loading, validation, rendering and live reload."""
import shutil

import pytest
import yaml

from bot.knowledge import KnowledgeBase, KnowledgeError, ReloadingKnowledgeBase
from bot.knowledge.easy_language import EASY_DIR, MISSING_TEXT, new_facts, style_problems
from tests.conftest import ROOT
from tests.test_knowledge import touch_later

KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(KNOWLEDGE)


def test_every_knowledge_entry_has_a_leichte_sprache_text(kb):
    missing = kb.easy.missing(kb.entries)
    assert not missing, (
        f"Ohne Text in Leichter Sprache: {', '.join(missing)}. Bitte in knowledge/{EASY_DIR}/<gleiche Datei>.yml "
        "ergänzen (README.md, „Wissen pflegen“)."
    )


@pytest.mark.parametrize("entry_id", sorted(KnowledgeBase.from_directory(KNOWLEDGE).easy.texts))
def test_text_follows_the_checkable_rules_and_adds_no_fact(kb, entry_id):
    text = kb.easy.texts[entry_id].text
    assert not style_problems(text), style_problems(text)
    added = new_facts(text, kb.entries[entry_id].answer)
    assert not added, f"{entry_id}: Zahlen oder Adressen, die der Eintrag nicht nennt: {added}"


def test_the_texts_leave_out_claims_the_sources_do_not_carry(kb):
    """Claims removed after the fact check of issue 9 must not come back through Leichte Sprache."""
    everything = "\n".join(t.text for t in kb.easy.texts.values()).lower()
    for claim in ["gemeinderat beschließt", "stadtrat", "vereine und privatpersonen", "gehören nicht dazu"]:
        assert claim not in everything, claim
    assert "muster-text" in kb.easy.texts["cooperation_agreement"].text.lower()
    assert "erhalten sie" not in kb.easy.texts["cooperation_agreement"].text.lower()
    # the study and the Sicherheitsanalyse are not offered as current
    offers = kb.easy.texts["offers"].text
    assert "Gibt es diese Angebote heute noch? Das weiß ich nicht." in offers


def test_the_checks_find_what_they_are_for():
    problems = " | ".join(style_problems(
        "Der Landespräventionsrat wird beraten. Das wäre gut, z. B. heute; zu 90 %. Das Büro des Rates."
    ))
    for expected in ["Landespräventionsrat", "Passiv", "Konjunktiv", "z. B.", "';'", "'%'", "Genitiv"]:
        assert expected in problems, expected
    assert "Satz mit 14 Wörtern" in style_problems("Ein Satz mit sehr vielen Wörtern ist in Leichter Sprache kaum gut zu lesen.")[0]
    assert style_problems("Schreiben Sie an: „Sächsisches Staatsministerium des Innern, 01095 Dresden“") == []
    assert new_facts("Es gibt 8 Städte. 55 sind dabei. Mail an x@y.de", "Es gibt acht Städte.") == ["55", "x@y.de"]
    assert new_facts("Schreiben Sie an lpr@smi.sachsen.de.", "E-Mail: lpr@smi.sachsen.de") == []


def test_a_prueffgruppe_check_is_not_claimed_while_none_is_recorded(kb):
    assert kb.easy.checks and all(check is None for check in kb.easy.checks.values())
    assert kb.easy.all_checked is False


# ---------------------------------------------------------------- loading and validation


def write(directory, name, data) -> None:
    (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def entry(**overrides) -> dict:
    base = {"id": "beispiel", "intent": "ask_beispiel", "title": "Beispiel", "answer": "Es gibt 3 Wege.",
            "sources": [{"title": "Quelle A", "url": "https://example.org/a", "stand": "2023-09-14"}]}
    base.update(overrides)
    return base


@pytest.fixture
def small(tmp_path):
    write(tmp_path, "a.yml", {"entries": [
        entry(buttons=["folge", "request_funding"]),
        entry(id="folge", intent="ask_folge", title="Weiter", answer="Mehr.", sources=[{"title": "B", "stand": "2021-11"}]),
    ]})
    (tmp_path / EASY_DIR).mkdir()
    return tmp_path


def test_easy_text_keeps_source_line_and_buttons_with_easy_titles(small):
    write(small / EASY_DIR, "a.yml", {"geprueft": None, "texts": [
        {"id": "beispiel", "text": "Es gibt 3 Wege.\nDas ist leicht."},
        {"id": "folge", "title": "Noch mehr", "text": "Noch mehr."},
    ]})
    kb = KnowledgeBase.from_directory(small)
    easy = kb.render("beispiel", easy_language=True)
    standard = kb.render("beispiel")
    assert easy.text == "Es gibt 3 Wege.\nDas ist leicht.\n\nQuelle: [Quelle A](https://example.org/a), Stand: 14.09.2023"
    assert standard.text.startswith("Es gibt 3 Wege.\n\nQuelle: [Quelle A]")
    assert easy.buttons == [{"title": "Noch mehr", "payload": "/ask_folge"},
                            {"title": "Förder-Anfrage stellen", "payload": "/request_funding"}]
    assert standard.buttons == [{"title": "Weiter", "payload": "/ask_folge"},
                                {"title": "Förderanfrage stellen", "payload": "/request_funding"}]
    assert kb.render("folge", easy_language=True).text.endswith("Quelle: B, Stand: November 2021")


def test_an_entry_without_text_is_said_in_standard_language_with_a_note(small):
    kb = KnowledgeBase.from_directory(small)  # leichte_sprache/ is empty
    reply = kb.render("beispiel", easy_language=True)
    assert reply.text.startswith(MISSING_TEXT + "\n\nEs gibt 3 Wege.")
    assert kb.easy.missing(kb.entries) == ["beispiel", "folge"]
    assert kb.easy.all_checked is False


def test_a_knowledge_base_without_easy_texts_loads(tmp_path):
    write(tmp_path, "a.yml", {"entries": [entry()]})
    assert KnowledgeBase.from_directory(tmp_path).render("beispiel").text.startswith("Es gibt 3 Wege.")


@pytest.mark.parametrize("texts, message", [
    ([{"id": "gibt_es_nicht", "text": "Text."}], "unbekannten Eintrag 'gibt_es_nicht'"),
    ([{"id": "beispiel", "text": "A."}, {"id": "beispiel", "text": "B."}], "mehrfach"),
    ([{"id": "beispiel", "text": "  "}], "leerer Text"),
    ([{"id": "beispiel"}], "text"),
    ([{"id": "beispiel", "text": "A.", "farbe": "rot"}], "farbe"),
])
def test_broken_texts_are_refused_with_file_and_reason(small, texts, message):
    write(small / EASY_DIR, "a.yml", {"geprueft": None, "texts": texts})
    with pytest.raises(KnowledgeError, match=message) as error:
        KnowledgeBase.from_directory(small)
    assert f"{EASY_DIR}/a.yml" in str(error.value)


def test_a_text_belongs_in_the_file_of_the_same_name(small):
    write(small / EASY_DIR, "b.yml", {"texts": [{"id": "beispiel", "text": "A."}]})
    with pytest.raises(KnowledgeError, match=f"gehört nach {EASY_DIR}/a.yml"):
        KnowledgeBase.from_directory(small)


@pytest.mark.parametrize("check, ok", [
    ({"am": "2027-01-15", "von": "Prüfgruppe der Lebenshilfe Musterstadt"}, True),
    ({"am": "2027-01-15", "von": " "}, False),
    ({"von": "Prüfgruppe"}, False),
    ({"am": "irgendwann", "von": "Prüfgruppe"}, False),
    ("ja", False),
])
def test_a_check_needs_a_date_and_the_group(small, check, ok):
    write(small / EASY_DIR, "a.yml", {"geprueft": check, "texts": [{"id": "beispiel", "text": "A."}]})
    if ok:
        kb = KnowledgeBase.from_directory(small)
        assert kb.easy.all_checked is True
        assert kb.easy.checks["a.yml"].von == "Prüfgruppe der Lebenshilfe Musterstadt"
    else:
        with pytest.raises(KnowledgeError, match="geprueft"):
            KnowledgeBase.from_directory(small)


def test_edited_easy_text_changes_the_answer_and_a_broken_one_keeps_the_last_good(tmp_path):
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge", ignore=shutil.ignore_patterns("communes", "forms", "sources"))
    directory = tmp_path / "knowledge"
    live = ReloadingKnowledgeBase(directory)
    assert "6. Februar 2019" in live.get().render("asskomm_start", easy_language=True).text

    path = directory / EASY_DIR / "asskomm.yml"
    good = path.read_text(encoding="utf-8")
    touch_later(path, good.replace("am 6. Februar 2019 angefangen", "am 6. Februar 2019 begonnen"))
    assert "am 6. Februar 2019 begonnen" in live.get().render("asskomm_start", easy_language=True).text

    touch_later(path, good.replace("- id: asskomm_start", "- id: asskomm_anfang"))
    assert "am 6. Februar 2019 begonnen" in live.get().render("asskomm_start", easy_language=True).text
    assert "asskomm_anfang" in live.last_error
    touch_later(path, good)
    assert "angefangen" in live.get().render("asskomm_start", easy_language=True).text
    assert live.last_error is None
