"""Applications as a table for CSV and XLSX download: the same columns as
`python -m bot.admin anfragen-export`, one column per form field."""
from __future__ import annotations

import csv
import io
import re

from bot.applications.models import Application
from bot.applications.store import KINDS, STATUSES

FIXED = ["Vorgangsnummer", "Art", "Status", "Eingang (UTC)", "Kanal", "Einwilligung (UTC)"]


def table(rows: list[Application]) -> list[list[str]]:
    labels = list(dict.fromkeys(label for a in rows for label in a.fields))
    lines = [FIXED + labels]
    for a in rows:
        lines.append([a.reference, KINDS[a.kind], STATUSES.get(a.status, a.status),
                      f"{a.created_at:%Y-%m-%d %H:%M}", a.channel, f"{a.consent_at:%Y-%m-%d %H:%M}",
                      *[str(a.fields.get(label, "")) for label in labels]])
    return [[safe_cell(value) for value in line] for line in lines]


# A phone number as the bot stores it ("+49351123456"): digits only, nothing a spreadsheet could run.
PHONE_NUMBER = re.compile(r"\+\d[\d ]*")


def safe_cell(value: str) -> str:
    # A cell starting with = + - @ (or a tab/CR) would run as a formula in a spreadsheet.
    if PHONE_NUMBER.fullmatch(value):
        return value  # "'+49…" would show the quote to the caseworker
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(rows: list[Application]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(table(rows))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def as_xlsx(rows: list[Application]) -> bytes:
    from openpyxl import Workbook  # only in .venv-console

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Anfragen"
    for line in table(rows):
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
