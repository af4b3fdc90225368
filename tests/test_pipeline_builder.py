"""The spaCy pipeline: de_core_news_sm where it downloads, else an offline German build."""
import json

import pytest
import spacy
import yaml

from bot.config import get_settings
from bot.nlp import pipeline_builder as builder
from tests.conftest import ROOT


def add_invented_commune(communes_csv):
    row = "14999999,,Testhausen am Prüfstein,Testhausen,Gemeinde,,,,,,,,,,,,,,"
    communes_csv.write_text(communes_csv.read_text(encoding="utf-8").rstrip("\n") + f"\n{row}\n", encoding="utf-8")


@pytest.fixture
def no_base_model(monkeypatch):
    monkeypatch.setattr(builder, "_installed_base_version", lambda: None)


def test_failed_download_builds_offline_german_pipeline(tmp_path, no_base_model):
    attempts = []

    def failing_download():
        attempts.append(1)
        return "keine Verbindung zum Modellserver"

    target = tmp_path / "pipeline"
    info = builder.build_pipeline(target, download=failing_download)

    assert attempts == [1]
    assert info.base == "blank:de"
    assert "keine Verbindung" in info.describe() and "blank('de')" in info.describe()
    assert builder.read_info(target) == info
    nlp = spacy.load(target)
    assert nlp.lang == "de"
    assert [t.lemma_ for t in nlp("Anträge gefördert")] == ["Antrag", "fördern"]
    # what Rasa feeds in with case_sensitive: false, and what users type without Umlaute
    assert [t.lemma_ for t in nlp("anträge antraege kommunen")] == ["Antrag", "Antrag", "Kommune"]
    assert [(e.text, e.label_) for e in nlp("fragen an den lpr zur rl kommpräv").ents] == [
        ("lpr", "ORG"), ("rl kommpräv", "MISC")
    ]
    # every commune name, also hyphenated, without Umlaute or with its suffix, is one lemma to the classifier
    for text, name in [("wie viele einwohner hat wechselburg", ["wechselburg"]),
                       ("ist aue-bad schlema dabei", ["aue-bad", "schlema"]),
                       ("wir sind aus floeha", ["floeha"]), ("macht frankenberg/sa. mit", ["frankenberg"])]:
        masked = [t.text for t in nlp(text) if t.lemma_ == builder.COMMUNE_LEMMA]
        assert set(name) <= set(masked), text
    # names that are German words stay words
    assert [t.lemma_ for t in nlp("die schleife ist lauter")] == ["der", "Schleife", "sein", "laut"]
    assert not builder.needs_build(target)


def test_downloaded_base_model_is_used_when_available(tmp_path, monkeypatch):
    installed = {"version": None}

    def successful_download():
        installed["version"] = "3.4.0"
        return ""

    loaded = []

    def fake_load(name):
        # Stands in for the real de_core_news_sm, which cannot be downloaded here.
        loaded.append(name)
        return spacy.blank("de")

    monkeypatch.setattr(builder, "_installed_base_version", lambda: installed["version"])
    monkeypatch.setattr(spacy, "load", fake_load)
    target = tmp_path / "pipeline"
    info = builder.build_pipeline(target, download=successful_download)

    assert loaded == ["de_core_news_sm"]
    assert info.base == "de_core_news_sm" and info.base_version == "3.4.0"
    assert "de_core_news_sm 3.4.0" in info.describe()
    meta = json.loads((target / "meta.json").read_text())
    assert "asskomm_entity_ruler" in meta["pipeline"]


def test_rebuild_when_missing_outdated_new_communes_or_base_model_appeared(tmp_path, monkeypatch, no_base_model):
    target = tmp_path / "pipeline"
    communes = tmp_path / "communes.csv"
    communes.write_text(builder.COMMUNES_CSV.read_text(encoding="utf-8"), encoding="utf-8")
    assert builder.needs_build(target, communes)
    builder.build_pipeline(target, download=lambda: "offline", communes_csv=communes)
    assert not builder.needs_build(target, communes)

    add_invented_commune(communes)  # an LPR clerk imports a newer list
    assert builder.needs_build(target, communes)
    builder.build_pipeline(target, download=lambda: "offline", communes_csv=communes)
    assert [t.lemma_ for t in spacy.load(target)("testhausen")] == [builder.COMMUNE_LEMMA]
    assert not builder.needs_build(target, communes)

    monkeypatch.setattr(builder, "BUILDER_VERSION", builder.BUILDER_VERSION + 1)
    assert builder.needs_build(target, communes)
    monkeypatch.setattr(builder, "BUILDER_VERSION", builder.BUILDER_VERSION - 1)

    monkeypatch.setattr(builder, "_installed_base_version", lambda: "3.4.0")
    assert builder.needs_build(target, communes)


def test_lookup_variants_keep_existing_keys():
    words = {"Anträge": "Antrag", "essen": "essen", "Essen": "Essen", "Grüße": "Gruß"}
    extended = builder.add_lookup_variants(words)
    assert extended["antraege"] == "Antrag"
    assert extended["gruesse"] == "Gruß"
    assert extended["essen"] == "essen"  # the verb keeps its own lemma
    assert extended["gruss"] == "Gruß"  # lemmas become keys too


def test_the_pipeline_rasa_uses_is_built_and_german():
    """The pipeline config.yml points at (built by make) loads and lemmatises German."""
    settings = get_settings()
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    spacy_nlp = next(c for c in config["pipeline"] if c["name"] == "SpacyNLP")
    assert (ROOT / spacy_nlp["model"]).resolve() == settings.spacy_pipeline_dir.resolve()
    info = builder.read_info(settings.spacy_pipeline_dir)
    assert info is not None, "make pipeline / python -m bot.nlp build has not run"
    nlp = spacy.load(settings.spacy_pipeline_dir)
    assert [t.lemma_ for t in nlp("anträge")] == ["Antrag"]


def test_a_rebuilt_pipeline_gets_a_new_model_and_a_fresh_rasa_cache(tmp_path, monkeypatch, no_base_model):
    """Rasa fingerprints SpacyNLP by its folder only: without a cache per pipeline it would
    reuse features of the pipeline that was there before."""
    from bot.config import Settings
    from bot.training import model_path, rasa_cache_dir

    settings = Settings(var_dir=tmp_path)
    communes = tmp_path / "communes.csv"
    communes.write_text(builder.COMMUNES_CSV.read_text(encoding="utf-8"), encoding="utf-8")
    builder.build_pipeline(settings.spacy_pipeline_dir, download=lambda: "offline", communes_csv=communes)
    before = model_path(settings), rasa_cache_dir(settings)

    add_invented_commune(communes)
    builder.build_pipeline(settings.spacy_pipeline_dir, download=lambda: "offline", communes_csv=communes)
    after = model_path(settings), rasa_cache_dir(settings)

    assert before[0] != after[0] and before[1] != after[1]
    assert after[1].parent == tmp_path / "rasa-cache"


def test_two_builds_in_different_processes_give_the_same_files(tmp_path):
    """A clean clone must train the developer's model: the pipeline may not depend on the
    order of a set, which changes with every Python process (PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys

    script = ("import sys; from bot.nlp import pipeline_builder as b; "
              "b._installed_base_version = lambda: None; "
              "b.build_pipeline(__import__('pathlib').Path(sys.argv[1]), download=lambda: 'offline')")
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
    first = {p.relative_to(tmp_path / "1"): p.read_bytes() for p in (tmp_path / "1").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "2"): p.read_bytes() for p in (tmp_path / "2").rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [str(path) for path in first if first[path] != second[path]] == []
