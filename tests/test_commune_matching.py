"""Commune names as users type them: the spelling table (tests/data/commune_spellings.csv)
must resolve to the commune meant, to a question back, or to "not a Saxon commune"."""
import csv

import pytest

from bot.communes.matching import CommuneMatcher, CommuneName, find_landkreis
from bot.communes.service import german_stop_words
from tests.conftest import ROOT

COMMUNES = ROOT / "knowledge" / "communes" / "communes_sachsen.csv"
SPELLINGS = ROOT / "tests" / "data" / "commune_spellings.csv"


def spelling_rows() -> list[dict]:
    with SPELLINGS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with COMMUNES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def matcher(rows) -> CommuneMatcher:
    return CommuneMatcher([CommuneName(r["ags"], r["name_short"], r["name"], r["landkreis"]) for r in rows],
                          german_stop_words())


def test_the_table_is_large_and_names_real_communes(rows):
    table = spelling_rows()
    assert len(table) >= 40
    known = {r["ags"] for r in rows}
    for row in table:
        expected = row["expected"]
        if expected != "-":
            assert set(expected.lstrip("?").split("|")) <= known, row


@pytest.mark.parametrize("row", spelling_rows(), ids=lambda row: row["spelling"])
def test_spelling_resolves_as_a_person_would(matcher, row):
    match = matcher.resolve(row["spelling"])
    expected = row["expected"]
    if expected == "-":
        assert match.status == "none", [c.name_short for c in match.communes]
    elif expected.startswith("?"):
        assert match.status == "ambiguous"
        assert {c.ags for c in match.communes} == set(expected[1:].split("|"))
    else:
        assert match.status == "found", (match.status, [c.name_short for c in match.communes])
        assert match.commune.ags == expected


@pytest.mark.parametrize(
    "message, name",
    [
        ("Ist Werdau Mitglied bei ASSKomm?", "Werdau"),
        ("Macht Dresdn mit?", "Dresden"),
        ("Wir sind aus Floeha, können wir noch beitreten?", "Flöha"),
        ("ist die stadt oelsnitz im erzgebirge dabei", "Oelsnitz/Erzgeb."),
        ("Wie viele Einwohner hat Großharthau?", "Großharthau"),
        ("Hat Aue-Bad Schlema eine Kooperationsvereinbarung?", "Aue-Bad Schlema"),
    ],
)
def test_the_commune_is_found_inside_a_question(matcher, message, name):
    match = matcher.find_in_message(message)
    assert match is not None and match.status == "found"
    assert match.commune.name_short == name


@pytest.mark.parametrize("message", ["Was ist ASSKomm?", "Wie lange dauert das Studium?", "Und seit wann?",
                                     "Ist München dabei?", "Wer darf Förderung beantragen?"])
def test_questions_without_a_saxon_commune_name_none(matcher, message):
    assert matcher.find_in_message(message) is None


def test_a_missing_name_leaves_the_words_to_quote_back(matcher):
    assert matcher.candidate_words("Ist München dabei?") == "München"
    assert matcher.candidate_words("Und seit wann?") == ""
    # a filler is no name: the commune of the conversation is meant (persona trial 2026-11-30)
    assert matcher.candidate_words("sind wir eigentlich schon dabei?") == ""
    assert matcher.candidate_words("ist das mittlerweile überhaupt aktuell?") == ""


def test_the_closest_names_are_offered_when_nothing_fits(matcher):
    match = matcher.resolve("Frankenbrg in Bayern")
    assert match.status == "none"
    assert match.suggestions


@pytest.mark.parametrize(
    "message, landkreis",
    [
        ("Welche Kommunen im Landkreis Erzgebirgskreis sind dabei?", "Erzgebirgskreis"),
        ("Welche Gemeinden im Landkreis Zwickau machen mit?", "Zwickau"),
        ("wer macht im erzgebirge mit", "Erzgebirgskreis"),
        ("Mitglieder in der Saechsischen Schweiz", "Sächsische Schweiz-Osterzgebirge"),
        ("Landkreis Mittelsachsn", "Mittelsachsen"),
        ("Was ist ASSKomm?", None),
    ],
)
def test_landkreis_in_a_question(rows, message, landkreis):
    assert find_landkreis(message, {r["landkreis"] for r in rows}) == landkreis
