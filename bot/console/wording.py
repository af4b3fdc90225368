"""German wording for counts in the console's pages: "1 Anfrage", "2 Anfragen", never "1 Anfragen"."""
from __future__ import annotations


def count(number: int, singular: str, plural: str) -> str:
    """The number with the noun that fits it (German uses the singular only for exactly one)."""
    return f"{number} {singular if number == 1 else plural}"
