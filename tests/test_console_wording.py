"""Counts in the console's pages read as German: "1 Kommune", "2 Kommunen" (found in the user trial, issue 13)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader

from bot.console import wording

TEMPLATES = Path(__file__).resolve().parents[1] / "bot" / "console" / "templates"


@pytest.mark.parametrize("number, expected", [(0, "0 Anfragen"), (1, "1 Anfrage"), (2, "2 Anfragen"), (21, "21 Anfragen")])
def test_only_exactly_one_takes_the_singular(number, expected):
    assert wording.count(number, "Anfrage", "Anfragen") == expected


def _main_block(template_name: str, **context) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    env.filters["anzahl"] = wording.count
    template = env.get_template(template_name)
    return "".join(template.blocks["main"](template.new_context(context)))


def _commune(name: str) -> SimpleNamespace:
    return SimpleNamespace(commune=SimpleNamespace(ags="14628300", name_short=name, landkreis="Sächsische Schweiz-Osterzgebirge"),
                           membership=None)


def test_a_search_finding_one_commune_says_kommune_in_the_singular():
    html = _main_block("kommunen.html", name="Rabenau", rows=[_commune("Rabenau")], statuses={})
    assert "1 Kommune zu „Rabenau“." in html and "1 Kommunen" not in html
    html = _main_block("kommunen.html", name="Rab", rows=[_commune("Rabenau"), _commune("Rabenau 2")], statuses={})
    assert "2 Kommunen zu „Rab“." in html


@pytest.mark.parametrize("template, singular", [("anfragen.html", "1 Anfrage."), ("gespraeche.html", "1 Gespräch.")])
def test_a_list_with_one_entry_names_it_in_the_singular(template, singular):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    env = Environment(autoescape=True)
    env.filters["anzahl"] = wording.count
    line = next(text for text in source.splitlines() if "page.total" in text and "anzahl" in text)
    assert singular in env.from_string(line).render(page=SimpleNamespace(total=1), query="")


def test_times_are_shown_in_saxon_local_time():
    from datetime import datetime, timezone

    from bot.console.local_time import local_time

    assert local_time(datetime(2026, 11, 30, 9, 5, tzinfo=timezone.utc)) == "30.11.2026 10:05"  # CET
    assert local_time(datetime(2026, 7, 1, 9, 5)) == "01.07.2026 11:05"  # naive = UTC; CEST
    assert local_time(datetime(2026, 7, 1, 9, 5, 7), seconds=True) == "01.07.2026 11:05:07"
    assert local_time(None) == "–"
