"""What a school typed must stay harmless text: formula, formula-injection, personal-data.

- formula (warning): a text cell holds a formula; type the text itself.
- formula-injection (warning): text that Excel would run as a formula (starts with = + - @) when
  pasted elsewhere.
- personal-data (warning): an e-mail address or phone number in free text; the TOM holds no pupil data.
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
INJECTION_START = ("=", "+", "-", "@")
_FORMULA_LINE = re.compile(r"\n[ \t]*[=+\-@]")  # a text that starts like a formula
_DIGIT_RUN = re.compile(r"\d[\d \-()]{8,}\d")  # ten or more digits close together: maybe a phone


def suspect(texts: list[tuple[Column, str]]) -> bool:
    """Could any of these texts start a formula, or hold an e-mail address or a phone number? Three
    cheap tests over the whole row; the exact per-cell checks run only when one says maybe."""
    joined = "\n" + "\n".join(v for _, v in texts)
    return "@" in joined or bool(_FORMULA_LINE.search(joined)) or bool(_DIGIT_RUN.search(joined))


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
    if "@" in value and EMAIL.search(value):
        out.append(("personal-data", f"{col.header} holds an e-mail address: the TOM must hold no "
                                     "pupil or personal contact data"))
    elif PHONE.search(value):
        out.append(("personal-data", f"{col.header} holds a phone number: the TOM must hold no "
                                     "pupil or personal contact data"))
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
