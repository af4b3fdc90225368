"""Parsing and validation of what users type into the application forms in the chat.

Every parser takes the raw user text and returns a :class:`Parsed`: either a normalised
``value`` or a short German ``error`` (formal "Sie") that says what is wrong and what is
expected.  The parsers never raise, whatever the input (empty, huge, emoji, HTML, SQL, ...).

Optional fields accept one of :data:`SKIP_WORDS` ("keine", "nein", "-", ...) and then return
``Parsed(value="")``, meaning "skipped".

Needs ``email-validator`` (2.4.0) and ``phonenumbers`` (9.0.43).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

logger = logging.getLogger(__name__)

__all__ = [
    "Parsed",
    "SKIP_WORDS",
    "is_skip_word",
    "parse_email",
    "parse_phone",
    "parse_amount_eur",
    "parse_period",
    "parse_degree",
    "parse_consent",
    "parse_person_name",
    "parse_function",
    "parse_free_text",
]


@dataclass(frozen=True)
class Parsed:
    """Result of a parser: a value, or a German error message for the user."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(message: str) -> Parsed:
    return Parsed(value=None, error=message)


# --------------------------------------------------------------------------- helpers

#: Answers that mean "I want to skip this optional field" (compared after normalisation:
#: lower case, whitespace collapsed, trailing ".!" removed).
SKIP_WORDS: frozenset[str] = frozenset(
    {
        "keine", "keiner", "keins", "kein", "nein", "ne", "nee", "nö", "noe", "nein danke",
        "-", "--", "---", "–", "—", "/", "x", "n/a", "k.a.", "k. a.", "ka",
        "keine angabe", "keine angaben", "ohne", "leer", "nichts", "entfällt", "entfaellt",
        "habe ich nicht", "hab ich nicht", "hab ich keine", "habe ich keine", "habe keine",
        "hab keine", "gibt es nicht", "gibt's nicht", "gibts nicht", "haben wir nicht",
        "haben wir keine", "möchte ich nicht angeben", "will ich nicht angeben",
        "keine nummer", "keine telefonnummer", "keine bemerkung", "keine bemerkungen",
        "keine anmerkung", "keine anmerkungen",
        "überspringen", "ueberspringen", "bitte überspringen", "skip", "weiter",
    }
)

_MAX_SHORT_INPUT = 500  # hard limit for one-line answers, before any regex work
_ALLOWED_CF = {"\u200d"}  # zero-width joiner (emoji sequences)


def _as_text(text: Any) -> str:
    """Any input as a ``str`` without surrogates and invisible control/format characters.

    Newlines are normalised to ``\\n`` and kept, tabs become spaces."""
    if text is None:
        return ""
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:  # noqa: BLE001 - a broken __str__ must not crash the form
            return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch in "\t\v\f":
            out.append(" ")
        elif ch in "\u2028\u2029\x85":
            out.append("\n")
        else:
            category = unicodedata.category(ch)
            if category in ("Cc", "Cs") or (category == "Cf" and ch not in _ALLOWED_CF):
                continue
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _one_line(text: Any) -> str:
    """Cleaned text on one line with whitespace collapsed."""
    return " ".join(_as_text(text).split())


def _normalise_answer(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".! ").strip()


def is_skip_word(text: Any) -> bool:
    """True if the user wants to skip an optional field (see :data:`SKIP_WORDS`)."""
    return _normalise_answer(_one_line(text)) in SKIP_WORDS


def _german_int(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _too_long(what: str, example: str) -> Parsed:
    return _fail(f"Ihre Eingabe ist zu lang. Bitte geben Sie nur {what} ein, z. B. {example}")


# --------------------------------------------------------------------------- e-mail

_EMAIL_EXAMPLE = "name@beispiel.de"
_EMAIL_CANDIDATE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*")


def parse_email(text: Any, *, optional: bool = False) -> Parsed:
    """One e-mail address, also inside a sentence ("meine Mail ist max@werdau.de").

    Returns the normalised address (domain lower-cased, IDN domains in Unicode)."""
    cleaned = _one_line(text)
    if optional and (not cleaned or is_skip_word(cleaned)):
        return Parsed(value="")
    if not cleaned:
        return _fail(f"Bitte geben Sie Ihre E-Mail-Adresse ein, z. B. {_EMAIL_EXAMPLE}")
    if len(cleaned) > _MAX_SHORT_INPUT:
        return _too_long("Ihre E-Mail-Adresse", _EMAIL_EXAMPLE)
    if "@" not in cleaned:
        return _fail(
            f"Das sieht nicht nach einer E-Mail-Adresse aus. Bitte geben Sie sie so ein: {_EMAIL_EXAMPLE}"
        )
    candidates: list[str] = []
    for match in _EMAIL_CANDIDATE.finditer(cleaned):
        candidate = match.group(0).lstrip(".'`")
        if candidate.lower() not in (c.lower() for c in candidates):
            candidates.append(candidate)
    if not candidates:
        return _fail(
            f"Die E-Mail-Adresse ist unvollständig. Bitte geben Sie sie vollständig ein, z. B. {_EMAIL_EXAMPLE}"
        )
    if len(candidates) > 1:
        return _fail(
            f"Sie haben mehrere E-Mail-Adressen angegeben. Bitte nennen Sie nur eine, z. B. {_EMAIL_EXAMPLE}"
        )
    address = candidates[0]
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        logger.debug("E-Mail %r abgelehnt: %s", address, error)
        domain = address.rpartition("@")[2]
        if "." not in domain:
            return _fail(
                "Nach dem @ fehlt die vollständige Domain mit Endung. "
                f"Bitte geben Sie die Adresse so ein: {_EMAIL_EXAMPLE}"
            )
        return _fail(
            f"Das sieht nicht nach einer gültigen E-Mail-Adresse aus. Bitte geben Sie sie so ein: {_EMAIL_EXAMPLE}"
        )
    except Exception:  # noqa: BLE001 - library surprises must not crash the form
        logger.exception("email-validator failed on %r", address)
        return _fail(
            f"Das sieht nicht nach einer gültigen E-Mail-Adresse aus. Bitte geben Sie sie so ein: {_EMAIL_EXAMPLE}"
        )
    local, _, domain = result.normalized.rpartition("@")
    return Parsed(value=f"{local}@{domain.lower()}")


# --------------------------------------------------------------------------- phone

_PHONE_EXAMPLE = "03761 5940 oder +49 176 12345678"
_PHONE_CANDIDATE = re.compile(r"[+(]?\d[\d ()/.\-\u2013\u00a0\u202f]*\d\)?")


def parse_phone(text: Any, optional: bool = True) -> Parsed:
    """A German (or international) phone number as E.164 string, e.g. ``+4937615940``.

    For optional fields a skip word ("keine", "nein", "-", ...) or an empty answer
    returns ``Parsed(value="")``."""
    cleaned = _one_line(text)
    skip_hint = " Wenn Sie keine angeben möchten, schreiben Sie „keine“." if optional else ""
    if optional and (not cleaned or is_skip_word(cleaned)):
        return Parsed(value="")
    if not cleaned:
        return _fail(f"Bitte geben Sie Ihre Telefonnummer mit Vorwahl ein, z. B. {_PHONE_EXAMPLE}.")
    if len(cleaned) > _MAX_SHORT_INPUT:
        return _too_long("Ihre Telefonnummer", _PHONE_EXAMPLE + ".")
    if is_skip_word(cleaned):
        return _fail(
            "Für diesen Antrag brauchen wir eine Telefonnummer. "
            f"Bitte geben Sie sie mit Vorwahl ein, z. B. {_PHONE_EXAMPLE}."
        )
    candidates = list(_PHONE_CANDIDATE.finditer(cleaned))
    invalid = (
        "Das sieht nicht nach einer Telefonnummer aus. "
        f"Bitte geben Sie sie mit Vorwahl ein, z. B. {_PHONE_EXAMPLE}.{skip_hint}"
    )
    if not candidates:
        return _fail(invalid)
    if len({re.sub(r"\D", "", m.group(0)) for m in candidates}) > 1:
        between = cleaned[candidates[0].end() : candidates[1].start()]
        if re.search(r"\b(?:oder|und|bzw|sowie|mobil|handy|fax)\b|[,;]", between, re.IGNORECASE):
            return _fail(f"Bitte nennen Sie nur eine Telefonnummer, z. B. {_PHONE_EXAMPLE}.")
        return _fail(invalid)
    candidate = candidates[0].group(0).strip()
    digits = re.sub(r"\D", "", candidate)
    if len(digits) < 6:
        return _fail(
            "Die Telefonnummer ist zu kurz. "
            f"Bitte geben Sie sie mit Vorwahl ein, z. B. {_PHONE_EXAMPLE}.{skip_hint}"
        )
    if len(digits) > 17:
        return _fail(invalid)
    try:
        number = phonenumbers.parse(candidate, "DE")
    except phonenumbers.NumberParseException:
        return _fail(invalid)
    except Exception:  # noqa: BLE001
        logger.exception("phonenumbers failed on %r", candidate)
        return _fail(invalid)
    if not phonenumbers.is_valid_number(number):
        return _fail(
            "Diese Telefonnummer ist nicht gültig. "
            f"Bitte prüfen Sie die Vorwahl und geben Sie sie z. B. so ein: {_PHONE_EXAMPLE}.{skip_hint}"
        )
    return Parsed(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# --------------------------------------------------------------------------- amount

_AMOUNT_EXAMPLE = "„12.000 €“ oder „12 Tsd.“"
_MAX_AMOUNT = Decimal("100000000")
_CENT = Decimal("0.01")

_MULTIPLIERS: list[tuple[str, Decimal]] = [
    (r"milliarden?|mrd\.?", Decimal("1000000000")),
    (r"millionen|million|mill\.?|mio\.?", Decimal("1000000")),
    (r"tausend|tsd\.?|teur|t\s*€|t\s*eur|k", Decimal("1000")),
]
_MULTIPLIER_RE = "|".join(f"(?:{pattern})" for pattern, _ in _MULTIPLIERS)
_AMOUNT_RE = re.compile(
    r"(?P<neg>(?<![\w.])minus\s*|(?<![\w.,-])[-\u2212\u2013](?=\d))?"
    r"(?P<num>\d+(?:[.'\u2019 \u00a0\u202f]\d+)*(?:,(?:\d+|-{1,2}|\u2014))?)"
    rf"(?:\s*(?P<mult>{_MULTIPLIER_RE})(?![a-zäöüß]))?",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einer": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
    "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "fünfzehn": 15, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50,
    "hundert": 100, "einhundert": 100, "zweihundert": 200, "fünfhundert": 500,
    "halbe": Decimal("0.5"),
}
_NUMBER_WORD_RE = re.compile(
    r"\b(?:eine\s+)?(?P<word>" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"\s*(?P<mult>tausend|millionen|million|mio\.?)(?![a-zäöüß])",
    re.IGNORECASE,
)


def _multiplier(token: str | None) -> Decimal:
    if not token:
        return Decimal(1)
    for pattern, factor in _MULTIPLIERS:
        if re.fullmatch(pattern, token, re.IGNORECASE):
            return factor
    return Decimal(1)


def _number_to_decimal(num: str, has_multiplier: bool) -> Decimal | None:
    """German number text ("12.000,50", "12 000", "1,5") as Decimal; None if ambiguous."""
    integer, comma, fraction = num.partition(",")
    if fraction in ("-", "--", "\u2014"):
        fraction = ""
    groups = re.split(r"[.'\u2019 \u00a0\u202f]", integer)
    separators = re.findall(r"[.'\u2019 \u00a0\u202f]", integer)
    if len(groups) == 1:
        digits = groups[0]
    elif 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        digits = "".join(groups)  # thousands grouping: 12.000 / 12 000 / 1.250.000
    elif len(groups) == 2 and separators == ["."] and not comma and len(groups[1]) <= 2:
        digits, fraction = groups[0], groups[1]  # English decimal point: 12.50 / 1.5 Mio
    else:
        return None
    if fraction and not has_multiplier and len(fraction) > 2:
        return None  # "12,345" without Mio/Tsd. is ambiguous
    try:
        return Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        return None


def parse_amount_eur(text: Any) -> Parsed:
    """An amount in euros as :class:`~decimal.Decimal` rounded to cents.

    Understands "12.000 €", "12 000 EUR", "12.000,50 €", "12 Tsd.", "12k", "12 T€",
    "1,5 Mio", "1,5 Millionen Euro", "ca. 8.500 Euro", "rund 20000", "zehntausend"."""
    cleaned = _one_line(text)
    if not cleaned:
        return _fail(f"Bitte geben Sie einen Betrag in Euro ein, z. B. {_AMOUNT_EXAMPLE}.")
    if len(cleaned) > _MAX_SHORT_INPUT:
        return _too_long("den Betrag", _AMOUNT_EXAMPLE + ".")
    # "zehntausend", "eine halbe Million", "zwei Mio" -> digits
    lowered = cleaned.lower()
    if not re.search(r"\d", lowered):
        lowered = _NUMBER_WORD_RE.sub(
            lambda m: f" {str(_NUMBER_WORDS[m.group('word').lower()]).replace('.', ',')} {m.group('mult')}",
            lowered,
        )
    matches = list(_AMOUNT_RE.finditer(lowered))
    not_understood = (
        f"Das habe ich nicht als Betrag erkannt. Bitte geben Sie eine Zahl in Euro ein, z. B. {_AMOUNT_EXAMPLE}."
    )
    if not matches:
        return _fail(not_understood)
    if len(matches) > 1:
        return _fail(f"Bitte nennen Sie nur einen Betrag, z. B. {_AMOUNT_EXAMPLE}.")
    match = matches[0]
    factor = _multiplier(match.group("mult"))
    amount = _number_to_decimal(match.group("num"), factor != 1)
    if amount is None:
        return _fail(
            "Diese Zahl kann ich nicht eindeutig lesen. "
            "Bitte schreiben Sie Tausender mit Punkt und Cent mit Komma, z. B. „12.000,50 €“ oder „12 Tsd.“."
        )
    if match.group("neg"):
        return _fail(f"Der Betrag muss größer als 0 € sein. Bitte geben Sie ihn z. B. so ein: {_AMOUNT_EXAMPLE}.")
    raw = amount * factor
    # checked before rounding: a 29-digit amount cannot be rounded to cents (decimal precision)
    value = raw.quantize(_CENT, rounding=ROUND_HALF_UP) if raw <= _MAX_AMOUNT else raw
    if value <= 0:
        return _fail(f"Der Betrag muss größer als 0 € sein. Bitte geben Sie ihn z. B. so ein: {_AMOUNT_EXAMPLE}.")
    if value > _MAX_AMOUNT:
        return _fail(
            "Der Betrag ist zu hoch (höchstens 100 Mio. €). "
            f"Bitte prüfen Sie Ihre Eingabe, z. B. {_AMOUNT_EXAMPLE} oder „1,5 Mio. €“."
        )
    return Parsed(value=value)


# --------------------------------------------------------------------------- period

_PERIOD_MAX = 200
_PERIOD_EXAMPLE = "„März bis Dezember 2027“, „ab 01.03.2027“ oder „6 Monate“"
_PERIOD_PATTERNS = [
    re.compile(r"(?<!\d)20(?:2[4-9]|3\d|40)(?!\d)"),  # year 2024-2040
    re.compile(
        r"\b(?:januar|jänner|jan|februar|feber|feb|märz|maerz|mär|mrz|april|apr|mai|juni|jun|"
        r"juli|jul|august|aug|september|sept|sep|oktober|okt|november|nov|dezember|dez)\b",
        re.IGNORECASE,
    ),
    re.compile(r"(?:jahr|monat|woche|semester|quartal|ferien)", re.IGNORECASE),
    re.compile(r"\btag(?:e|en)?\b", re.IGNORECASE),
    re.compile(r"(?:frühjahr|frühling|fruehjahr|fruehling|sommer|herbst|winter)", re.IGNORECASE),
    re.compile(r"\bq\s?[1-4]\b", re.IGNORECASE),
    re.compile(r"(?<!\d)\d{1,2}\s?/\s?(?:20)?\d{2}(?!\d)"),  # 03/2027, 3/27
]
_DATE_RE = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.(?:\s?(?:\d{4}|\d{2}))?(?![\d])")
_ISO_DATE_RE = re.compile(r"(?<!\d)20\d{2}-(?P<m>\d{2})(?:-(?P<d>\d{2}))?(?!\d)")


def _contains_date(text: str) -> bool:
    for match in _DATE_RE.finditer(text):
        if 1 <= int(match.group("d")) <= 31 and 1 <= int(match.group("m")) <= 12:
            return True
    for match in _ISO_DATE_RE.finditer(text):
        if 1 <= int(match.group("m")) <= 12:
            return True
    return False


def parse_period(text: Any) -> Parsed:
    """Free text of the planned project period, accepted if it names a time (year 2024–2040,
    month, duration, date, quarter, season, school year, ...). Returns the cleaned text."""
    cleaned = _one_line(text)
    if not cleaned:
        return _fail(f"Bitte nennen Sie den geplanten Zeitraum, z. B. {_PERIOD_EXAMPLE}.")
    if len(cleaned) > _PERIOD_MAX:
        return _fail(
            f"Die Angabe ist zu lang ({_german_int(len(cleaned))} Zeichen). Bitte fassen Sie den Zeitraum "
            f"in höchstens {_PERIOD_MAX} Zeichen zusammen, z. B. {_PERIOD_EXAMPLE}."
        )
    if _contains_date(cleaned) or any(p.search(cleaned) for p in _PERIOD_PATTERNS):
        return Parsed(value=cleaned)
    return _fail(f"Daraus kann ich keinen Zeitraum erkennen. Bitte nennen Sie z. B. {_PERIOD_EXAMPLE}.")


# --------------------------------------------------------------------------- degree

_DEGREE_ERROR = (
    "Bitte wählen Sie einen der beiden Abschlüsse: „Bachelor“ (B.A.) oder „Master“ (M.A.). "
    "Schreiben Sie einfach „Bachelor“ oder „Master“."
)


def _looks_like(word: str, target: str) -> bool:
    return word.startswith(target) or SequenceMatcher(None, word, target).ratio() >= 0.87


def parse_degree(text: Any) -> Parsed:
    """"Bachelor"/"B.A."/"ba" -> ``"B.A."``; "Master"/"M.A."/"ma" -> ``"M.A."``."""
    cleaned = _one_line(text).lower()
    if not cleaned or len(cleaned) > _MAX_SHORT_INPUT:
        return _fail(_DEGREE_ERROR)
    cleaned = re.sub(r"\b([bm])\s*\.\s*a\b\.?", r" \1a ", cleaned)  # B.A. / b. a. / M.A.
    words = re.findall(r"[a-zäöüß]+", cleaned)
    if any(w in ("beides", "beide", "egal", "unentschieden") for w in words) or "weiß nicht" in cleaned \
            or "weiss nicht" in cleaned:
        return _fail(_DEGREE_ERROR)
    bachelor = any(w in ("ba", "bachelor") or (len(w) >= 6 and _looks_like(w, "bachelor")) for w in words)
    master = any(w in ("ma", "master") or (len(w) >= 5 and _looks_like(w, "master")) for w in words)
    if bachelor and not master:
        return Parsed(value="B.A.")
    if master and not bachelor:
        return Parsed(value="M.A.")
    return _fail(_DEGREE_ERROR)


# --------------------------------------------------------------------------- consent

_CONSENT_ERROR = (
    "Das habe ich nicht eindeutig verstanden. Bitte antworten Sie mit „ja“ (einverstanden) "
    "oder „nein“ (nicht einverstanden)."
)
# phrases that contain a negation word but mean "yes", and negated yes-words that mean "no"
_YES_PHRASES = re.compile(
    r"\b(?:nichts dagegen|kein problem|keine einwände|keine einwaende|warum nicht|"
    r"stimme (?:ich )?zu|ich stimme zu|stimmen zu|stimme hiermit zu)\b"
)
_NO_PHRASES = re.compile(
    r"\b(?:nicht einverstanden|nicht zustimmen|stimme (?:ich )?nicht zu|stimme dem nicht zu|"
    r"lieber nicht|auf keinen fall|nicht ok|nicht okay|bin dagegen|nein danke|"
    r"möchte ich nicht|will ich nicht|eher nicht|nicht gerne?|nicht so gerne?)\b"
)
_UNSURE_PHRASES = re.compile(
    r"\b(?:weiß nicht|weiss nicht|weiß ich nicht|weiss ich nicht|keine ahnung|nicht sicher|"
    r"vielleicht|mal sehen|muss ich (?:erst |noch )?(?:fragen|klären|klaeren|prüfen))\b"
)
_YES_WORDS = re.compile(
    r"(?:ja+|jawohl|jo+|joa|jop|jep|jap+|jup+|yes|yep|yup|ok|okay|okey|oki|okidoki|einverstanden|"
    r"gerne?|klar|natürlich|natuerlich|selbstverständlich|sicher|genau|passt|zustimmung|nu|"
    r"freilich|logo|jut|gut|richtig|korrekt|bestätigt|bestätige|akzeptiert|akzeptiere|zugestimmt)"
)
_NO_WORDS = re.compile(
    r"(?:nein+|nö+|noe|ne+|nä+|nope|no|nicht|kein|keine|niemals|nie|ablehnen|lehne|abgelehnt|"
    r"dagegen|widerspreche|widerspruch)"
)


def parse_consent(text: Any) -> Parsed:
    """Yes/no answer to a consent question: ``True`` (agreed) or ``False`` (declined)."""
    cleaned = _one_line(text).lower()
    if not cleaned or len(cleaned) > _MAX_SHORT_INPUT:
        return _fail(_CONSENT_ERROR)
    for emoji in ("👍", "✅", "✔", "👌"):
        cleaned = cleaned.replace(emoji, " ja ")
    for emoji in ("👎", "❌", "✖", "🚫"):
        cleaned = cleaned.replace(emoji, " nein ")
    cleaned = " ".join(re.findall(r"[a-zäöüß]+", cleaned))
    if _UNSURE_PHRASES.search(cleaned):
        return _fail(_CONSENT_ERROR)
    cleaned = _NO_PHRASES.sub(" __no__ ", cleaned)
    cleaned = _YES_PHRASES.sub(" __yes__ ", cleaned)
    words = cleaned.split()
    yes = any(w == "__yes__" or _YES_WORDS.fullmatch(w) for w in words)
    no = any(w == "__no__" or _NO_WORDS.fullmatch(w) for w in words)
    if yes and not no:
        return Parsed(value=True)
    if no and not yes:
        return Parsed(value=False)
    return _fail(_CONSENT_ERROR)


# --------------------------------------------------------------------------- names and titles

_NAME_EXAMPLE = "„Anna Müller“"
_NAME_PUNCTUATION = set(" -'’.\u2010\u2011")
_NAME_HINT = f"Bitte geben Sie Vor- und Nachnamen ein, z. B. {_NAME_EXAMPLE}."
_NONE_LIKE = {"none", "null", "nil", "undefined", "nan", "n/a", "test", "asdf"}


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"


def parse_person_name(text: Any) -> Parsed:
    """A person's name ("Dr. Anna-Lena Müller-Lüdenscheidt", "O'Neill"); whitespace collapsed."""
    cleaned = _one_line(text)
    if not cleaned:
        return _fail(f"Bitte geben Sie Ihren Vor- und Nachnamen ein, z. B. {_NAME_EXAMPLE}.")
    if len(cleaned) > 100:
        return _fail(f"Der Name ist zu lang (höchstens 100 Zeichen). {_NAME_HINT}")
    if "@" in cleaned:
        return _fail(f"Das sieht nach einer E-Mail-Adresse aus. {_NAME_HINT}")
    if "<" in cleaned or ">" in cleaned:
        return _fail(f"Bitte geben Sie den Namen ohne spitze Klammern (< >) ein, z. B. {_NAME_EXAMPLE}.")
    if any(ch.isdigit() for ch in cleaned):
        return _fail(f"Ein Name enthält keine Ziffern. {_NAME_HINT}")
    bad = sorted({ch for ch in cleaned if not (ch.isalpha() or ch in _NAME_PUNCTUATION or _is_mark(ch))})
    if bad:
        shown = " ".join(bad[:5])
        return _fail(
            f"Der Name enthält unzulässige Zeichen ({shown}). Bitte verwenden Sie nur Buchstaben, "
            f"Leerzeichen, Bindestrich, Punkt und Apostroph, z. B. „Dr. Anna-Lena Müller“."
        )
    if sum(ch.isalpha() for ch in cleaned) < 2 or cleaned.lower() in _NONE_LIKE:
        return _fail(f"Das sieht nicht nach einem Namen aus. {_NAME_HINT}")
    words = cleaned.split()
    if len(words) > _MAX_NAME_WORDS or words[0] in _SENTENCE_STARTS:
        # "wie hoch ist der eigenanteil nochmal": a question or a sentence, not a name
        return _fail(f"Das sieht nach einer Frage oder einem Satz aus, nicht nach einem Namen. {_NAME_HINT}")
    return Parsed(value=cleaned)


# Longer than "Prof. Dr. Anna-Lena von der Heide" is a sentence; names do not start with these
# lower-case words.
_MAX_NAME_WORDS = 6
_SENTENCE_STARTS = {
    "wie", "was", "wann", "wo", "wer", "warum", "wieso", "welche", "welcher", "ich", "wir", "nee", "ach",
    "hm", "moment", "muss", "kann", "gibt", "gibts", "ist", "sind", "und", "aber", "also", "ja", "nein",
    "doch", "lass", "lassen", "bitte", "danke", "ok", "okay",
}


_FUNCTION_EXAMPLE = "„Bürgermeister“ oder „Sachbearbeiterin Ordnungsamt“"
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"</?[a-zA-Z!/][^<>]*>")
_FUNCTION_PUNCTUATION = set(" .,-–—/&()'’+:\"„“§")


def parse_function(text: Any) -> Parsed:
    """Job title or role ("Bürgermeister", "Sachbearbeiterin Ordnungsamt"); HTML tags removed."""
    raw = _as_text(text)
    too_long = f"Die Angabe ist zu lang (höchstens 120 Zeichen). Bitte nennen Sie nur Ihre Funktion, z. B. {_FUNCTION_EXAMPLE}."
    if len(raw) > 10 * _MAX_SHORT_INPUT:
        return _fail(too_long)
    cleaned = " ".join(_TAG_RE.sub(" ", _SCRIPT_RE.sub(" ", raw)).split())
    if not cleaned:
        return _fail(f"Bitte nennen Sie Ihre Funktion oder Stelle, z. B. {_FUNCTION_EXAMPLE}.")
    if len(cleaned) > 120:
        return _fail(too_long)
    bad = sorted({ch for ch in cleaned if not (ch.isalnum() or ch in _FUNCTION_PUNCTUATION or _is_mark(ch))})
    if bad:
        shown = " ".join(bad[:5])
        return _fail(
            f"Die Angabe enthält unzulässige Zeichen ({shown}). Bitte nennen Sie Ihre Funktion in Worten, "
            f"z. B. {_FUNCTION_EXAMPLE}."
        )
    if sum(ch.isalpha() for ch in cleaned) < 2 or cleaned.lower() in _NONE_LIKE:
        return _fail(f"Das sieht nicht nach einer Funktion aus. Bitte nennen Sie Ihre Stelle, z. B. {_FUNCTION_EXAMPLE}.")
    return Parsed(value=cleaned)


# --------------------------------------------------------------------------- free text


def parse_free_text(text: Any, max_length: int = 2000, optional: bool = False) -> Parsed:
    """Multi-line free text: control characters removed (newlines kept), trimmed, more than
    two blank lines collapsed to two. HTML stays literal text. Never truncates silently."""
    cleaned = _as_text(text)
    cleaned = "\n".join(line.rstrip() for line in cleaned.split("\n")).strip()
    cleaned = re.sub(r"\n{4,}", "\n\n\n", cleaned)
    if optional and (not cleaned or is_skip_word(cleaned)):
        return Parsed(value="")
    if not cleaned:
        return _fail("Bitte geben Sie hier einen kurzen Text ein – ein oder zwei Sätze genügen.")
    if len(cleaned) > max_length:
        return _fail(
            f"Der Text ist zu lang ({_german_int(len(cleaned))} Zeichen). "
            f"Bitte kürzen Sie ihn auf höchstens {_german_int(max_length)} Zeichen."
        )
    return Parsed(value=cleaned)
