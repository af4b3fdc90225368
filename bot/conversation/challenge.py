"""Challenge questions after an answer ("Woher haben Sie das?", "Ist die Zahl aktuell?"):
the source and Stand of the answer just given; without one, where the bot's answers come from
and whom to ask. The action (actions/sources.py) picks the answer from the tracker."""
from __future__ import annotations

from collections import Counter
from urllib.parse import urlparse

from bot.knowledge.model import Source
from bot.knowledge.render import Reply, source_line
from bot.knowledge.store import KnowledgeBase

CONTACT_BUTTON = {"title": "Kontakt zum Landespräventionsrat", "payload": "/ask_contact"}
CHECK_WITH_THE_LPR = ("Der Stand ist das Datum der Quelle. Ob sich seitdem etwas geändert hat, "
                      "kann Ihnen der Landespräventionsrat Sachsen sagen.")
# The websites named when no answer was just given: the ones most answers cite.
MAX_SITES = 3


def sources_reply(about: str, sources: list[Source]) -> Reply:
    """Where an answer comes from; `about` says which ("auf „Was kostet der Beitritt?“", "zu Niesky")."""
    these = "diese Quelle" if len(sources) == 1 else "diese Quellen"
    return Reply(f"Meine Antwort {about} stützt sich auf {these}.\n\n{source_line(sources)}\n\n{CHECK_WITH_THE_LPR}",
                 [CONTACT_BUTTON])


def main_sites(kb: KnowledgeBase) -> list[str]:
    """The websites the knowledge entries cite most often, most cited first."""
    counts = Counter(urlparse(source.url).netloc.removeprefix("www.")
                     for entry in kb.entries.values() for source in entry.sources if source.url)
    return [site for site, _ in counts.most_common(MAX_SITES)]


def general_text(kb: KnowledgeBase) -> str:
    """Said when no answer was just given; the LPR contact follows."""
    sites = main_sites(kb)
    named = f", vor allem von {', '.join(sites[:-1])} und {sites[-1]}" if len(sites) > 1 else ""
    return ("Gerade habe ich Ihnen keine Angabe genannt, zu der ich eine Quelle zeigen kann. "
            f"Meine Antworten stammen aus veröffentlichten Quellen{named}. Jede Antwort nennt ihre Quelle "
            "und deren Stand. Verbindlich Auskunft gibt der Landespräventionsrat Sachsen:")
