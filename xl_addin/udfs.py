"""Worksheet functions over the core: each one a line or two of glue around workbook_templates.

Excel hands a function its arguments in several shapes, whatever the host: a single value, a 1-D list
(one row or column) or a 2-D list; blanks as None or ""; dates as `datetime` (desktop xlwings) or as
Excel serial numbers (Office.js custom functions); error cells as None, as "#N/A"-style text, as
Office.js error objects (``{"type": "Error", ...}``) or as COM error codes. `cells` and `cell` turn
all of that into plain values, with an error counted like a blank (as COUNTIF does), so the
roll-up rules see only ratings. With no rule given, the `score` rule applies (G=1, A=0.5, R=0;
G from 0.75, R below 0.4). What each function computes lives in the core (`rollup.roll`,
`rollup.rollup_table`, `validate.check_row`); this module only turns Excel's arguments into values.

Names: the Office.js add-in registers them in its TOM namespace as TOM.RAG, TOM.SCORE, TOM.ROLLUP,
TOM.CHECK and TOM.STALE (xl_addin/officejs). The Python names (TOM_RAG...) are what a desktop xlwings
script sees; the classic "Import Functions" route that exposed them as worksheet functions is removed
(see `xl_addin.conf`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

import xlwings as xw

from workbook_templates.reader import excel_serial_to_date, to_date
from workbook_templates.rollup import RULES, roll, rollup_table, score
from workbook_templates.spec import SHIPPED, Spec, load_spec
from workbook_templates.validate import check_row, parse_month

EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#DATA!",
})
# What Excel's COM interface passes for error cells (CVErr values as 32-bit HRESULTs).
COM_ERRORS = frozenset({-2146826288, -2146826281, -2146826273, -2146826265, -2146826259, -2146826252,
                        -2146826246})
MAX_SERIAL = 2958465  # 31/12/9999
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")

# -- argument shapes ------------------------------------------------------------------------------

def is_error(value: Any) -> bool:
    """An Excel error value in any of the forms a host may pass it."""
    if isinstance(value, BaseException):
        return True
    if isinstance(value, dict):
        return value.get("type") == "Error"
    if isinstance(value, str):
        return value.strip().upper() in EXCEL_ERRORS
    return type(value) is int and value in COM_ERRORS


def cell(value: Any) -> Any:
    """One argument value as Excel means it: errors and blank text become None, text is trimmed."""
    if value is None or is_error(value):
        return None
    if isinstance(value, dict):  # an Office.js data type (e.g. a formatted number): its plain value
        return cell(value.get("basicValue"))
    if isinstance(value, str):
        return value.strip() or None
    return value


def cells(values: Any) -> list[Any]:
    """A single value, a 1-D or a 2-D list as one flat list, row by row, errors and blanks as None."""
    if isinstance(values, list | tuple):
        out: list[Any] = []
        for v in values:
            out.extend(cells(v) if isinstance(v, list | tuple) else [cell(v)])
        return out
    return [cell(values)]


def grid(values: Any) -> list[list[Any]]:
    """A range argument as a 2-D list (a single value is 1x1, a 1-D list one row)."""
    if not isinstance(values, list | tuple):
        return [[cell(values)]]
    if not values or not isinstance(values[0], list | tuple):
        return [[cell(v) for v in values]]
    return [[cell(v) for v in row] for row in values]


def rule_of(rule: Any) -> str:
    """The roll-up rule named by ``rule``; blank means the default `score`."""
    text = str(cell(rule) or "score").lower()
    if text not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    return text


def as_date(value: Any) -> date | None:
    """A date from a date, a datetime, an Excel serial number (also as text) or date text; else None."""
    value = cell(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and _NUMBER.match(value):
        value = float(value)
    if isinstance(value, int | float):
        return excel_serial_to_date(value) if 1 <= value <= MAX_SERIAL else None
    found = to_date(value)
    return found if isinstance(found, date) else None


def month_start(month: Any, today: date | None = None) -> date:
    """The first day of ``month``: "YYYY-MM" text, a date or a serial; blank means this month."""
    value = cell(month)
    if value is None:
        today = today or date.today()
        return today.replace(day=1)
    if isinstance(value, str) and _MONTH.match(value):
        return parse_month(value.strip())
    when = as_date(value)
    if when is None:
        raise ValueError(f"month must be YYYY-MM or a date, not {month!r}")
    return when.replace(day=1)


@lru_cache(maxsize=16)
def _spec(name: str) -> Spec:
    return load_spec(name)


def spec_for(headers: Iterable[str], name: Any = None) -> Spec:
    """The spec named, or the shipped spec whose headers best match the given ones."""
    if cell(name) is not None:
        return _spec(str(cell(name)))
    given = {h.lower() for h in headers if h}
    best = max(SHIPPED, key=lambda n: len(given & {h.lower() for h in _spec(n).headers}))
    spec = _spec(best)
    if spec.id_header.lower() not in given or len(given & {h.lower() for h in spec.headers}) < 2:
        raise ValueError("the headers do not match a TOM spec: include the ID column, or name the spec "
                         f"({', '.join(SHIPPED)}) as the third argument")
    return spec


# -- the functions --------------------------------------------------------------------------------

# What Excel's function wizard (Insert Function) shows for each argument, by argument name: one text
# per name, shared by the desktop UDFs here and the Office.js functions (xl_addin/officejs), so the
# two cannot drift apart. Every argument of every function must have one (`udf` checks).
ARG_DOCS = {
    "ratings": "Ratings (R, A, G, B or blank): a cell, row, column or block.",
    "rule": "How to roll up: score (the default), worst or majority.",
    "table": "A table with its header row, e.g. a school tab's A1:M50.",
    "by": "The header of the column to group by, e.g. Theme or Lead.",
    "row": "One row of a school tab.",
    "headers": "The header row of that tab.",
    "spec": "Optional: scottish-tom or gatsby-plan (found from the headers when left out).",
    "last_updated": "The Last updated cells of a tab (or one cell).",
    "month": "The cycle month YYYY-MM or a date; this month when left out.",
}


def udf(f: Any) -> Any:
    """`xw.func` with `xw.arg(doc=...)` for every argument (from ARG_DOCS), minus the annotations:
    xlwings would take `Any` or `str` hints for converters and fail; they are here for readers and
    type checkers, the values come in as Excel sends them."""
    f.__annotations__ = {}
    for name in inspect.signature(f).parameters:  # a KeyError here: a new argument needs its text
        f = xw.arg(name, doc=ARG_DOCS[name])(f)
    return xw.func(f)


@udf
def TOM_RAG(ratings: Any, rule: Any = None) -> str:
    """Rolled-up RAG (R, A, G, or blank when nothing is rated) of a range of ratings."""
    return roll(cells(ratings), rule_of(rule))


@udf
def TOM_SCORE(ratings: Any) -> float | None:
    """Mean score of a range of ratings (G=1, A=0.5, R=0, B counts as G); blank when nothing is rated."""
    return score(cells(ratings))


@udf
def TOM_ROLLUP(table: Any, by: Any, rule: Any = None) -> list[list[Any]]:
    """Spilled table: one row per value of column ``by``: group, R, A, G, Unrated, RAG; then All."""
    result = rollup_table(grid(table), str(cell(by) or ""), rule_of(rule), [_spec(n) for n in SHIPPED])
    out: list[list[Any]] = [[result.by[0], "R", "A", "G", "Unrated", "RAG"]]
    for g in [*result.groups, result.overall]:
        out.append([*(g.key.values() or ["All"]), g.R, g.A, g.G, g.unrated, g.rag])
    return out


@udf
def TOM_CHECK(row: Any, headers: Any, spec: Any = None) -> str:
    """"" when the row passes the spec's row checks, else the first finding's message."""
    names = [str(h) if h is not None else "" for h in cells(headers)]
    s = spec_for(names, spec)
    dates = {c.header.lower() for c in s.columns if c.kind == "date"}
    serial = (int, float)  # Office.js passes dates as serial numbers
    values = [as_date(v) if h.strip().lower() in dates and type(v) in serial else v
              for h, v in zip(names, cells(row), strict=False)]
    found = check_row(s, names, values)
    return found[0].message if found else ""


@udf
def TOM_STALE(last_updated: Any, month: Any = None) -> bool:
    """TRUE when the newest date in ``last_updated`` is before ``month`` (default: this month) or none."""
    dates = [d for d in (as_date(v) for v in cells(last_updated)) if d is not None]
    return not dates or max(dates) < month_start(month)


__all__ = ["TOM_RAG", "TOM_SCORE", "TOM_ROLLUP", "TOM_CHECK", "TOM_STALE"]
