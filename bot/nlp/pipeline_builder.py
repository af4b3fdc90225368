"""Builds the German spaCy pipeline that Rasa's SpacyNLP loads (config.yml points at it).

Preferred base: `de_core_news_sm`, installed with `python -m spacy download`. Where that
model cannot be downloaded (no route to its server, as on the build machines and in CI),
the pipeline is built offline instead: `spacy.blank("de")` with the lookup lemmatizer
from spacy-lookups-data. Either way an entity ruler for the programme's names is added,
and the result is saved to one fixed folder, so config.yml never changes with the base.

Every Saxon commune name (from the repository's Destatis list) gets the lemma
"kommunenname". The intent classifier reads lemmas, so "Wie viele Einwohner hat Wechselburg?"
looks to it like the trained "Wie viele Einwohner hat Freiberg?": 418 names, most of which
no training example contains, no longer decide the intent. Which commune is meant is found
later, in the actions, by fuzzy matching against the database.

Rasa lowercases the text before spaCy sees it (`case_sensitive: false` in config.yml), and
users often type without Umlaute ("Foerderung", "Antraege"). The lookup table is keyed by
correctly spelt, capitalised words, so the offline build adds lowercase and transliterated
keys that point to the same lemma: "antraege" -> "Antrag" as well as "Anträge" -> "Antrag".
"""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

BASE_MODEL = "de_core_news_sm"
# Raise when the build changes, so that existing pipelines are rebuilt by `make run`.
# 3: the same pipeline on every build (variants in the table's order, not a set's).
BUILDER_VERSION = 3
COMMUNES_CSV = Path(__file__).resolve().parents[2] / "knowledge" / "communes" / "communes_sachsen.csv"
COMMUNE_LEMMA = "kommunenname"
META_KEY = "asskomm"

_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True)
class PipelineInfo:
    """What a built pipeline is made of; stored in its meta.json."""

    base: str  # "de_core_news_sm" or "blank:de"
    base_version: str
    lemmatizer: str
    builder_version: int
    download_error: str = ""
    communes: str = ""  # hash of the commune names whose lemma is COMMUNE_LEMMA

    def describe(self) -> str:
        if self.base == BASE_MODEL:
            return f"spaCy-Basis: {BASE_MODEL} {self.base_version} (trainiertes deutsches Modell)"
        reason = f"; {BASE_MODEL} nicht herunterladbar (spacy download: {self.download_error})" if self.download_error else ""
        return (
            f"spaCy-Basis: spacy.blank('de') + Lookup-Lemmatisierer "
            f"({self.lemmatizer}), offline gebaut{reason}"
        )


def download_base_model(timeout_s: int = 300) -> str:
    """Runs `python -m spacy download de_core_news_sm`; returns "" on success, else the reason."""
    print(f"Lade {BASE_MODEL} herunter (python -m spacy download {BASE_MODEL}) ...", flush=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "spacy", "download", BASE_MODEL],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return f"Download nach {timeout_s} s abgebrochen"
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        return lines[-1][:200] if lines else f"Exit-Code {proc.returncode}"
    return ""


def _installed_base_version() -> str | None:
    try:
        return metadata.version(BASE_MODEL)
    except metadata.PackageNotFoundError:
        return None


def add_lookup_variants(words: dict[str, str]) -> dict[str, str]:
    """Returns `words` plus lowercase and Umlaut-free keys that point to the same lemma.

    Lemmas become keys too ("foerderung" -> "Förderung"): the table only lists inflected
    forms, and a lemma is its own lemma. Existing keys win: "essen" (verb) keeps its own
    lemma and is not replaced by "Essen".
    """
    extended = dict(words)
    # In the table's order, not a set's: where two lemmas share a variant, the first one wins,
    # and a set's order changes with every Python process, so each build gave other lemmas
    # (and a clean clone trained another model than the developer's).
    pairs = list(words.items()) + [(lemma, lemma) for lemma in dict.fromkeys(words.values())]
    for word, lemma in pairs:
        lower = word.lower()
        for variant in (lower, word.translate(_TRANSLITERATION), lower.translate(_TRANSLITERATION)):
            extended.setdefault(variant, lemma)
    return extended


def _raw_lemma_table() -> dict[str, str]:
    """The German lemma table of spacy-lookups-data as a plain word -> lemma dict.

    (spaCy's own loader keys the table by hashes, which cannot be varied.)
    """
    import spacy_lookups_data
    import srsly

    return srsly.read_gzip_json(Path(spacy_lookups_data.__file__).parent / "data" / "de_lemma_lookup.json.gz")


def _blank_with_lookup_lemmatizer():
    import spacy
    from spacy.lookups import Lookups

    words = _raw_lemma_table()
    extended = add_lookup_variants(words)
    lookups = Lookups()
    lookups.add_table("lemma_lookup", extended)
    nlp = spacy.blank("de")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize(lookups=lookups)
    return nlp, len(extended) - len(words)


def programme_patterns() -> list[dict]:
    """Entity-ruler patterns for the names of the programme and its institutions."""
    names = {
        "ORG": [
            "ASSKomm",
            "Allianz Sichere Sächsische Kommunen",
            "Landespräventionsrat",
            "Landespräventionsrat Sachsen",
            "LPR",
            "Sächsisches Staatsministerium des Innern",
            "SMI",
            "TU Chemnitz",
            "TUCed",
            "Polizeidirektion",
        ],
        "MISC": ["RL KommPräv", "Richtlinie Kommunale Prävention", "Präventionsmanagement"],
    }
    patterns = []
    for label, phrases in names.items():
        for phrase in phrases:
            patterns.append(
                {"label": label, "pattern": [{"LOWER": part.lower()} for part in phrase.split()]}
            )
    return patterns


def commune_names(communes_csv: Path) -> list[str]:
    """Commune names as users write them: "Frankenberg/Sa." and "Frankenberg", "Aue-Bad Schlema",
    "Aue" and "Bad Schlema"."""
    from bot.communes.names import base_name

    names = set()
    with communes_csv.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            short = row["name_short"]
            names.update([short, base_name(short) or short, *(short.split("-") if "-" in short else [])])
    return sorted(n for n in names if n.strip())


def communes_hash(communes_csv: Path) -> str:
    return hashlib.sha256("\n".join(commune_names(communes_csv)).encode()).hexdigest()[:12]


def add_commune_lemmas(nlp, communes_csv: Path, german_words: set[str]) -> int:
    """An attribute ruler that gives every token of a commune name the lemma COMMUNE_LEMMA.

    Names that are also German words ("Lauter", "Schleife", "Treuen") keep their lemma: a
    question about a "Schleife" must not turn into a question about a commune."""
    patterns = []
    for name in commune_names(communes_csv):
        if " " not in name and name.lower() in german_words:
            continue
        for variant in dict.fromkeys((name.lower(), name.lower().translate(_TRANSLITERATION))):
            tokens = [t.text for t in nlp.make_doc(variant)]
            pattern = [{"LOWER": token} for token in tokens]
            patterns += [{"patterns": [pattern], "attrs": {"LEMMA": COMMUNE_LEMMA}, "index": i}
                         for i in range(len(tokens))]
    ruler = nlp.add_pipe("attribute_ruler", name="asskomm_commune_lemmas", last=True)
    ruler.add_patterns(patterns)
    return len(patterns)


def build_pipeline(
    target: Path, download: Callable[[], str] = download_base_model, communes_csv: Path = COMMUNES_CSV
) -> PipelineInfo:
    """Builds the pipeline into `target` (replacing it atomically) and returns what it is."""
    import spacy

    error = ""
    version = _installed_base_version()
    if version is None:
        error = download()
        version = _installed_base_version()
        if version is None and not error:
            error = "Paket nach dem Download nicht installiert"

    if version is not None:
        print(f"Baue spaCy-Pipeline auf {BASE_MODEL} {version} ...", flush=True)
        nlp = spacy.load(BASE_MODEL)
        info = PipelineInfo(BASE_MODEL, version, f"{BASE_MODEL} (eigener Lemmatisierer)", BUILDER_VERSION,
                            communes=communes_hash(communes_csv))
    else:
        print(f"{BASE_MODEL} nicht verfügbar ({error}).", flush=True)
        print("Baue offline: spacy.blank('de') + Lookup-Lemmatisierer aus spacy-lookups-data ...", flush=True)
        nlp, added = _blank_with_lookup_lemmatizer()
        print(f"  Lemma-Tabelle um {added} Kleinschreib- und Umlaut-Varianten ergänzt.", flush=True)
        lookups_version = metadata.version("spacy-lookups-data")
        info = PipelineInfo(
            "blank:de", spacy.__version__, f"spacy-lookups-data {lookups_version}", BUILDER_VERSION, error,
            communes=communes_hash(communes_csv),
        )

    ruler = nlp.add_pipe("entity_ruler", name="asskomm_entity_ruler", last=True)
    ruler.add_patterns(programme_patterns())
    german_words = {word.lower() for word in _raw_lemma_table()}
    count = add_commune_lemmas(nlp, communes_csv, german_words)
    print(f"  {count} Muster für sächsische Gemeindenamen (Lemma „{COMMUNE_LEMMA}“).", flush=True)
    nlp.meta[META_KEY] = asdict(info)
    nlp.meta["name"] = "asskomm"

    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return info


def read_info(target: Path) -> PipelineInfo | None:
    """The info of a built pipeline, or None when there is none (or from an older builder)."""
    try:
        meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
        return PipelineInfo(**meta[META_KEY])
    except (OSError, KeyError, TypeError, ValueError):
        return None


def needs_build(target: Path, communes_csv: Path = COMMUNES_CSV) -> bool:
    info = read_info(target)
    if info is None or info.builder_version != BUILDER_VERSION:
        return True
    if info.communes != communes_hash(communes_csv):  # a new commune list
        return True
    # The real model became available since the offline build: use it.
    return info.base != BASE_MODEL and _installed_base_version() is not None
