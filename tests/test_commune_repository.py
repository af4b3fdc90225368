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


# --- The membership file against the research file, and the programme facts ---

RESEARCH = KNOWLEDGE / "sources" / "MEMBERSHIPS-RESEARCH.md"
PROGRAMME = KNOWLEDGE / "communes" / "programme.yml"


def research_rows() -> list[dict]:
    """The findings tables of MEMBERSHIPS-RESEARCH.md (sections 1 and 1b), one row per commune
    and finding; a row naming several communes (a Verwaltungsverband) gives one row each."""
    import re

    rows, section = [], ""
    for line in RESEARCH.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != 8 or not section.startswith(("## 1.", "### 1b")):
            continue
        urls = re.findall(r"https?://\S+", cells[5])
        if not urls and cells[5].startswith("same") and rows:  # "same as above"
            urls = rows[-1]["urls"]
        for ags in re.findall(r"\b14\d{6}\b", cells[1]):
            rows.append({"name": cells[0], "ags": ags, "status": cells[2], "date": cells[3], "urls": urls,
                         "section": section})
    return rows


def test_the_research_file_is_read_completely():
    rows = research_rows()
    # 56 rows for 55 communes in section 1 (Oelsnitz twice) and 13 communes in section 1b
    assert len([r for r in rows if r["section"].startswith("## 1.")]) == 56
    assert len({r["ags"] for r in rows}) == 55 + 13


def test_every_commune_of_the_research_file_has_a_record_or_a_reason():
    facts, unrecorded = seed.read_membership_file(MEMBERSHIPS)
    recorded = {f.ags for f in facts}
    left_out = {u.ags for u in unrecorded}
    missing = [f"{r['name']} ({r['ags']})" for r in research_rows() if r["ags"] not in recorded | left_out]
    assert not missing, f"ohne Eintrag und ohne Grund: {missing}"
    assert all(u.reason for u in unrecorded)


def test_status_date_and_source_follow_the_research_file():
    facts = {f.ags: f for f in seed.read_membership_facts(MEMBERSHIPS)}
    for row in research_rows():
        if row["ags"] not in facts or not row["section"].startswith("## 1."):
            continue
        fact, research_status = facts[row["ags"]], row["status"].lower()
        if research_status.startswith("modellkommune"):
            assert fact.status == "modellkommune", row["name"]
        elif research_status.startswith("vorvereinbarung"):
            assert "Vorvereinbarung" in (fact.note or "") or fact.status == "vorvereinbarung", row["name"]
            continue  # Oelsnitz: the later Kooperationsvereinbarung is the record, the Vorvereinbarung its note
        else:  # KV of a commune or a union, and Flöha's "Vereinbarung"
            assert fact.status == "kooperationsvereinbarung", row["name"]
            day = row["date"].split(" ")[0]
            expected = None if day == "unknown;" else day
            assert fact.agreement_date == expected, row["name"]
        cited = " ".join(filter(None, [fact.source.url, fact.note]))
        assert any(url in cited for url in row["urls"]) or fact.status == "modellkommune", row["name"]


def test_unions_are_named_for_their_communes():
    facts = {f.name: f for f in seed.read_membership_facts(MEMBERSHIPS)}
    for name in ("Reichenbach/O.L.", "Königshain", "Vierkirchen"):
        assert facts[name].via == "Verwaltungsgemeinschaft Reichenbach/O.L."
    for name in ("Bertsdorf-Hörnitz", "Jonsdorf", "Olbersdorf", "Oybin"):
        assert facts[name].via == "Verwaltungsgemeinschaft Olbersdorf"
    assert facts["Schneeberg"].via == "Städtebund Silberberg"


def test_the_twelve_missing_communes_and_the_corrections_are_in(repository):
    dates = {"14627060": "2021-02-17", "14524080": "2021-05-18", "14729260": "2021-08", "14625280": "2022-05-20",
             "14626370": "2022-07-11", "14522180": "2022-11-28", "14626240": "2022-12-21", "14626570": "2022-12-21",
             "14521590": "2023-01-20", "14628160": "2023-08-09", "14625480": "2023-12-18", "14626280": "2025-04-11",
             "14523340": "2020-09-16", "14626250": "2022-02-15", "14524180": "2023-08-31", "14626450": "2022-12-21"}
    for ags, date in dates.items():
        membership = repository.info(ags).membership
        assert (membership.status, membership.agreement_date) == ("kooperationsvereinbarung", date), ags
        assert membership.source_url.startswith("http")
    assert repository.info(WERDAU).membership.source_url == "https://www.medienservice.sachsen.de/medien/news/1035386"


def test_a_commune_both_recorded_and_left_out_is_refused(tmp_path):
    path = tmp_path / "m.yml"
    text = MEMBERSHIPS.read_text(encoding="utf-8")
    path.write_text(text.replace('  - ags: "14625525"', f'  - ags: "{WERDAU}"'), encoding="utf-8")
    with pytest.raises(ValueError, match="doppelt"):
        seed.read_membership_file(path)
    path.write_text(text + "\nweitere: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="erwartet nur"):
        seed.read_membership_file(path)


def test_the_programme_facts_agree_with_the_memberships_and_the_commune_list():
    from bot.communes.programme import load

    programme = load(PROGRAMME)
    facts = seed.read_membership_facts(MEMBERSHIPS)
    assert programme.model_communes.count == sum(f.status == "modellkommune" for f in facts) == 8
    assert programme.start.date == "2019-02-06"
    latest = programme.latest_total()
    assert (latest.count, latest.date, latest.commune) == (60, "2025-04-11", "Leutersdorf")
    assert [t.count for t in sorted(programme.published_totals, key=lambda t: t.date)] == [54, 56, 60]
    landkreise = {r["landkreis"] for r in seed.read_commune_csv(KNOWLEDGE / "communes" / "communes_sachsen.csv")}
    assert {c.landkreis for c in programme.district_counts} <= landkreise
    names = {f.name for f in facts}
    assert {c.commune for c in programme.district_counts + programme.published_totals if c.commune} <= names


def _without(data: dict, path: str) -> dict:
    """A copy of the parsed file with the key at path ("start.sources.0.stand") removed."""
    import copy

    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    del node[int(last) if isinstance(node, list) else last]
    return data


@pytest.mark.parametrize("missing", [
    "start.sources.0.stand", "start.sources", "model_communes.sources.0.title", "commune_register.stand",
    "published_totals.0.source", "district_counts.0.source.stand", "published_totals.2.date",
])
def test_a_programme_fact_without_source_or_stand_is_refused(tmp_path, missing):
    from bot.communes.programme import ProgrammeError, load

    data = yaml.safe_load(PROGRAMME.read_text(encoding="utf-8"))
    path = tmp_path / "programme.yml"
    path.write_text(yaml.safe_dump(_without(data, missing), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProgrammeError):
        load(path)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load(path).latest_total().count == 60  # the same file with the key loads


def test_an_empty_source_list_is_refused(tmp_path):
    from bot.communes.programme import ProgrammeError, load

    data = yaml.safe_load(PROGRAMME.read_text(encoding="utf-8"))
    data["model_communes"]["sources"] = []
    path = tmp_path / "programme.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProgrammeError, match="ohne Quelle"):
        load(path)


def test_a_broken_edit_of_the_programme_facts_keeps_the_last_good_version(tmp_path):
    import os

    from bot.communes.programme import ReloadingProgrammeFacts

    path = tmp_path / "programme.yml"
    text = PROGRAMME.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    facts = ReloadingProgrammeFacts(path)
    path.write_text(text.replace('stand: "2025-11-30"', 'stand: "gestern"'), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert facts.get().commune_register.stand == "2025-11-30" and "gestern" in facts.last_error
    path.write_text(text.replace('date: "2025-04-11"', 'date: "2025-04-12"'), encoding="utf-8")
    assert facts.get().latest_total().date == "2025-04-12" and facts.last_error is None
