"""What people typed in a hand-made TOM, read as the values a spec expects: ratings, dates, choices.

Each reader returns the value or None: None means "could not read it", and the importer then keeps
the text on its "Imported, unmatched" tab instead of guessing. Dates are read day first (UK), with
python-dateutil (already installed with pandas), which knows ordinals ("3rd March 2026") and month
names; a month alone ("March 2026") reads as its first day. A text with no year, or a year alone, is
not a date; a number from 36526 to 73050 is an Excel date serial (2000 to 2099) that lost its format.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from dateutil import parser as dateparser
from rapidfuzz import fuzz, process

from workbook_templates.reader import excel_serial_to_date

RAG_TEXT = {"green": "G", "g": "G", "amber": "A", "a": "A", "yellow": "A", "orange": "A", "red": "R",
            "r": "R", "blue": "B", "b": "B", "complete": "B"}
STATUS_SYNONYMS = {
    "Complete": ("complete", "completed", "done", "achieved", "finished", "met"),
    "In progress": ("in progress", "started", "ongoing", "on going", "underway", "under way", "in hand",
                    "progressing", "partially complete", "partly complete", "on track"),
    "Not started": ("not started", "not yet started", "to do", "todo", "planned", "not begun", "pending"),
    "Not applicable": ("not applicable", "n a", "na", "n/a", "not relevant", "does not apply"),
}
_YEAR = re.compile(r"\b(19|20)\d{2}\b|\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}\b")
_DATE_AT_START = re.compile(
    r"^\s*(\d{1,2}(?:st|nd|rd|th)?[ /.\-](?:\d{1,2}|[A-Za-z]{3,9})[ /.\-]\d{2,4})")


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z/]+", " ", text.lower()).split())


def read_rag(value: Any, allowed: tuple[str, ...]) -> str | None:
    """"Green", "G", "green - on track", "RAG: Amber" -> its letter (if the spec allows it)."""
    if not isinstance(value, str):
        return None
    text = _words(value).replace("/", " ")
    if not text:
        return None
    letter = RAG_TEXT.get(text)
    if letter is None:
        for word in text.split():
            if word in ("green", "amber", "red", "blue"):
                letter = RAG_TEXT[word]
                break
    if letter == "B" and "B" not in allowed:
        letter = "G" if text == "complete" else None
    return letter if letter in allowed else None


def read_date(value: Any) -> date | None:
    """A date cell, or text spelling a date with a year ("3rd March 2026", "03/03/26", "March 2026")."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 36526 <= value < 73051:
        return excel_serial_to_date(value)  # a date whose cell lost its date format (2000 to 2099)
    if not isinstance(value, str) or not _YEAR.search(value) or re.fullmatch(r"\s*\d{4}\s*", value):
        return None  # no year, or a year alone, is not a date
    text = value.strip()
    try:
        return dateparser.parse(text, dayfirst=True, default=datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        return None


def date_in_note(value: Any) -> date | None:
    """The date a note is made of (a date cell) or starts with ("03/03/26: met the employer")."""
    if isinstance(value, datetime | date):
        return read_date(value)
    if not isinstance(value, str):
        return None
    m = _DATE_AT_START.match(value)
    return read_date(m.group(1)) if m else read_date(value) if len(value) <= 20 else None


def read_choice(value: Any, choices: tuple[str, ...], status: bool = False) -> tuple[str | None, float]:
    """The choice a typed value means, with a confidence 0-100: exact (any case) 100, a status
    synonym 95, else the closest choice if it is close (rapidfuzz ratio >= 85); (None, 0) if none."""
    if value is None:
        return None, 0
    text = str(value).strip()
    for c in choices:
        if c.lower() == text.lower():
            return c, 100
    if status:
        words = _words(text)
        for choice, synonyms in STATUS_SYNONYMS.items():
            if choice in choices and words in synonyms:
                return choice, 95
    found = process.extractOne(text.lower(), [c.lower() for c in choices], scorer=fuzz.ratio,
                               score_cutoff=85)
    if found is None:
        return None, 0
    return choices[found[2]], float(found[1])


def uk_date(value: date) -> str:
    """A date written into a text cell the way a UK reader types it."""
    return value.strftime("%d/%m/%Y")
