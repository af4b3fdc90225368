"""Tests for bot/applications/validation.py: parsing of what users type into the forms."""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest

from bot.applications.validation import (
    SKIP_WORDS,
    Parsed,
    is_skip_word,
    parse_amount_eur,
    parse_consent,
    parse_degree,
    parse_email,
    parse_free_text,
    parse_function,
    parse_period,
    parse_person_name,
    parse_phone,
)


def assert_german_error(result: Parsed) -> None:
    """A rejection with a short German message in the formal "Sie" that says what to do."""
    assert isinstance(result, Parsed)
    assert not result.ok, f"expected an error, got value {result.value!r}"
    assert result.value is None
    message = result.error
    assert isinstance(message, str) and 20 <= len(message) <= 300, message
    assert re.search(r"\b(Sie|Ihr|Ihre|Ihren)\b", message), message
    assert "Bitte" in message, message
    assert not re.search(r"\b(du|dein|deine|dich)\b", message, re.IGNORECASE), message


# --------------------------------------------------------------------------- Parsed


def test_parsed_ok_and_frozen():
    assert Parsed(value="x").ok
    assert Parsed(value="").ok
    assert not Parsed(error="Bitte ...").ok
    with pytest.raises(dataclasses.FrozenInstanceError):
        Parsed(value=1).value = 2  # type: ignore[misc]


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Max.Muster@werdau.de", "Max.Muster@werdau.de"),
        (" max@stadt-flöha.de ", "max@stadt-flöha.de"),
        ("meine mail ist max@werdau.de", "max@werdau.de"),
        ("Meine E-Mail: anna.schulze@Zwickau.DE", "anna.schulze@zwickau.de"),
        ("Anna Schulze <anna.schulze@landkreis-zwickau.de>", "anna.schulze@landkreis-zwickau.de"),
        ("buergermeister@gemeinde-lichtentanne.de.", "buergermeister@gemeinde-lichtentanne.de"),
        ("max@werdau.de, MAX@WERDAU.DE", "max@werdau.de"),
        ("poststelle@LRA-Erzgebirgskreis.de", "poststelle@lra-erzgebirgskreis.de"),
        ("info+antrag@chemnitz.de", "info+antrag@chemnitz.de"),
        ("mailto:kontakt@plauen.de", "kontakt@plauen.de"),
    ],
)
def test_email_accepted(text, expected):
    result = parse_email(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize(
    "text",
    [
        "max@",
        "max at werdau de",
        "max@werdau.de und anna@werdau.de",
        "max@werdau",
        "@werdau.de",
        "max@ werdau.de",
        "max..muster@werdau.de",
        "",
        "hab ich nicht",
    ],
)
def test_email_rejected(text):
    assert_german_error(parse_email(text))


def test_email_error_shows_expected_format():
    assert "name@beispiel.de" in parse_email("max at werdau de").error
    assert "nur eine" in parse_email("a@werdau.de b@werdau.de").error


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03761 5940", "+4937615940"),
        ("+49 3761 594-0", "+4937615940"),
        ("0176/12345678", "+4917612345678"),
        ("(0351) 564-0", "+493515640"),
        ("+49 (0)3761 5940", "+4937615940"),
        ("0049 371 4880", "+493714880"),
        ("Tel.: 0371 488-0", "+493714880"),
        ("meine Handynummer ist 0151 23456789", "+4915123456789"),
        ("0375.83-0", "+49375830"),
        ("+43 1 5880", "+4315880"),
    ],
)
def test_phone_accepted(text, expected):
    result = parse_phone(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize(
    "text", ["keine", "Keine.", "nein", "-", "habe ich nicht", "überspringen", "Hab ich nicht!", "keine Angabe"]
)
def test_phone_optional_skip(text):
    assert parse_phone(text, optional=True) == Parsed(value="")


@pytest.mark.parametrize("text", ["keine", "-", "überspringen", ""])
def test_phone_required_does_not_skip(text):
    assert_german_error(parse_phone(text, optional=False))


@pytest.mark.parametrize(
    "text",
    [
        "123",
        "abc",
        "Telefon",
        "0176x12345678",
        "03761 5940 oder 0176 12345678",
        "0000 000000",
        "12345678901234567890123",
        "ja",
    ],
)
def test_phone_rejected(text):
    assert_german_error(parse_phone(text))


# --------------------------------------------------------------------------- amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.000 €", "12000"),
        ("12000", "12000"),
        ("12 000 EUR", "12000"),
        ("12.000,50 €", "12000.50"),
        ("12 Tsd.", "12000"),
        ("12 tausend", "12000"),
        ("12k", "12000"),
        ("12 T€", "12000"),
        ("12 TEUR", "12000"),
        ("1,5 Mio", "1500000"),
        ("1,5 Millionen Euro", "1500000"),
        ("ca. 8.500 Euro", "8500"),
        ("rund 20000", "20000"),
        ("12,5k", "12500"),
        ("€ 2.500,-", "2500"),
        ("wir brauchen etwa 45.000 Euro", "45000"),
        ("1.250.000 €", "1250000"),
        ("zehntausend Euro", "10000"),
        ("eine halbe Million", "500000"),
        ("100 Mio", "100000000"),
        ("749,99", "749.99"),
    ],
)
def test_amount_accepted(text, expected):
    result = parse_amount_eur(text)
    assert result.ok, result.error
    assert isinstance(result.value, Decimal)
    assert result.value == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "viel",
        "0",
        "0,00 €",
        "-500",
        "minus 500 Euro",
        "100.000.001 €",
        "2 Milliarden",
        "12.34.56",
        "12,345",
        "10.000 bis 15.000 €",
        "weiß ich noch nicht",
    ],
)
def test_amount_rejected(text):
    assert_german_error(parse_amount_eur(text))


@pytest.mark.parametrize("text", ["12.000 €", "12,5k", "1,5 Mio", "749,99", "100 Mio"])
def test_amount_str_of_value_parses_back_to_the_same_amount(text):
    """The form keeps the Decimal as text in a slot; parsing that text again gives the same amount."""
    value = parse_amount_eur(text).value
    assert parse_amount_eur(str(value)).value == value


def test_amount_error_mentions_example():
    error = parse_amount_eur("viel").error
    assert "12.000 €" in error or "12 Tsd." in error


# --------------------------------------------------------------------------- period


@pytest.mark.parametrize(
    "text",
    [
        "März bis Dezember 2027",
        "6 Monate",
        "ein Jahr",
        "zwei Wochen",
        "ab 01.03.2027",
        "Q2",
        "im 3. Quartal",
        "Schuljahr 2027/28",
        "Sommer 2027",
        "Sept. bis Dez.",
        "voraussichtlich ab Herbst",
        "2026",
        "1.9.26 bis 31.7.27",
        "03/2027 - 12/2027",
        "über das ganze Wintersemester",
    ],
)
def test_period_accepted(text):
    result = parse_period(text)
    assert result.ok, result.error
    assert result.value == " ".join(text.split())


def test_period_cleans_whitespace_and_control_chars():
    assert parse_period("  ab\x00  März \n 2027 ").value == "ab März 2027"


@pytest.mark.parametrize(
    "text", ["asdf", "ja", "", "bald", "weiß nicht", "2019", "2050", "irgendwann mal", "45.99."]
)
def test_period_rejected(text):
    assert_german_error(parse_period(text))


def test_period_too_long_is_rejected_not_truncated():
    result = parse_period("Von März 2027 an " + "und so weiter " * 20)
    assert_german_error(result)
    assert "200" in result.error


# --------------------------------------------------------------------------- degree


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B.A.", "B.A."),
        ("Bachelor", "B.A."),
        ("ba", "B.A."),
        ("den Bachelor", "B.A."),
        ("b. a.", "B.A."),
        ("Bachlor", "B.A."),
        ("ich möchte den Bachelorstudiengang", "B.A."),
        ("M.A.", "M.A."),
        ("Master", "M.A."),
        ("ma", "M.A."),
        ("Masterstudiengang", "M.A."),
        ("Mastr", "M.A."),
        ("den Master bitte", "M.A."),
    ],
)
def test_degree_accepted(text, expected):
    result = parse_degree(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize(
    "text", ["beides", "weiß nicht", "Bachelor oder Master?", "", "Magister", "Meister", "Diplom", "ja"]
)
def test_degree_rejected_explains_options(text):
    result = parse_degree(text)
    assert_german_error(result)
    assert "Bachelor" in result.error and "Master" in result.error


# --------------------------------------------------------------------------- consent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ja", True),
        ("Ja, einverstanden", True),
        ("ok", True),
        ("okay", True),
        ("einverstanden", True),
        ("stimme zu", True),
        ("Ich stimme zu.", True),
        ("jo", True),
        ("jawohl", True),
        ("gerne", True),
        ("👍", True),
        ("👍🏻", True),
        ("nu klar", True),
        ("Jaaa!", True),
        ("ja klar, kein Problem", True),
        ("nichts dagegen", True),
        ("nein", False),
        ("nö", False),
        ("Nee", False),
        ("nicht einverstanden", False),
        ("lieber nicht", False),
        ("ich stimme nicht zu", False),
        ("nein danke", False),
        ("👎", False),
    ],
)
def test_consent_accepted(text, expected):
    result = parse_consent(text)
    assert result.ok, result.error
    assert result.value is expected


@pytest.mark.parametrize(
    "text", ["vielleicht", "", "ja nein", "weiß nicht", "muss ich erst fragen", "bin mir nicht sicher", "???", "keine Ahnung"]
)
def test_consent_rejected_asks_for_yes_or_no(text):
    result = parse_consent(text)
    assert_german_error(result)
    assert "ja" in result.error and "nein" in result.error


# --------------------------------------------------------------------------- person name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Anna-Lena Müller-Lüdenscheidt", "Dr. Anna-Lena Müller-Lüdenscheidt"),
        ("O'Neill", "O'Neill"),
        ("Sören Kristensen", "Sören Kristensen"),
        ("  Max    Mustermann  ", "Max Mustermann"),
        ("Frau Schulze", "Frau Schulze"),
        ("Jürgen Weiß", "Jürgen Weiß"),
        ("Prof. Dr. Hans-Peter von der Heide", "Prof. Dr. Hans-Peter von der Heide"),
        ("Zoë Łukasiewicz", "Zoë Łukasiewicz"),
        ("Li", "Li"),
    ],
)
def test_person_name_accepted(text, expected):
    result = parse_person_name(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize(
    "text",
    ["asdf1234", "<b>x</b>", "", "   ", "A", "max@werdau.de", "Anna Müller 2", "x" * 101, "Anna; Müller", "null"],
)
def test_person_name_rejected(text):
    assert_german_error(parse_person_name(text))


# --------------------------------------------------------------------------- function


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bürgermeister", "Bürgermeister"),
        ("Sachbearbeiterin Ordnungsamt", "Sachbearbeiterin Ordnungsamt"),
        ("Hauptamtsleiter", "Hauptamtsleiter"),
        ("<b>Bürgermeisterin</b>", "Bürgermeisterin"),
        ("  Leiter   Sachgebiet 3.2 (Ordnung & Sicherheit) ", "Leiter Sachgebiet 3.2 (Ordnung & Sicherheit)"),
        ("Stellv. Amtsleiterin Bürgeramt", "Stellv. Amtsleiterin Bürgeramt"),
        ("Präventionsbeauftragte / Jugendamt", "Präventionsbeauftragte / Jugendamt"),
        ("Kämmerer", "Kämmerer"),
        ("Referent:in für Kommunales", "Referent:in für Kommunales"),
    ],
)
def test_function_accepted(text, expected):
    result = parse_function(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "<br>", "<script>alert(1)</script>", "x", "B" * 121, "123", "Bürgermeister; DROP TABLE x"],
)
def test_function_rejected(text):
    assert_german_error(parse_function(text))


# --------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wir planen ein Projekt an zwei Schulen.", "Wir planen ein Projekt an zwei Schulen."),
        ("  Zeile 1\nZeile 2  ", "Zeile 1\nZeile 2"),
        ("Absatz 1\r\n\r\nAbsatz 2", "Absatz 1\n\nAbsatz 2"),
        ("A\n\n\n\n\n\n\nB", "A\n\n\nB"),
        ("A\n   \n \n\n  \n\nB", "A\n\n\nB"),
        ("Mit\x00 Steuer\x07zeichen\x1b", "Mit Steuerzeichen"),
        ("Tab\tgetrennt", "Tab getrennt"),
        ("<b>fett</b> & <i>kursiv</i>", "<b>fett</b> & <i>kursiv</i>"),
        ("'; DROP TABLE applications; --", "'; DROP TABLE applications; --"),
        ("Förderung 👍 bitte", "Förderung 👍 bitte"),
    ],
)
def test_free_text_accepted(text, expected):
    result = parse_free_text(text)
    assert result.ok, result.error
    assert result.value == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "\x00\x07", "x" * 2001])
def test_free_text_rejected(text):
    assert_german_error(parse_free_text(text))


def test_free_text_limit_is_named_and_not_truncated():
    result = parse_free_text("Wort " * 100, max_length=300)
    assert_german_error(result)
    assert "300" in result.error
    assert parse_free_text("x" * 300, max_length=300).value == "x" * 300


@pytest.mark.parametrize(("text", "expected"), [("keine", ""), ("nein", ""), ("-", ""), ("", ""), ("Keine.", "")])
def test_free_text_optional_skip(text, expected):
    assert parse_free_text(text, optional=True) == Parsed(value=expected)


def test_free_text_required_keeps_skip_word_as_text():
    assert parse_free_text("keine", optional=False).value == "keine"


# --------------------------------------------------------------------------- skip words


@pytest.mark.parametrize("word", ["keine", "nein", "-", "habe ich nicht", "überspringen"])
def test_skip_words_contains_the_documented_words(word):
    assert word in SKIP_WORDS
    assert is_skip_word(f"  {word.upper()} ")


def test_skip_word_is_not_a_substring_match():
    assert not is_skip_word("keine Ahnung, aber 0371 4880")


# --------------------------------------------------------------------------- robustness

NASTY_INPUTS = [
    "",
    "   ",
    "😀" * 50,
    "<script>alert(1)</script>",
    "'; DROP TABLE applications; --",
    "a" * 100_000,
    "\x00\x07",
    "None",
    "null",
    None,
    "\ud800 lone surrogate",
    "\u202eevil\u202c",
    "1" * 100_000,
    "@" * 10_000,
    "12." * 10_000,
]

PARSERS = {
    "email": parse_email,
    "phone": parse_phone,
    "phone_required": lambda text: parse_phone(text, optional=False),
    "amount": parse_amount_eur,
    "period": parse_period,
    "degree": parse_degree,
    "consent": parse_consent,
    "person_name": parse_person_name,
    "function": parse_function,
    "free_text": parse_free_text,
    "free_text_optional": lambda text: parse_free_text(text, optional=True),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("text", NASTY_INPUTS, ids=lambda t: repr(t)[:30])
def test_nasty_input_never_raises(name, text):
    result = PARSERS[name](text)
    assert isinstance(result, Parsed)
    if result.ok:
        value = result.value
        assert value is not None
        if isinstance(value, str):
            value.encode("utf-8")  # no lone surrogates: storable and sendable
            assert not any(ch in value for ch in "\x00\x07\u202e\u202c")
            assert len(value) <= 2000
    else:
        assert_german_error(result)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("email", "<script>alert(1)</script>"),
        ("phone", "😀" * 50),
        ("amount", "a" * 100_000),
        ("period", "'; DROP TABLE applications; --"),
        ("degree", "a" * 100_000),
        ("consent", "<script>alert(1)</script>"),
        ("person_name", "'; DROP TABLE applications; --"),
        ("person_name", "😀" * 50),
        ("function", "<script>alert(1)</script>"),
        ("free_text", "a" * 100_000),
    ],
)
def test_nasty_input_is_rejected_where_it_makes_no_sense(name, text):
    assert_german_error(PARSERS[name](text))


def test_an_amount_too_long_for_cents_is_refused_politely():
    from bot.applications.validation import parse_amount_eur

    parsed = parse_amount_eur("100000000000000000000000000000 €")
    assert not parsed.ok and "zu hoch" in parsed.error
