"""The commune database on SQLite and on PostgreSQL: migrations, seeding from the
repository files, membership facts with sources, and staff changes."""
import shutil

import pytest
import yaml
from pydantic import ValidationError

from bot.communes import seed
from bot.communes.facts import MembershipFact
from bot.communes.repository import CommuneRepository
from bot.db import make_engine, make_session_factory, migrate
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "knowledge"
MEMBERSHIPS = KNOWLEDGE / "communes" / "memberships.yml"
WERDAU, GRUENHAINICHEN, DRESDEN = "14524300", "14521270", "14612000"


@pytest.fixture
def repository(database_url) -> CommuneRepository:
    migrate(database_url)
    sessions = make_session_factory(make_engine(database_url))
    seed.prepare(sessions, KNOWLEDGE)
    return CommuneRepository(sessions)


def test_seeding_loads_all_communes_and_every_sourced_fact(repository):
    assert len(repository.matcher().communes) == 418
    facts = yaml.safe_load(MEMBERSHIPS.read_text(encoding="utf-8"))["memberships"]
    assert sum(repository.count_by_status().values()) == len(facts)


def test_werdau_has_its_agreement_with_date_and_source(repository):
    info = repository.info(WERDAU)
    assert info.commune.landkreis == "Zwickau"
    assert info.membership.status == "kooperationsvereinbarung"
    assert info.membership.agreement_date == "2022-01-11"
    assert info.membership.source_stand == "2022-01-11"


def test_a_commune_the_sources_do_not_name_is_unknown_not_no(repository):
    info = repository.info(DRESDEN)
    assert info is not None and info.membership is None


def test_membership_through_a_verband(repository):
    assert repository.info(GRUENHAINICHEN).membership.via == "Verwaltungsverband Wildenstein"


def test_members_of_a_landkreis_include_the_staedtebund(repository):
    names = {i.commune.name_short for i in repository.members_in("Erzgebirgskreis")}
    assert {"Aue-Bad Schlema", "Lößnitz", "Schneeberg"} <= names


def test_preparing_twice_changes_nothing(repository, database_url):
    before = repository.count_by_status()
    seed.prepare(repository.sessions, KNOWLEDGE)
    assert repository.count_by_status() == before


def test_a_staff_change_wins_over_the_file_until_reset(repository):
    fact = MembershipFact(ags=DRESDEN, status="kooperationsvereinbarung", agreement_date="2026-11-20",
                          source={"title": "Schreiben des LPR", "stand": "2026-11-20"})
    repository.set_membership(fact, changed_by="Test")
    seed.sync_memberships(repository.sessions, MEMBERSHIPS)  # a restart must not undo it
    assert repository.info(DRESDEN).membership.agreement_date == "2026-11-20"
    assert repository.reset_to_knowledge(DRESDEN)
    assert repository.info(DRESDEN).membership is None


def test_clearing_a_membership_makes_it_unknown(repository):
    fact = MembershipFact(ags=WERDAU, status="unbekannt", source={"title": "Rückfrage LPR", "stand": "2026-11"})
    repository.set_membership(fact, changed_by="Test")
    seed.sync_memberships(repository.sessions, MEMBERSHIPS)
    assert repository.info(WERDAU).membership is None
    assert WERDAU not in {i.commune.ags for i in repository.members()}


def test_importing_a_new_commune_list_adds_updates_and_removes(repository, tmp_path):
    lines = (KNOWLEDGE / "communes" / "communes_sachsen.csv").read_text(encoding="utf-8").splitlines()
    dresden = next(line for line in lines if line.startswith(DRESDEN))
    changed = [line for line in lines if not line.startswith("14521010")]  # Amtsberg merged away
    changed[changed.index(dresden)] = dresden.replace(",Dresden,", ",Dresden-Neu,", 1)
    path = tmp_path / "neu.csv"
    path.write_text("\n".join(changed) + "\n", encoding="utf-8")
    result = seed.import_communes(repository.sessions, path)
    assert (result.added, result.removed) == (0, 1)
    assert repository.info("14521010") is None
    assert repository.matcher().resolve("Dresden-Neu").commune.ags == DRESDEN


def test_a_broken_commune_list_is_refused_and_nothing_changes(repository, tmp_path):
    path = tmp_path / "kaputt.csv"
    path.write_text("ags,name\n123,Irgendwo\n", encoding="utf-8")
    with pytest.raises(ValueError):
        seed.import_communes(repository.sessions, path)
    assert len(repository.matcher().communes) == 418


def test_the_knowledge_file_refuses_a_fact_without_source(tmp_path):
    with pytest.raises(ValidationError):
        MembershipFact(ags=WERDAU, status="kooperationsvereinbarung")
    with pytest.raises(ValidationError):
        MembershipFact(ags=WERDAU, status="mitglied", source={"title": "x", "stand": "2022"})


def test_every_fact_in_the_knowledge_file_is_valid_and_names_a_real_commune():
    facts = seed.read_membership_facts(MEMBERSHIPS)
    communes = {r["ags"] for r in seed.read_commune_csv(KNOWLEDGE / "communes" / "communes_sachsen.csv")}
    assert facts and {f.ags for f in facts} <= communes
    # The sources name eight Modellkommunen, and Dresden is not one of them.
    model = {f.ags for f in facts if f.status == "modellkommune"}
    assert len(model) == 8 and DRESDEN not in model


def test_a_fact_for_an_unknown_commune_stops_the_sync(repository, tmp_path):
    path = tmp_path / "m.yml"
    shutil.copy(MEMBERSHIPS, path)
    path.write_text(path.read_text(encoding="utf-8").replace('"14524300"', '"14999999"'), encoding="utf-8")
    with pytest.raises(ValueError):
        seed.sync_memberships(repository.sessions, path)
    assert repository.info(WERDAU).membership.status == "kooperationsvereinbarung"
