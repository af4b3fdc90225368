"""Lists in pages: ?seite=2&pro_seite=50 on the applications and conversations lists."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Mapping, Sequence, TypeVar
from urllib.parse import urlencode

SIZES = (25, 50, 100, 250)
DEFAULT_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # 1-based
    pages: int
    total: int
    size: int
    query: Mapping[str, str]  # the list's other parameters (filters), kept in the page links

    def url(self, number: int) -> str:
        return "?" + urlencode({**self.query, "seite": number, "pro_seite": self.size})

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0


def _number(text: str, default: int) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else default


def paginate(rows: Sequence[T], query: Mapping[str, str]) -> Page[T]:
    """The page the query asks for; a page number past the end shows the last page."""
    size = _number(query.get("pro_seite", ""), DEFAULT_SIZE)
    size = size if size in SIZES or size == 1 else DEFAULT_SIZE  # 1: for tests and very long entries
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, _number(query.get("seite", ""), 1)), pages)
    kept = {k: v for k, v in query.items() if k not in ("seite", "pro_seite")}
    return Page(rows[(number - 1) * size:number * size], number, pages, len(rows), size, kept)
