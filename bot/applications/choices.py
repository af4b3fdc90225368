"""Choice lists the forms offer as buttons, read from knowledge/forms/ (with their source)."""
from __future__ import annotations

from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.communes.names import fold
from bot.knowledge.model import Source

OTHER = "Anderes Thema"


def handlungsfelder(knowledge_dir: Path) -> tuple[list[str], Source]:
    data = yaml.safe_load((knowledge_dir / "forms" / "handlungsfelder.yml").read_text(encoding="utf-8"))
    return list(data["choices"]), Source(**data["source"])


def match_choice(text: str, choices: list[str]) -> str | None:
    """'graffiti' → 'Graffiti und Sachbeschädigung'; a user's own topic → 'Anderes Thema: …'."""
    wanted = fold(text)
    if not wanted:
        return None
    folded = {fold(c): c for c in choices}
    if wanted in folded:
        return folded[wanted]
    hit = process.extractOne(wanted, list(folded), scorer=fuzz.partial_ratio, score_cutoff=85)
    if hit and len(wanted) >= 4:
        return folded[hit[0]]
    return None
