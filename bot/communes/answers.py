"""German replies about communes, built only from the database rows and their sources."""
from __future__ import annotations

import json
import re

from bot.communes.facts import SIGNED, german_date, on_date
from bot.communes.matching import CommuneName, Match
from bot.communes.repository import CommuneInfo
from bot.db.models import Commune, Membership
from bot.knowledge import Reply, Source
from bot.knowledge.render import source_line

DESTATIS = Source(
    title="Statistisches Bundesamt (Destatis), Gemeindeverzeichnis GV100AD",
    url="https://www.destatis.de/DE/Themen/Laender-Regionen/Regionales/Gemeindeverzeichnis/_inhalt.html",
    stand="2025-11-30",
)
JOIN_BUTTONS = [
    {"title": "Wie tritt eine Kommune bei?", "payload": "/ask_join_process"},
    {"title": "Kontakt zum Landespräventionsrat", "payload": "/ask_contact"},
]


def commune_button(commune: CommuneName, question: str) -> dict:
    label = f"{commune.name_short} ({commune.landkreis})" if commune.landkreis else commune.name_short
    entities = json.dumps({"commune_ags": commune.ags, "commune_question": question})
    return {"title": label, "payload": f"/inform_commune{entities}"}


def where(commune: Commune) -> str:
    return f"im Landkreis {commune.landkreis}" if commune.landkreis else "(kreisfreie Stadt)"


def membership_source(m: Membership) -> str:
    return source_line([Source(title=m.source_title, url=m.source_url, stand=m.source_stand)])


def status_sentence(name: str, m: Membership) -> str:
    via = f" über {_with_article(m.via)}" if m.via else ""
    date = f" {on_date(m.agreement_date)}" if m.agreement_date else ""
    if m.status == "modellkommune":
        text = f"{name} ist eine der acht Modellkommunen von ASSKomm seit dem Start 2019."
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


def _with_article(group: str) -> str:
    if group.startswith(("Verwaltungsverband", "Städtebund", "Göltzschtal")):
        return f"den {group}"
    if group.startswith("Verwaltungsgemeinschaft"):
        return f"die {group}"
    return group


def membership_reply(info: CommuneInfo) -> Reply:
    commune, m = info.commune, info.membership
    if m is None:
        return Reply(
            f"Für {commune.name_short} ({where(commune)}) liegen mir keine Angaben zu ASSKomm vor. "
            "Das heißt nicht, dass die Kommune nicht teilnimmt: Meine Quellen nennen nur einen Teil "
            "der Kommunen. Verlässlich Auskunft gibt der Landespräventionsrat Sachsen.",
            JOIN_BUTTONS,
        )
    parts = [status_sentence(commune.name_short, m)]
    if m.prevention_council == "ja":
        parts.append("Laut Quelle gibt es dort einen Kommunalen Präventionsrat.")
    if m.note:
        parts.append(note_text(m.note))
    buttons = [] if m.status in SIGNED else JOIN_BUTTONS[:1]
    return Reply(" ".join(parts) + "\n\n" + membership_source(m), buttons + JOIN_BUTTONS[1:])


def since_reply(info: CommuneInfo) -> Reply:
    commune, m = info.commune, info.membership
    if m is None:
        return membership_reply(info)
    if m.agreement_date:
        kind = "Vorvereinbarung" if m.status == "vorvereinbarung" else "Kooperationsvereinbarung"
        text = f"{commune.name_short} hat die {kind} {on_date(m.agreement_date)} unterzeichnet."
        if m.status == "modellkommune":
            text = f"{commune.name_short} ist seit dem Start 2019 Modellkommune. " + text
    elif m.status == "modellkommune":
        text = f"{commune.name_short} ist seit dem Start von ASSKomm am 6. Februar 2019 Modellkommune."
    else:
        text = (f"Seit wann {commune.name_short} teilnimmt, nennt meine Quelle nicht. "
                "Der Landespräventionsrat Sachsen kann es Ihnen sagen.")
    if m.note:
        text += f" {note_text(m.note)}"
    return Reply(text + "\n\n" + membership_source(m), JOIN_BUTTONS[1:])


def facts_reply(info: CommuneInfo) -> Reply:
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
    return Reply(text + "\n\n" + source_line([DESTATIS]), buttons)


def district_reply(landkreis: str, members: list[CommuneInfo], communes_in_district: int) -> Reply:
    if not members:
        return Reply(
            f"Für den Landkreis {landkreis} nennen meine Quellen keine ASSKomm-Kommune. Das heißt nicht, "
            "dass dort keine Kommune teilnimmt. Verlässlich Auskunft gibt der Landespräventionsrat Sachsen.",
            JOIN_BUTTONS[1:],
        )
    signed = [i for i in members if i.membership.status in SIGNED]
    lines = [
        f"Im Landkreis {landkreis} ({communes_in_district} Kommunen) nennen meine Quellen "
        f"{len(members)} Kommunen bei ASSKomm, davon {len(signed)} mit Kooperationsvereinbarung:"
    ]
    for info in members:
        m = info.membership
        date = f" vom {german_date(m.agreement_date)}" if m.agreement_date else ""
        label = {"modellkommune": "Modellkommune", "kooperationsvereinbarung": f"Kooperationsvereinbarung{date}",
                 "vorvereinbarung": f"Vorvereinbarung{date}"}.get(m.status, "beteiligt/beraten, Vereinbarung nicht belegt")
        if m.status == "modellkommune" and m.agreement_date:
            label += f", Kooperationsvereinbarung{date}"
        if m.via:
            label += f", über {_with_article(m.via)}"
        src = Source(title=m.source_title, url=m.source_url, stand=m.source_stand)
        link = f"[Quelle]({src.url})" if src.url else f"Quelle: {src.title}"
        lines.append(f"- {info.commune.name_short}: {label} ({link}, Stand {src.stand_german()})")
    lines.append("\nDie Liste enthält nur, was meine Quellen belegen; weitere Kommunen können dabei sein.")
    return Reply("\n".join(lines), JOIN_BUTTONS[1:])


def not_found_reply(match: Match | None, words: str, question: str) -> Reply:
    name = f"„{words}“" if words else "dieses Namens"
    text = (f"Eine sächsische Kommune {name} habe ich nicht gefunden. ASSKomm ist ein Programm für "
            "Städte und Gemeinden im Freistaat Sachsen.")
    suggestions = match.suggestions if match else []
    if suggestions:
        text += " Meinten Sie vielleicht eine dieser Kommunen?"
    return Reply(text, [commune_button(c, question) for c in suggestions])


def ambiguous_reply(match: Match, question: str) -> Reply:
    return Reply(
        f"Zu „{match.query}“ passen mehrere sächsische Kommunen. Welche meinen Sie?",
        [commune_button(c, question) for c in match.communes[:6]],
    )


def which_commune_reply() -> Reply:
    return Reply("Nach welcher Kommune fragen Sie? Bitte nennen Sie den Namen, zum Beispiel „Ist Werdau dabei?“.")


def which_landkreis_reply(landkreise: list[str]) -> Reply:
    return Reply(
        "Welchen Landkreis meinen Sie?",
        [{"title": lk, "payload": "/ask_members_in_district" + json.dumps({"landkreis": lk})} for lk in landkreise],
    )
