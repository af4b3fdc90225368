"""The staff command line on a throwaway database (SQLite and PostgreSQL)."""
import pytest

from bot.admin.cli import main
from bot.config import get_settings


@pytest.fixture
def admin(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ASSKOMM_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()

    def call(*args: str) -> tuple[int, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out + out.err

    yield call
    get_settings.cache_clear()


def test_list_show_set_and_reset(admin):
    code, out = admin("mitglieder", "--landkreis", "Zwickau")
    assert code == 0 and "Werdau" in out and "Kommunen" in out

    code, out = admin("zeigen", "Werdua")
    assert code == 0 and "Kooperationsvereinbarung unterzeichnet" in out and "11.01.2022" in out

    code, out = admin("setzen", "Stadt Dohna", "--status", "vorvereinbarung", "--datum", "2026-11",
                      "--quelle", "Schreiben der Stadt", "--stand", "2026-11-20", "--von", "Test")
    assert code == 0 and "Vorvereinbarung" in out
    code, out = admin("zeigen", "Dohna")
    assert "November 2026" in out and "admin" in out
    # in the audit log the console's admins read, with before and after
    from bot.console import audit
    from bot.db import make_engine, make_session_factory

    entry = audit.entries(make_session_factory(make_engine(get_settings().database)))[0]
    assert (entry.actor, entry.action, entry.before) == ("Test", "kommune.status", None)
    assert entry.after["status"] == "vorvereinbarung" and entry.after["source_title"] == "Schreiben der Stadt"

    code, out = admin("zuruecksetzen", "Dohna")
    assert code == 0
    entry = audit.entries(make_session_factory(make_engine(get_settings().database)))[0]
    assert entry.action == "kommune.zurueckgesetzt" and entry.actor.startswith("cli:") and entry.after is None
    code, out = admin("zeigen", "Dohna")
    assert "ASSKomm-Status: unbekannt" in out


def test_ambiguous_names_and_bad_input_are_refused_with_a_reason(admin):
    code, out = admin("zeigen", "Bernsdorf")
    assert code == 2 and "nicht eindeutig" in out and "14524010" in out
    code, out = admin("setzen", "Werdau", "--status", "kooperationsvereinbarung", "--datum", "gestern",
                      "--quelle", "x", "--stand", "2026", "--von", "Test")
    assert code == 2 and "Datum" in out
    code, out = admin("zeigen", "Werdau")
    assert "11.01.2022" in out  # unchanged


def test_import_of_a_new_commune_list(admin, tmp_path):
    from tests.conftest import ROOT

    lines = (ROOT / "knowledge" / "communes" / "communes_sachsen.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "neu.csv"
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    code, out = admin("kommunen-import", str(path))
    assert code == 0 and "1 entfernt" in out


def test_applications_list_export_and_status(admin, database_url, tmp_path):
    import csv
    from datetime import datetime, timezone

    from bot.applications import store
    from bot.db import make_engine, make_session_factory, migrate

    migrate(database_url)
    sessions = make_session_factory(make_engine(database_url))
    fields = {"Kommune": "Dohna", "Name": "=HYPERLINK(\"x\")", "E-Mail": "bm@dohna.de"}
    stored = store.submit(sessions, store.Draft("beitritt", fields, "bm@dohna.de", datetime.now(timezone.utc),
                                                "rest", "chat-1", "admin-key-1"), recipient="")
    code, out = admin("anfragen")
    assert code == 0 and stored.reference in out and "Beitrittsanfrage" in out

    path = tmp_path / "anfragen.csv"
    code, _ = admin("anfragen-export", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter=";"))
    assert code == 0 and rows[0]["Vorgangsnummer"] == stored.reference and rows[0]["Kommune"] == "Dohna"
    assert rows[0]["Name"].startswith("'=")  # no spreadsheet formula

    code, out = admin("anfragen-status", stored.reference.lower(), "in_bearbeitung")
    assert code == 0 and "in Bearbeitung" in out
    assert store.status_of(sessions, stored.reference, sender_id="chat-1").status == "in Bearbeitung"

    code, out = admin("postausgang")
    assert code == 0 and "1 E-Mails warten" in out
    assert stored.reference in out and "(kein Empfänger)" in out and "ASSKOMM_APPLICATIONS_TO" in out
    code, out = admin("postausgang", "--erneut", stored.reference)
    assert code == 0 and "wieder in den Versand" in out
    code, out = admin("postausgang", "--erneut", "ASK-2026-999999")
    assert code == 1


def test_the_communes_from_the_research_file_are_listed_and_shown_with_their_passage(admin):
    code, out = admin("mitglieder", "--landkreis", "Görlitz")
    assert code == 0 and "Niesky" in out and "Leutersdorf" in out and "11.04.2025" in out and "16 Kommunen" in out
    code, out = admin("zeigen", "Niesky")
    assert code == 0 and "Kooperationsvereinbarung unterzeichnet, Vereinbarung 11.07.2022" in out
    assert "Fundstelle: „Am Montag ist Niesky dem Präventionsnetzwerk" in out


def test_creating_a_console_user_loads_no_language_model(tmp_path):
    """Found in the user trial (issue 13): `benutzer-anlegen` seeded the communes and loaded spaCy,
    so it took five seconds and printed TensorFlow's log before "Benutzer … angelegt"."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = ("import sys; from bot.admin.cli import main; code = main(sys.argv[1:]); "
              "print('geladen:', sorted(m for m in ('spacy', 'tensorflow', 'rasa') if m in sys.modules)); sys.exit(code)")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ASSKOMM_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script, "benutzer-anlegen", "mmuster", "--rolle", "auswertung"],
                          input="ein-langes-Passwort\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Benutzer mmuster angelegt (Rolle auswertung)." in done.stdout
    assert "geladen: []" in done.stdout
    assert "tensorflow" not in done.stderr.lower()
