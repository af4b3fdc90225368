"""The staff console's accounts, roles, status workflow and audit log, without a browser:
argon2 hashes, lock-out after wrong passwords, which role opens which area, and the audit
entries every change leaves. On SQLite and PostgreSQL (migration 0003)."""
from __future__ import annotations

import io
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bot.applications import store
from bot.console import accounts, audit, export, workflow
from bot.db import make_engine, make_session_factory, migrate
from bot.db.models import StaffUser

PASSWORD = "Prävention-2026-sicher"


def _sessions(url: str):
    migrate(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def sessions(database_url):
    """Tables of migration 0003 on SQLite and PostgreSQL."""
    yield from _sessions(database_url)


@pytest.fixture
def local_sessions(tmp_path, monkeypatch):
    """SQLite, and argon2 with small costs: the real ones take ~0.5 s per check on a busy
    machine, and the lock-out tests check a dozen passwords. The real costs are tested once."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield from _sessions(f"sqlite:///{tmp_path / 'asskomm.db'}")


def submit(sessions, commune: str = "Werdau", key: str = "k1") -> str:
    draft = store.Draft(kind="beitritt", fields={"Kommune": commune, "Name": "A. Muster", "E-Mail": "a@werdau.de"},
                        email="a@werdau.de", consent_at=datetime.now(timezone.utc), channel="rest",
                        sender_id="sender-1", submission_key=key)
    return store.submit(sessions, draft, recipient="lpr@example.org").reference


def test_password_is_stored_as_argon2id_hash_and_checked(tmp_path):
    sessions = next(_sessions(f"sqlite:///{tmp_path / 'asskomm.db'}"))
    accounts.create_user(sessions, "Anna", "admin", PASSWORD, actor="test")
    with sessions() as session:
        user = session.execute(select(StaffUser)).scalar_one()
    assert user.name == "anna"  # names are case-insensitive
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in user.password_hash
    assert accounts.authenticate(sessions, "ANNA", PASSWORD).outcome == "ok"
    assert accounts.authenticate(sessions, "anna", PASSWORD + "x").outcome == "invalid"
    assert accounts.authenticate(sessions, "niemand", PASSWORD).outcome == "invalid"


@pytest.mark.parametrize("name, role, password, message", [
    ("anna", "admin", "zu-kurz", "mindestens 12"),
    ("anna", "chef", PASSWORD, "Rolle"),
    ("<script>", "admin", PASSWORD, "Benutzername"),
    ("", "admin", PASSWORD, "Benutzername"),
])
def test_bad_user_data_is_refused_with_a_reason(local_sessions, name, role, password, message):
    with pytest.raises(ValueError, match=message):
        accounts.create_user(local_sessions, name, role, password, actor="test")


def test_a_name_can_only_be_taken_once(local_sessions):
    accounts.create_user(local_sessions, "anna", "admin", PASSWORD, actor="test")
    with pytest.raises(ValueError, match="gibt es schon"):
        accounts.create_user(local_sessions, "anna", "auswertung", PASSWORD, actor="test")


def test_repeated_wrong_passwords_lock_the_account_for_a_while(local_sessions):
    accounts.create_user(local_sessions, "bernd", "sachbearbeitung", PASSWORD, actor="test")
    now = datetime.now(timezone.utc)
    outcomes = [accounts.authenticate(local_sessions, "bernd", "falsch", now).outcome
                for _ in range(accounts.MAX_FAILED_LOGINS)]
    assert outcomes == ["invalid"] * (accounts.MAX_FAILED_LOGINS - 1) + ["locked"]
    # While locked even the right password is refused ...
    assert accounts.authenticate(local_sessions, "bernd", PASSWORD, now + timedelta(minutes=1)).outcome == "locked"
    # ... and after the lock-out it works again.
    later = now + accounts.LOCKOUT + timedelta(seconds=1)
    assert accounts.authenticate(local_sessions, "bernd", PASSWORD, later).outcome == "ok"
    actions = [e.action for e in audit.entries(local_sessions, "benutzer:bernd")]
    assert actions == ["anmeldung", "benutzer.gesperrt", "benutzer.angelegt"]


def test_a_right_password_resets_the_count_of_failures(local_sessions):
    accounts.create_user(local_sessions, "carla", "auswertung", PASSWORD, actor="test")
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        accounts.authenticate(local_sessions, "carla", "falsch")
    assert accounts.authenticate(local_sessions, "carla", PASSWORD).outcome == "ok"
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        assert accounts.authenticate(local_sessions, "carla", "falsch").outcome == "invalid"


@pytest.mark.parametrize("role, allowed", [
    ("admin", {"anfragen", "gespraeche", "statistik", "wissen", "protokoll"}),
    ("sachbearbeitung", {"anfragen"}),
    ("auswertung", {"gespraeche", "statistik"}),
    ("redaktion", {"wissen"}),
])
def test_each_role_opens_only_its_areas(role, allowed):
    assert {area for area in accounts.AREAS if accounts.may(role, area)} == allowed


def test_status_change_follows_the_workflow_and_is_audited(sessions):
    reference = submit(sessions)
    with pytest.raises(ValueError, match="geht es nicht"):
        workflow.change_status(sessions, reference, "abgeschlossen", "", actor="bernd")
    workflow.change_status(sessions, reference, "in_bearbeitung", "Rückruf vereinbart", actor="bernd")
    workflow.change_status(sessions, reference, "abgelehnt", "Kommune nicht in Sachsen", actor="bernd")
    history = audit.entries(sessions, f"anfrage:{reference}")
    assert [(e.actor, e.before, e.after, e.note) for e in history] == [
        ("bernd", {"status": "in_bearbeitung"}, {"status": "abgelehnt"}, "Kommune nicht in Sachsen"),
        ("bernd", {"status": "eingegangen"}, {"status": "in_bearbeitung"}, "Rückruf vereinbart"),
    ]
    # The citizen's status question still gets an answer for the new status.
    assert store.status_of(sessions, reference, sender_id="sender-1").status == "abgelehnt"
    with pytest.raises(LookupError):
        workflow.change_status(sessions, "ASK-2026-999999", "in_bearbeitung", "", actor="bernd")


def test_filters_find_by_commune_kind_status_and_date(sessions):
    werdau, zwickau = submit(sessions, "Werdau", "k1"), submit(sessions, "Zwickau", "k2")
    workflow.change_status(sessions, zwickau, "in_bearbeitung", "", actor="bernd")
    refs = lambda **kw: [a.reference for a in workflow.find(sessions, workflow.Filters(**kw))]  # noqa: E731
    assert refs(commune="werd") == [werdau]
    assert refs(status="in_bearbeitung") == [zwickau]
    assert refs(kind="studium") == []
    today = datetime.now(timezone.utc).date()
    assert set(refs(date_from=today, date_to=today)) == {werdau, zwickau}
    assert refs(date_to=today - timedelta(days=1)) == []


def test_export_neutralises_spreadsheet_formulas(sessions):
    submit(sessions, "=HYPERLINK(\"http://evil\")")
    rows = workflow.find(sessions, workflow.Filters())
    text = export.as_csv(rows).decode("utf-8")
    assert text.startswith("\ufeffVorgangsnummer;Art;Status")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text


@pytest.mark.parametrize("value, cell", [
    ("+49351123456", "+49351123456"),  # a phone number stays readable (found in the user trial)
    ("+49 351 123456", "+49 351 123456"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("+HYPERLINK(\"http://evil\")", "'+HYPERLINK(\"http://evil\")"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("Rabenau", "Rabenau"),
])
def test_export_keeps_phone_numbers_and_neutralises_everything_else_with_a_sign(value, cell):
    assert export.safe_cell(value) == cell


def test_admin_command_reads_the_password_from_piped_input(local_sessions, monkeypatch, capsys):
    from bot.admin import cli

    monkeypatch.setattr(sys, "stdin", io.StringIO("Redaktion-2026-neu\n"))
    args = cli.build_parser().parse_args(["benutzer-anlegen", "Redakteurin", "--rolle", "redaktion"])
    assert cli.cmd_create_console_user(local_sessions, args) == 0
    assert "Benutzer redakteurin angelegt (Rolle redaktion)" in capsys.readouterr().out
    assert accounts.authenticate(local_sessions, "redakteurin", "Redaktion-2026-neu").outcome == "ok"
    created = audit.entries(local_sessions, "benutzer:redakteurin")[-1]
    assert created.action == "benutzer.angelegt" and created.actor.startswith("cli:") and created.after == {"rolle": "redaktion"}
    with pytest.raises(SystemExit):  # argparse refuses an unknown role before anything is stored
        cli.build_parser().parse_args(["benutzer-anlegen", "x", "--rolle", "chef"])


@pytest.mark.parametrize("stand, reason", [
    ("2024-12", ""),  # the month may mean its last day: 23 months before the day of the check
    ("2025", ""),
    ("2024-11-30", "älter als 24 Monate"),
    ("2021", "älter als 24 Monate"),
    ("undatiert", "ohne Datum"),
])
def test_knowledge_sources_older_than_24_months_or_undated_are_marked(stand, reason):
    from bot.console.knowledge_view import review_reason
    from bot.knowledge import Source

    assert review_reason(Source(title="Quelle", stand=stand), date(2026, 11, 30)) == reason


def test_training_suggestions_need_a_known_intent_and_a_text(tmp_path):
    from bot.console import suggestions

    target = tmp_path / "vorschlaege.csv"
    assert "ask_contact" in suggestions.known_intents()
    with pytest.raises(ValueError, match="domain.yml"):
        suggestions.suggest(target, "Hallo", "erfundener_intent", "nlu_fallback", "s1", "armin")
    with pytest.raises(ValueError, match="Leere"):
        suggestions.suggest(target, "  ", "ask_contact", "nlu_fallback", "s1", "armin")
    assert not target.exists()
    suggestions.suggest(target, "Wen  rufe ich an?\n", "ask_contact", "nlu_fallback", "s1", "armin")
    assert target.read_text(encoding="utf-8").splitlines()[1].endswith(";armin;ask_contact;Wen rufe ich an?;s1;nlu_fallback")


def test_admin_commands_reset_a_password_and_deactivate_a_user(local_sessions, monkeypatch, capsys):
    from bot.admin import cli

    accounts.create_user(local_sessions, "bernd", "sachbearbeitung", PASSWORD, actor="test")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        accounts.authenticate(local_sessions, "bernd", "falsch")
    assert accounts.authenticate(local_sessions, "bernd", PASSWORD).outcome == "locked"
    monkeypatch.setattr(sys, "stdin", io.StringIO("Ein-neues-Passwort-2026\n"))
    assert cli.cmd_console_password(local_sessions, cli.build_parser().parse_args(["benutzer-passwort", "Bernd"])) == 0
    assert accounts.authenticate(local_sessions, "bernd", PASSWORD).outcome == "invalid"  # old one gone
    assert accounts.authenticate(local_sessions, "bernd", "Ein-neues-Passwort-2026").outcome == "ok"  # unlocked
    assert cli.cmd_deactivate_console_user(local_sessions, cli.build_parser().parse_args(["benutzer-deaktivieren", "bernd"])) == 0
    assert accounts.authenticate(local_sessions, "bernd", "Ein-neues-Passwort-2026").outcome == "invalid"
    assert "bernd deaktiviert" in capsys.readouterr().out
    actions = [e.action for e in audit.entries(local_sessions, "benutzer:bernd")]
    assert actions[:3] == ["benutzer.deaktiviert", "anmeldung", "benutzer.passwort"]
    with pytest.raises(ValueError, match="gibt es nicht"):
        accounts.deactivate(local_sessions, "niemand", actor="test")
