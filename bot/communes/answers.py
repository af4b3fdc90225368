"""German replies about communes, built only from the database rows and their sources and
from knowledge/communes/programme.yml (start date, Modellkommunen, published counts)."""
from __future__ import annotations

import json
import re

from bot.communes.facts import SIGNED, german_date, on_date
from bot.communes.matching import CommuneName, Match
from bot.communes.programme import ProgrammeFacts, PublishedCount
from bot.communes.repository import CommuneInfo
from bot.db.models import Commune, Membership
from bot.knowledge import Reply, Source
from bot.knowledge.render import source_line

JOIN_BUTTONS = [
    {"title": "Wie tritt eine Kommune bei?", "payload": "/ask_join_process"},
    {"title": "Kontakt zum Landespräventionsrat", "payload": "/ask_contact"},
]
# The groups of a district answer, in this order; the heading counts the lines below it, so
# the numbers and the list cannot disagree.
STATUS_GROUPS = [
    ("modellkommune", "Modellkommune"),
    ("kooperationsvereinbarung", "Kooperationsvereinbarung unterzeichnet"),
    ("vorvereinbarung", "Vorvereinbarung unterzeichnet"),
    ("beteiligt", "Beteiligt oder beraten, eine Vereinbarung ist nicht belegt"),
]
_NUMBER_WORDS = ["null", "eine", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
                 "elf", "zwölf"]


def number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def communes(n: int) -> str:
    return "eine Kommune" if n == 1 else f"{n} Kommunen"


def commune_button(commune: CommuneName, question: str) -> dict:
    label = f"{commune.name_short} ({commune.landkreis})" if commune.landkreis else commune.name_short
    entities = json.dumps({"commune_ags": commune.ags, "commune_question": question})
    return {"title": label, "payload": f"/inform_commune{entities}"}


def where(commune: Commune) -> str:
    return f"im Landkreis {commune.landkreis}" if commune.landkreis else "kreisfreie Stadt"


def membership_source(m: Membership) -> Source:
    return Source(title=m.source_title, url=m.source_url, stand=m.source_stand)


def sources_line(*groups: list[Source]) -> str:
    """One source line for several facts; a source cited for two of them is named once."""
    seen, unique = set(), []
    for source in (s for group in groups for s in group):
        key = (source.title, source.url)
        if key not in seen:
            seen.add(key)
            unique.append(source)
    return source_line(unique)


def union(group: str, accusative: bool = False) -> str:
    """'die Verwaltungsgemeinschaft Olbersdorf', 'der/den Städtebund Silberberg'."""
    if "gemeinschaft" in group.lower():
        return f"die {group}"
    return f"den {group}" if accusative else f"der {group}"


def _model_commune_sentence(name: str, programme: ProgrammeFacts) -> str:
    count = number_word(programme.model_communes.count)
    return f"{name} ist eine der {count} Modellkommunen, mit denen ASSKomm {on_date(programme.start.date)} begann."


def status_sentence(name: str, m: Membership, programme: ProgrammeFacts) -> str:
    via = f" über {union(m.via, accusative=True)}" if m.via else ""
    date = f" {on_date(m.agreement_date)}" if m.agreement_date else ""
    if m.status == "modellkommune":
        text = _model_commune_sentence(name, programme)
        if m.agreement_date:
            text += f" Die Kooperationsvereinbarung wurde{date} unterzeichnet."
        return text
    if m.status == "kooperationsvereinbarung":
        when = date or " (das Datum nennt die Quelle nicht)"
        return f"Ja, {name} nimmt{via} an ASSKomm teil: Die Kooperationsvereinbarung wurde{when} unterzeichnet."
    if m.status == "vorvereinbarung":
        return (f"{name} hat{date}{via} eine Vorvereinbarung zur Zusammenarbeit mit ASSKomm unterzeichnet. "
                "Eine Kooperationsvereinbarung ist in meinen Quellen nicht belegt.")
    return (f"{name} wird in meinen Quellen als beteiligte oder beratene Kommune genannt{via}. "
            "Eine unterzeichnete Kooperationsvereinbarung ist dort nicht belegt.")


_BARE_URL = re.compile(r"\((https?://[^\s,)]+)")


def note_text(note: str) -> str:
    """A membership note for the reader: its bare source addresses become links."""
    return _BARE_URL.sub(r"([Quelle](\1)", note)


def answer_sources(info: CommuneInfo, question: str, programme: ProgrammeFacts) -> list[Source]:
    """The sources the answer to this question about this commune cites; none when nothing is
    known about its membership."""
    if question == "facts":
        return [programme.commune_register]
    m = info.membership
    if m is None:
        return []
    return [membership_source(m)] + _programme_sources(m, programme)


def _programme_sources(m: Membership, programme: ProgrammeFacts) -> list[Source]:
    """The sources of the programme facts a Modellkommune answer states (count, start date)."""
    if m.status != "modellkommune":
        return []
    return programme.model_communes.sources + programme.start.sources


def unknown_reply(commune: Commune) -> Reply:
    return Reply(
        f"Für {commune.name_short} ({where(commune)}) liegen mir keine Angaben zu ASSKomm vor. "
        "Das heißt nicht, dass die Kommune nicht teilnimmt: Meine Quellen nennen nur einen Teil "
        "der Kommunen. Verlässlich Auskunft gibt der Landespräventionsrat Sachsen.",
        JOIN_BUTTONS,
    )


def membership_reply(info: CommuneInfo, programme: ProgrammeFacts) -> Reply:
    commune, m = info.commune, info.membership
    if m is None:
        return unknown_reply(commune)
    parts = [status_sentence(commune.name_short, m, programme)]
    if m.prevention_council == "ja":
        parts.append("Laut Quelle gibt es dort einen Kommunalen Präventionsrat.")
    if m.note:
        parts.append(note_text(m.note))
    buttons = [] if m.status in SIGNED else JOIN_BUTTONS[:1]
    line = sources_line(answer_sources(info, "membership", programme))
    return Reply(" ".join(parts) + "\n\n" + line, buttons + JOIN_BUTTONS[1:])


def since_reply(info: CommuneInfo, programme: ProgrammeFacts) -> Reply:
    commune, m = info.commune, info.membership
    if m is None:
        return unknown_reply(commune)
    name = commune.name_short
    kind = "Vorvereinbarung" if m.status == "vorvereinbarung" else "Kooperationsvereinbarung"
    if m.agreement_date and m.via:
        text = f"Für {name} hat {union(m.via)} die {kind} {on_date(m.agreement_date)} unterzeichnet."
    elif m.agreement_date:
        text = f"{name} hat die {kind} {on_date(m.agreement_date)} unterzeichnet."
    else:
        text = ""
    if m.status == "modellkommune":
        text = f"{name} ist seit dem Start von ASSKomm {on_date(programme.start.date)} Modellkommune. {text}"
    elif not text:
        text = (f"Seit wann {name} teilnimmt, nennt meine Quelle nicht. "
                "Der Landespräventionsrat Sachsen kann es Ihnen sagen.")
    if m.note:
        text = f"{text.strip()} {note_text(m.note)}"
    line = sources_line(answer_sources(info, "since", programme))
    return Reply(text.strip() + "\n\n" + line, JOIN_BUTTONS[1:])


def facts_reply(info: CommuneInfo, programme: ProgrammeFacts) -> Reply:
    c = info.commune
    kind = {"Stadt": "eine Stadt", "Gemeinde": "eine Gemeinde", "Kreisfreie Stadt": "eine kreisfreie Stadt"}
    text = f"{c.name_short} ist {kind.get(c.kind, c.kind)}"
    text += f" im Landkreis {c.landkreis}" if c.landkreis else ""
    if c.population:
        people = f"{c.population:,}".replace(",", ".")
        text += f" mit {people} Einwohnerinnen und Einwohnern (Stand {c.population_date:%d.%m.%Y})"
    text += "."
    if c.verband_name:
        text += f" Sie gehört zur {c.verband_typ} {c.verband_name}." if c.verband_typ == "Verwaltungsgemeinschaft" \
            else f" Sie gehört zum {c.verband_typ} {c.verband_name}."
    buttons = [{"title": f"Ist {c.name_short} bei ASSKomm?",
                "payload": "/inform_commune" + json.dumps({"commune_ags": c.ags, "commune_question": "membership"})}]
    return Reply(text + "\n\n" + source_line([programme.commune_register]), buttons)


def _link(source: Source) -> str:
    named = f"[Quelle]({source.url})" if source.url else f"Quelle: {source.title}"
    return f"{named}, Stand {source.stand_german()}"


def _district_line(info: CommuneInfo) -> str:
    m = info.membership
    details = []
    if m.agreement_date:
        agreement = "Vorvereinbarung" if m.status == "vorvereinbarung" else "Kooperationsvereinbarung"
        details.append(f"{agreement} vom {german_date(m.agreement_date)}")
    elif m.status == "kooperationsvereinbarung":
        details.append("Datum nicht belegt")
    if m.via:
        details.append(f"über {union(m.via, accusative=True)}")
    label = f" ({', '.join(details)})" if details else ""
    return f"- {info.commune.name_short}{label}: {_link(membership_source(m))}"


def _published(count: PublishedCount, where_: str) -> str:
    reached = f"{count.commune} wurde {on_date(count.date)} die {count.count}. ASSKomm-Kommune {where_}" \
        if count.commune else f"{count.count} ASSKomm-Kommunen {where_}, Stand {german_date(count.date)}"
    return f"{reached} ({_link(count.source)})."


def district_reply(landkreis: str, members: list[CommuneInfo], communes_in_district: int,
                   programme: ProgrammeFacts) -> Reply:
    total = programme.latest_total()
    nationwide = "Landesweit zuletzt veröffentlicht: " + _published(total, "in Sachsen")
    if not members:
        return Reply(
            f"Für den Landkreis {landkreis} nennen meine Quellen keine ASSKomm-Kommune. Das heißt nicht, "
            "dass dort keine Kommune teilnimmt. Verlässlich Auskunft gibt der Landespräventionsrat Sachsen.\n\n"
            + nationwide,
            JOIN_BUTTONS[1:],
        )
    lines = [f"Im Landkreis {landkreis} ({communes(communes_in_district)}) belegen meine Quellen für "
             f"{communes(len(members))} eine Teilnahme an ASSKomm:"]
    for status, heading in STATUS_GROUPS:
        group = [i for i in members if i.membership.status == status]
        if group:
            lines.append(f"\n{heading} ({len(group)}):")
            lines.extend(_district_line(i) for i in group)
    lines.append("")
    published = programme.latest_in(landkreis)
    if published is not None:
        lines.append("Zuletzt veröffentlicht für den Landkreis: " + _published(published, f"im Landkreis {landkreis}"))
        signed = sum(1 for i in members if i.membership.status in SIGNED)
        if signed != published.count:
            lines.append(f"Meine Liste nennt {communes(signed)} als Modellkommune oder mit Kooperationsvereinbarung. "
                         "Die Zahlen können abweichen: Die veröffentlichte Zahl hat ihren eigenen Stand, und meine "
                         "Liste zählt jede Gemeinde einzeln, auch wenn mehrere gemeinsam unterzeichnet haben.")
    lines.append(nationwide)
    lines.append("Die Liste enthält nur, was meine Quellen belegen; weitere Kommunen können dabei sein.")
    return Reply("\n".join(lines), JOIN_BUTTONS[1:])


def not_found_reply(match: Match | None, words: str, question: str) -> Reply:
    name = f"„{words}“" if words else "dieses Namens"
    text = (f"Eine sächsische Kommune {name} habe ich nicht gefunden. ASSKomm ist ein Programm für "
            "Städte und Gemeinden im Freistaat Sachsen.")
    suggestions = match.suggestions if match else []
    if suggestions:
        text += " Meinten Sie vielleicht eine dieser Kommunen?"
    return Reply(text, [commune_button(c, question) for c in suggestions])


# More buttons than this would not fit a chat window.
MAX_OFFERED = 6


def ambiguous_reply(match: Match, question: str) -> Reply:
    return Reply(
        f"Zu „{match.query}“ passen mehrere sächsische Kommunen. Welche meinen Sie?",
        [commune_button(c, question) for c in match.communes[:MAX_OFFERED]],
    )


def which_commune_reply() -> Reply:
    return Reply("Nach welcher Kommune fragen Sie? Bitte nennen Sie den Namen, zum Beispiel „Ist Werdau dabei?“.")


def which_landkreis_reply(landkreise: list[str]) -> Reply:
    return Reply(
        "Welchen Landkreis meinen Sie?",
        [{"title": lk, "payload": "/ask_members_in_district" + json.dumps({"landkreis": lk})} for lk in landkreise],
    )
