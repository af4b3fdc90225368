"""Staff commands on the commune database. Changes take effect for the next question at
once: the action server reads memberships from the database on every answer. `setzen` is
written to the audit log (before/after) that admins read in the staff console.

    python -m bot.admin kommunen-import datei.csv
    python -m bot.admin mitglieder [--landkreis Zwickau] [--status kooperationsvereinbarung]
    python -m bot.admin zeigen Werdau
    python -m bot.admin setzen Werdau --status kooperationsvereinbarung --datum 2022-01-11 \
        --quelle "SMI-Medieninformation" --url https://… --stand 2022-01-11 --von "A. Muster"
    python -m bot.admin zuruecksetzen Werdau     # staff change weg, Wissensdatei gilt wieder
    python -m bot.admin benutzer-anlegen NAME --rolle admin   # Zugang zur Konsole (Passwort folgt)
    python -m bot.admin anfragen [--art beitritt]  # gespeicherte Anfragen
    python -m bot.admin anfragen-export anfragen.csv
    python -m bot.admin anfragen-status ASK-2026-000042 in_bearbeitung
    python -m bot.admin postausgang [--alle] [--erneut ASK-2026-000042] [--senden]
    python -m bot.admin loeschfristen              # alte Gespräche, abgeschlossene Anfragen löschen
    python -m bot.admin anfragen-loeschen ASK-2026-000042   # auf Löschwunsch
    python -m bot.admin gespraech-loeschen <sender_id>       # ein Gespräch aus dem Tracker-Store
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.applications import store
from bot.applications.mail import (
    SmtpSettings,
    deliver_pending,
    outbox_entries,
    pending_count,
    queue_again,
    unaddressed_count,
)
from bot.communes import seed
from bot.communes.facts import STATUSES, MembershipFact, german_date
from bot.communes.service import open_repository
from bot.config import get_settings
from bot.console.export import safe_cell  # one rule for formulas in spreadsheets
from bot.db import make_engine, make_session_factory, migrate
from bot.db.engine import erase_deleted_rows
from bot.privacy.conversations import forget
from bot.privacy.retention import run_retention, tracker_store_url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.admin", description="ASSKomm-Bot: Verwaltung der Kommunendaten")
    commands = parser.add_subparsers(dest="command", required=True)

    imp = commands.add_parser("kommunen-import", help="neue Kommunenliste (CSV im Destatis-Format) einlesen")
    imp.add_argument("csv", type=Path)

    lst = commands.add_parser("mitglieder", help="Kommunen mit bekanntem ASSKomm-Status auflisten")
    lst.add_argument("--landkreis")
    lst.add_argument("--status", choices=[s for s in STATUSES if s != "unbekannt"])

    show = commands.add_parser("zeigen", help="eine Kommune mit ihrem Status zeigen")
    show.add_argument("kommune", help="Name oder Gemeindeschlüssel")

    put = commands.add_parser("setzen", help="Status einer Kommune setzen (mit Quelle)")
    put.add_argument("kommune", help="Name oder Gemeindeschlüssel")
    put.add_argument("--status", required=True, choices=list(STATUSES))
    put.add_argument("--datum", help="Datum der Vereinbarung: JJJJ-MM-TT, JJJJ-MM oder JJJJ")
    put.add_argument("--ueber", help="Verbund, über den die Kommune teilnimmt")
    put.add_argument("--praeventionsrat", choices=["ja", "nein", "unbekannt"], default="unbekannt")
    put.add_argument("--notiz")
    put.add_argument("--quelle", required=True, help="Titel der Quelle")
    put.add_argument("--url")
    put.add_argument("--stand", required=True, help="Datum der Quelle: JJJJ-MM-TT, JJJJ-MM, JJJJ oder undatiert")
    put.add_argument("--von", required=True, help="wer die Änderung macht")

    apps = commands.add_parser("anfragen", help="gespeicherte Anfragen auflisten")
    apps.add_argument("--art", choices=list(store.KINDS))

    export = commands.add_parser("anfragen-export", help="Anfragen als CSV-Datei (UTF-8, Semikolon)")
    export.add_argument("datei", type=Path)

    status = commands.add_parser("anfragen-status", help="Status einer Anfrage setzen")
    status.add_argument("vorgangsnummer")
    status.add_argument("status", choices=list(store.STATUSES))

    outbox = commands.add_parser("postausgang", help="wartende E-Mails zeigen und mit --senden verschicken")
    outbox.add_argument("--senden", action="store_true")
    outbox.add_argument("--alle", action="store_true", help="auch bereits gesendete E-Mails zeigen")
    outbox.add_argument("--erneut", metavar="VORGANGSNUMMER", help="E-Mail einer Anfrage erneut in den Versand geben")

    commands.add_parser("loeschfristen", help="Gespräche und abgeschlossene Anfragen nach Ablauf der Fristen löschen")
    forget_app = commands.add_parser("anfragen-loeschen", help="eine Anfrage mit ihren E-Mails löschen (Löschwunsch)")
    forget_app.add_argument("vorgangsnummer")
    forget_chat = commands.add_parser("gespraech-loeschen", help="ein Gespräch aus dem Tracker-Store löschen")
    forget_chat.add_argument("sender_id", help="Kennung des Gesprächs (steht bei der Anfrage)")

    reset = commands.add_parser("zuruecksetzen", help="Änderung durch Mitarbeitende entfernen")
    reset.add_argument("kommune", help="Name oder Gemeindeschlüssel")
    add_console_user_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    try:
        if args.command in CONSOLE_COMMANDS or args.command in APPLICATION_COMMANDS:
            # Users and applications need no communes: no seeding, no spaCy (seconds and TensorFlow's log).
            migrate(settings.database)
            sessions = make_session_factory(make_engine(settings.database))
            run = CONSOLE_COMMANDS.get(args.command) or APPLICATION_COMMANDS[args.command]
            return run(sessions, args)
        return COMMANDS[args.command](open_repository(settings), args)
    except (ValueError, KeyError, ValidationError) as error:
        print(f"Fehler: {error}", file=sys.stderr)
        return 2


def resolve(repository, text: str) -> str:
    """A Gemeindeschlüssel from a name or key; exits with the candidates when unclear."""
    if text.isdigit():
        return text
    match = repository.matcher().resolve(text)
    if match.status == "found":
        return match.commune.ags
    options = match.communes or match.suggestions
    listed = ", ".join(f"{c.name_short} ({c.landkreis or 'kreisfrei'}, {c.ags})" for c in options)
    raise ValueError(f"„{text}“ ist nicht eindeutig. In Frage kommen: {listed or 'keine'}")


def cmd_import(repository, args) -> int:
    result = seed.import_communes(repository.sessions, args.csv)
    print(f"Kommunen: {result.added} neu, {result.updated} aktualisiert, {result.removed} entfernt")
    return 0


def cmd_list(repository, args) -> int:
    rows = repository.members(args.status)
    rows = [r for r in rows if not args.landkreis or r.commune.landkreis == args.landkreis]
    for info in rows:
        m = info.membership
        date = german_date(m.agreement_date) if m.agreement_date else "-"
        print(f"{info.commune.ags}  {info.commune.name_short:<28} {info.commune.landkreis or 'kreisfrei':<34} "
              f"{m.status:<24} {date:<14} {m.origin}")
    print(f"{len(rows)} Kommunen")
    return 0


def cmd_show(repository, args) -> int:
    info = repository.info(resolve(repository, args.kommune))
    c, m = info.commune, info.membership
    print(f"{c.name_short} ({c.kind}, {c.landkreis or 'kreisfrei'}, AGS {c.ags})")
    if m is None:
        print("ASSKomm-Status: unbekannt")
        return 0
    print(f"ASSKomm-Status: {STATUSES[m.status]}" + (f", Vereinbarung {german_date(m.agreement_date)}" if m.agreement_date else ""))
    for label, value in (("über", m.via), ("Präventionsrat", m.prevention_council), ("Notiz", m.note),
                         ("Quelle", f"{m.source_title} ({m.source_url or 'ohne URL'}), Stand {m.source_stand}"),
                         ("Fundstelle", _quote_in_knowledge(c.ags) if m.origin == "knowledge" else None),
                         ("Herkunft", f"{m.origin}, {m.changed_by or ''} {m.changed_at}")):
        if value:
            print(f"  {label}: {value}")
    return 0


def _quote_in_knowledge(ags: str) -> str | None:
    """The passage of the source that memberships.yml quotes for a commune (not kept in the database)."""
    facts = seed.read_membership_facts(get_settings().knowledge_dir / "communes" / "memberships.yml")
    return next((f.quote for f in facts if f.ags == ags), None)


def cmd_set(repository, args) -> int:
    ags = resolve(repository, args.kommune)
    fact = MembershipFact.from_staff(
        ags, args.status, args.quelle, args.stand, source_url=args.url, agreement_date=args.datum, via=args.ueber,
        prevention_council=args.praeventionsrat, note=args.notiz,
    )
    repository.set_membership(fact, changed_by=args.von)
    print(f"Gespeichert: {repository.info(ags).commune.name_short} → {STATUSES[args.status]}")
    return 0


def cmd_reset(repository, args) -> int:
    ags = resolve(repository, args.kommune)
    if not repository.reset_to_knowledge(ags, _cli_actor(), get_settings().knowledge_dir / "communes" / "memberships.yml"):
        print("Keine Änderung durch Mitarbeitende vorhanden.")
        return 1
    print("Zurückgesetzt; es gilt wieder die Wissensdatei.")
    return 0


COMMANDS = {"kommunen-import": cmd_import, "mitglieder": cmd_list, "zeigen": cmd_show, "setzen": cmd_set,
            "zuruecksetzen": cmd_reset}


def cmd_applications(sessions, args) -> int:
    rows = store.all_applications(sessions, args.art)
    for a in rows:
        print(f"{a.reference}  {a.created_at:%d.%m.%Y %H:%M}  {store.KINDS[a.kind]:<16} {a.status:<15} {a.email}")
    print(f"{len(rows)} Anfragen")
    return 0


def cmd_export(sessions, args) -> int:
    rows = store.all_applications(sessions)
    labels = list(dict.fromkeys(label for a in rows for label in a.fields))
    with args.datei.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Vorgangsnummer", "Art", "Status", "Eingang", "Kanal", "Einwilligung", *labels])
        for a in rows:
            writer.writerow([a.reference, store.KINDS[a.kind], a.status, a.created_at.isoformat(), a.channel,
                             a.consent_at.isoformat(), *[safe_cell(str(a.fields.get(label, ""))) for label in labels]])
    print(f"{len(rows)} Anfragen nach {args.datei} geschrieben")
    return 0


def cmd_set_status(sessions, args) -> int:
    if not store.set_status(sessions, args.vorgangsnummer.upper(), args.status):
        print(f"Keine Anfrage {args.vorgangsnummer}", file=sys.stderr)
        return 1
    erase_deleted_rows(sessions.kw["bind"])
    print(f"{args.vorgangsnummer.upper()}: {store.STATUSES[args.status]}")
    return 0


def cmd_outbox(sessions, args) -> int:
    if args.erneut:
        reference = store.find_reference(args.erneut) or args.erneut
        if not queue_again(sessions, reference):
            print(f"Keine E-Mail zur Anfrage {args.erneut}", file=sys.stderr)
            return 1
        print(f"{reference}: E-Mail wieder in den Versand gegeben")
    for entry in outbox_entries(sessions, include_sent=args.alle):
        state = f"gesendet {entry.sent_at:%d.%m.%Y %H:%M}" if entry.sent_at else "wartet"
        problem = f"  {entry.attempts} Fehlversuche, zuletzt: {entry.last_error}" if entry.attempts else ""
        print(f"{entry.reference}  {entry.created_at:%d.%m.%Y %H:%M}  {entry.recipient or '(kein Empfänger)'}"
              f"  {state}{problem}")
    print(f"{pending_count(sessions)} E-Mails warten im Postausgang")
    unaddressed = unaddressed_count(sessions)
    if unaddressed and not get_settings().applications_to:
        print(f"{unaddressed} davon ohne Empfänger: ASSKOMM_APPLICATIONS_TO setzen, dann --senden.")
    if args.senden:
        smtp = SmtpSettings.from_settings(get_settings())
        if smtp is None:
            print("Kein SMTP konfiguriert: ASSKOMM_SMTP_HOST setzen.", file=sys.stderr)
            return 1
        report = deliver_pending(sessions, smtp)
        print(f"gesendet: {report.sent}, fehlgeschlagen: {report.failed}")
    return 0


def cmd_retention(sessions, args) -> int:
    print(run_retention(get_settings(), sessions).describe())
    return 0


def cmd_delete_application(sessions, args) -> int:
    reference = store.find_reference(args.vorgangsnummer) or args.vorgangsnummer
    if not store.delete(sessions, reference):
        print(f"Keine Anfrage {args.vorgangsnummer}", file=sys.stderr)
        return 1
    erase_deleted_rows(sessions.kw["bind"])
    print(f"{reference}: Anfrage und ihre E-Mails im Postausgang gelöscht")
    return 0


def cmd_delete_conversation(sessions, args) -> int:
    engine = make_engine(tracker_store_url(get_settings()))
    try:
        events = forget(engine, args.sender_id)
    finally:
        engine.dispose()
    print(f"Gespräch {args.sender_id}: {events} Ereignisse gelöscht")
    return 0 if events else 1


APPLICATION_COMMANDS = {"anfragen": cmd_applications, "anfragen-export": cmd_export,
                        "anfragen-status": cmd_set_status, "postausgang": cmd_outbox,
                        "loeschfristen": cmd_retention, "anfragen-loeschen": cmd_delete_application,
                        "gespraech-loeschen": cmd_delete_conversation}


# --- Staff console users (bot/console) --------------------------------------------------
def add_console_user_parser(commands) -> None:
    from bot.console.accounts import ROLES

    user = commands.add_parser("benutzer-anlegen", help="Zugang zur Mitarbeiter-Konsole anlegen "
                               "(Passwort wird abgefragt oder aus der Standardeingabe gelesen)")
    user.add_argument("name", help="Benutzername: Kleinbuchstaben, Ziffern, . _ -")
    user.add_argument("--rolle", required=True, choices=list(ROLES))
    password = commands.add_parser("benutzer-passwort", help="neues Passwort für die Konsole setzen "
                                   "(hebt auch eine Sperre auf; Passwort wie bei benutzer-anlegen)")
    password.add_argument("name")
    off = commands.add_parser("benutzer-deaktivieren", help="Zugang zur Konsole beenden")
    off.add_argument("name")


def _read_password() -> str:
    """Asked twice at a terminal; otherwise the first line of standard input (scripts, tests)."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != password:
        raise ValueError("Die Passwörter stimmen nicht überein.")
    return password


def _cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def cmd_create_console_user(sessions, args) -> int:
    from bot.console.accounts import create_user

    user = create_user(sessions, args.name, args.rolle, _read_password(), actor=_cli_actor())
    print(f"Benutzer {user.name} angelegt (Rolle {user.role}).")
    return 0


def cmd_console_password(sessions, args) -> int:
    from bot.console.accounts import set_password

    set_password(sessions, args.name, _read_password(), actor=_cli_actor())
    print(f"Neues Passwort für {args.name.lower()} gesetzt; eine Sperre ist aufgehoben.")
    return 0


def cmd_deactivate_console_user(sessions, args) -> int:
    from bot.console.accounts import deactivate

    deactivate(sessions, args.name, actor=_cli_actor())
    print(f"Benutzer {args.name.lower()} deaktiviert.")
    return 0


CONSOLE_COMMANDS = {"benutzer-anlegen": cmd_create_console_user, "benutzer-passwort": cmd_console_password,
                    "benutzer-deaktivieren": cmd_deactivate_console_user}
