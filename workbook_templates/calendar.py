"""The session calendar: when a row's When or Target says the work is due.

A spec's `[calendar]` names the area's terms with their dates; month names are read against the
session's months. The parser understands what staff and plans actually write:

    "Aug", "September", "Sept 2019"        the end of that month
    "Term 2", "Aut1", "Summer 2"           the end of that term (names from the calendar)
    "by 31 August", "31/08/2026"           that day
    "by end of September"                  the end of that month
    "Aut1 & Sum2", "Sept 2019 and July 2020"  several dates: due by the last of them
    "Monthly", "Each term", "Ongoing"      recurring: no single due date (the stale check covers it);
    "Yearly", "Every half term", "Throughout the year", "Twice a year" too
    "Sep 2026 - Jul 2027", "Aut1 to Spr2"  a range: due by its end (recurring if its ends recur)
    "end of Summer term", "by end of Summer 2027"  the end of that term
    "Summer 2", "Spring term" (bare)       in a plan whose calendar names that term for several years
                                           ("Summer 2 2026", "Summer 2 2027"): recurring, once a year;
                                           "Summer 2 2027" is the end of that one

Anything else is `UNKNOWN`: it is listed for a person to read, never guessed. A Target is read only
where it says "by <a date>"; otherwise it is a measure ("90% of S1-S3 registered"), not a date.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

DATE, RECURRING, NONE, UNKNOWN = "date", "recurring", "none", "unknown"
MONTH_NAMES = {name.lower(): i for i in range(1, 13)
               for name in (_stdcal.month_name[i], _stdcal.month_abbr[i])}
MONTH_NAMES["sept"] = 9
RECURRING_WORDS = frozenset({"monthly", "each month", "every month", "termly", "each term", "every term",
                             "half termly", "half-termly", "each half term", "weekly", "ongoing", "annually",
                             "each year", "every year", "throughout", "all year", "as needed",
                             "yearly", "every half term", "every half-term", "each half-term", "fortnightly",
                             "throughout the year", "all year round", "twice a year", "twice yearly",
                             "each academic year", "every academic year", "as required"})
_SEASONS = (("autumn", "aut"), ("spring", "spr"), ("summer", "sum"))
_SPLIT = re.compile(r"\s*(?:&|\band\b|,|;|\+)\s*|\s+(?:-|–|to|until)\s+", re.IGNORECASE)
_YEAR_END = re.compile(r"(?:19|20)[0-9]{2}$")  # "sum22027": a calendar term named with its year
_BY = re.compile(r"\bby\s+((?:the\s+)?end\s+of\s+.+|[0-9].+|[A-Za-z]+\s*[0-9]?.*)$", re.IGNORECASE)


class CalendarError(ValueError):
    """A [calendar] section that cannot be used."""


@dataclass(frozen=True)
class Term:
    name: str
    start: date
    end: date
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Due:
    """What a text says about when work is due: ``kind`` is DATE (``on`` set), RECURRING, NONE or UNKNOWN."""

    kind: str
    on: date | None = None
    text: str = ""


def _key(name: str) -> str:
    text = re.sub(r"[\s\-_]+", "", name.strip().lower())
    for long, short in _SEASONS:
        if text.startswith(long):
            text = short + text[len(long):]
    return text


def parse_terms(items: Any, where: str) -> tuple[Term, ...]:
    """[calendar] terms = [{name, start, end, aliases?}, ...] with ISO dates, start <= end."""
    if not isinstance(items, list):
        raise CalendarError(f"{where}: terms must be a list of tables")
    out: list[Term] = []
    for i, t in enumerate(items):
        here = f"{where}: terms[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise CalendarError(f"{here}: needs name, start and end")
        try:
            start, end = (v if isinstance(v, date) else date.fromisoformat(str(v))
                          for v in (t.get("start"), t.get("end")))
        except ValueError:
            raise CalendarError(f"{here}: start and end must be dates (YYYY-MM-DD)") from None
        if end < start:
            raise CalendarError(f"{here}: end is before start")
        aliases = t.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise CalendarError(f"{here}: aliases must be a list of names")
        out.append(Term(t["name"], start, end, tuple(aliases)))
    return tuple(out)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def _in_session(month: int, months: Sequence[str]) -> int | None:
    """The year of the session's only month ``month``; None when the session has none or several."""
    years = [int(m[:4]) for m in months if int(m[5:7]) == month]
    return years[0] if len(years) == 1 else None


def _one(token: str, terms: Sequence[Term], months: Sequence[str]) -> Due:
    text = token.strip().strip(".").strip()
    low = re.sub(r"\s+", " ", text.lower())
    low = re.sub(r"^(?:by|before)\s+", "", low)
    low = re.sub(r"^(?:the\s+)?end\s+of\s+(?:the\s+)?", "", low)  # "end of Summer term": that term's end
    if not low:
        return Due(NONE, text=token)
    if low in RECURRING_WORDS:
        return Due(RECURRING, text=token)
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return Due(DATE, datetime.strptime(low, form).date(), token)
        except ValueError:
            pass
    by_name = {_key(n): t for t in terms for n in (t.name, *t.aliases)}
    term = by_name.get(_key(low))
    if term is not None:
        return Due(DATE, term.end, token)
    yearly = {t for k, t in by_name.items() if _YEAR_END.sub("", k) == _key(low) and _YEAR_END.search(k)}
    if len(yearly) == 1:
        return Due(DATE, yearly.pop().end, token)
    if yearly:  # the same half term or term in each year of a multi-year plan
        return Due(RECURRING, text=token)
    m = re.fullmatch(r"(?:the )?end of ([a-z]+)(?: ([0-9]{4}))?", low)
    if m and m.group(1) in MONTH_NAMES:
        low = m.group(1) + (f" {m.group(2)}" if m.group(2) else "")
    m = re.fullmatch(r"(?:([0-9]{1,2})(?:st|nd|rd|th)? )?([a-z]+)(?: ([0-9]{2}|[0-9]{4}))?", low)
    if m and m.group(2) in MONTH_NAMES:
        month = MONTH_NAMES[m.group(2)]
        year = int(m.group(3)) if m.group(3) else _in_session(month, months)
        if year is not None and year < 100:
            year += 2000
        if year is None:
            return Due(UNKNOWN, text=token)
        try:
            day = date(year, month, int(m.group(1))) if m.group(1) else _month_end(year, month)
            return Due(DATE, day, token)
        except ValueError:
            return Due(UNKNOWN, text=token)
    return Due(UNKNOWN, text=token)


def read_when(text: Any, terms: Sequence[Term], months: Sequence[str]) -> Due:
    """A When cell (or any timing text): one or several dates (due by the last), recurring, or unknown."""
    if isinstance(text, datetime):
        return Due(DATE, text.date(), text.isoformat())
    if isinstance(text, date):
        return Due(DATE, text, text.isoformat())
    raw = "" if text is None else str(text).strip()
    if not raw:
        return Due(NONE)
    parts = [p for p in _SPLIT.split(raw) if p.strip()]
    read = [_one(p, terms, months) for p in parts] or [Due(NONE)]
    if any(d.kind == UNKNOWN for d in read):
        return Due(UNKNOWN, text=raw)
    dates = [d.on for d in read if d.on is not None]
    if dates:
        return Due(DATE, max(dates), raw)
    return Due(RECURRING if any(d.kind == RECURRING for d in read) else NONE, text=raw)


def read_target(text: Any, terms: Sequence[Term], months: Sequence[str]) -> Due:
    """A Target's "by <date>", if it has one; a Target without one is a measure (NONE)."""
    raw = "" if text is None else str(text).strip()
    m = _BY.search(raw)
    if not m:
        return Due(NONE)
    phrase = m.group(1)
    words = re.findall(r"[a-z]+", phrase.lower())
    names = {_key(n) for t in terms for n in (t.name, *t.aliases)}
    dateish = phrase[0].isdigit() or bool(words) and (
        words[0] in ("end", "the") or words[0] in MONTH_NAMES
        or any(_key(phrase).startswith(n) for n in names))
    if not dateish:
        return Due(NONE)
    due = read_when(phrase, terms, months)
    return due if due.kind in (DATE, UNKNOWN) else Due(NONE)


def due_date(when: Any, target: Any, terms: Sequence[Term], months: Sequence[str], due: Any = None
             ) -> Due:
    """The row's due date: a Due column's date, else the Target's "by ..." date, else the When's.
    UNKNOWN when the text that would give the date cannot be read."""
    if isinstance(due, date):
        return Due(DATE, due if not isinstance(due, datetime) else due.date(), str(due))
    t = read_target(target, terms, months)
    if t.kind != NONE:
        return t
    return read_when(when, terms, months)
