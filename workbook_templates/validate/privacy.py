"""What a school typed must stay harmless text: formula, formula-injection, personal-data.

- formula (warning): a text cell holds a formula; type the text itself.
- formula-injection (warning): text that Excel would run as a formula (starts with = + - @) when
  pasted elsewhere.
- personal-data (warning): an e-mail address, a phone number, a 9-digit Scottish Candidate Number, a
  UK postcode, or a date of birth next to a name, in free text; the TOM holds no pupil data.

`shown` is how any finding quotes what was typed: personal-looking parts masked (``07700 9•••••``),
long text cut, so no message, log or report repeats personal data or a pasted essay.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.utils.cell import coordinate_from_string

from workbook_templates.layout import FIRST_ROW
from workbook_templates.spec import Column
from workbook_templates.validate.findings import WARNING
from workbook_templates.validate.tab import Tab

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+44\s?\(?0?\)?\s?|\b0)(?:\d[\s-]?){9,10}\b")
SCN = re.compile(r"(?<![\d.,])\b\d{9}\b(?![.,]\d)")  # Scottish Candidate Number: nine digits
POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b"
DOB = re.compile(r"(?:(?i:\b(?:dob|d\.o\.b\.?|born|date of birth)\b)\W{0,4}"  # "DOB 12/03/2010"
                 r"|\b[A-Z][a-z]+ [A-Z][a-z'-]+\W{1,4})"  # or after a name: "Amy Brown (12/03/2010)"
                 rf"({_DATE})")
# One pass over a row's joined texts: could an SCN, a postcode or a date of birth be here?
# (what each needs: nine digits close together; a postcode's "7AB"; a date's "12/03/2")
# or a phone's ten or more digits: one search for all
_MAYBE = re.compile(r"\d(?:[\d \-()]{7,}\d|[A-Za-z]{2}\b|[/.-]\d{1,2}[/.-]\d)")
_DIGIT = re.compile(r"\d")
MASK = "•"
SHOWN_LIMIT = 40
INJECTION_START = ("=", "+", "-", "@")
_FORMULA_LINE = re.compile(r"\n[ \t]*[=+\-@]")  # a text that starts like a formula


def suspect(texts: list[tuple[Column, str]]) -> bool:
    """Could any of these texts start a formula, or hold personal data? Three cheap tests over the
    whole row; the exact per-cell checks run only when one says maybe."""
    joined = "\n" + "\n".join(v for _, v in texts)
    return "@" in joined or bool(_FORMULA_LINE.search(joined)) or bool(_MAYBE.search(joined))


def personal_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, what) of every part of ``text`` that looks like personal data."""
    spans = [(m.start(), m.end(), "an e-mail address") for m in EMAIL.finditer(text)] if "@" in text else []
    if not _DIGIT.search(text):
        return spans
    spans += [(m.start(), m.end(), "a phone number") for m in PHONE.finditer(text)]
    spans += [(m.start(), m.end(), "a Scottish Candidate Number") for m in SCN.finditer(text)]
    spans += [(m.start(), m.end(), "a postcode") for m in POSTCODE.finditer(text)]
    spans += [(m.start(1), m.end(1), "a date of birth next to a name") for m in DOB.finditer(text)]
    return sorted(spans)


def _mask_span(part: str) -> str:
    if "@" in part:  # j••••••@school.org: the domain says where, not who
        local, _, domain = part.partition("@")
        return local[:1] + MASK * (len(local) - 1) + "@" + domain
    keep = (sum(c.isalnum() for c in part) + 1) // 2  # 07700 900123 -> 07700 9•••••
    out = []
    for c in part:
        if c.isalnum():
            out.append(c if keep > 0 else MASK)
            keep -= 1
        else:
            out.append(c)
    return "".join(out)


def mask_personal(text: str) -> str:
    """``text`` with every personal-looking part half masked."""
    spans = personal_spans(text)
    if not spans:
        return text
    out, at = [], 0
    for start, end, _ in spans:
        if start < at:
            continue  # overlapping matches: the first one masked it
        out += [text[at:start], _mask_span(text[start:end])]
        at = end
    return "".join([*out, text[at:]])


def shown(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """How a finding quotes a typed value: on one line, personal-looking parts masked, cut at
    ``limit`` characters (saying how long it was)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = mask_personal(text[:limit * 2])[:limit].rstrip() + f"… ({len(str(value)):,} characters)"
        return text
    return mask_personal(text)


def text_warnings(col: Column, value: Any) -> list[tuple[str, str]]:
    """(rule, message) for one typed text."""
    out: list[tuple[str, str]] = []
    if not isinstance(value, str) or col.kind not in ("text", "url"):
        return out
    if value.lstrip()[:1] in INJECTION_START:
        out.append(("formula-injection",
                    f"{col.header} starts with '{value.lstrip()[0]}': Excel may run it as a formula "
                    "when copied; start the text with a letter"))
    if col.kind != "text":
        return out
    spans = personal_spans(value)
    if spans:
        start, end, what = spans[0]
        out.append(("personal-data", f"{col.header} holds {what} ('{_mask_span(value[start:end])}'): the TOM "
                                     "must hold no pupil or personal contact data"))
    return out


def check_texts(tab: Tab, row: int, rid: str | None, texts: list[tuple[Column, str]]) -> None:
    """The text rules over one row's typed texts (cheap row-level test first)."""
    if texts and suspect(texts):
        for col, value in texts:
            for rule, msg in text_warnings(col, value):
                tab.add(col.header, row, rid, rule, WARNING, msg)


def check_formulas(tab: Tab, ids: dict[int, str | None]) -> None:
    """Text cells holding a formula, also those whose result is empty (they read as blank cells)."""
    if not tab.formulas:
        return
    text_letters = {tab.letters[c.header]: c.header for c in tab.spec.columns
                    if c.kind in ("text", "url") and c.header in tab.letters}
    for address in sorted(tab.formulas, key=lambda a: (coordinate_from_string(a)[1], a)):
        letters, number = coordinate_from_string(address)
        if letters in text_letters and number >= FIRST_ROW:
            header = text_letters[letters]
            tab.add(header, number, ids.get(number), "formula", WARNING,
                    f"{header} holds a formula; type the text itself")
