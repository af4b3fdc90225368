"""Facts live in knowledge/ only. The domain's responses are conversation: a figure, a date,
an address or a link there would be a fact without source and Stand."""
import re

import pytest
import yaml

from tests.conftest import ROOT

# The emergency numbers are the figures the bot must be able to say without a knowledge entry:
# 110 (Polizei) in the out-of-scope answer, 110 and 112 (Feuerwehr, Rettungsdienst) in the
# emergency answer. They are general German facts, not ASSKomm facts, and a lookup must not
# be able to fail when someone is in danger.
ALLOWED_NUMBERS = {"110", "112"}


def domain_texts() -> list[tuple[str, str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = []
    for name, variants in domain["responses"].items():
        for variant in variants:
            texts.append((name, variant.get("text", "")))
            texts += [(name, b["title"]) for b in variant.get("buttons", [])]
    return texts


@pytest.mark.parametrize("name, text", domain_texts())
def test_domain_response_states_no_fact(name, text):
    numbers = set(re.findall(r"\d+", text)) - ALLOWED_NUMBERS
    assert not numbers, f"{name}: Zahl {numbers} gehört mit Quelle nach knowledge/"
    assert not re.search(r"https?://|www\.|\w@\w", text), f"{name}: Adresse gehört mit Quelle nach knowledge/"


def test_stories_and_rules_contain_no_bot_text():
    for path in list((ROOT / "data").rglob("*.yml")):
        if "nlu" in path.parts:
            continue
        content = path.read_text(encoding="utf-8")
        assert "text:" not in content, f"{path}: Antworttexte gehören nach knowledge/ oder domain.yml"
