"""One school tab as the rules see it: its column letters and what the spec says of each column.

Built once per tab (or once per `check_row`), so the per-row rules run over precomputed tuples: the
row loop is the hot path when 3,500 workbooks are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl.utils.cell import get_column_letter

from workbook_templates.layout import Layout
from workbook_templates.plan import term_of
from workbook_templates.spec import Column, Spec
from workbook_templates.validate.findings import Finding


@dataclass(frozen=True)
class ColumnCheck:
    """What the cell rules need of one column, worked out once per tab."""

    col: Column
    header: str
    is_text: bool  # text or url: the privacy and formula-injection rules apply
    choices: frozenset[str] | None  # choice and rag columns: the vocabulary
    needed: bool  # required (or the ID column)
    typed: bool  # date, int or url: the value must fit the kind


@dataclass
class Tab:
    """Cell addressing for one tab, from the headers actually in the file, and the findings so far."""

    spec: Spec
    name: str
    headers: Sequence[str]
    today: date | None = None
    formulas: set[str] = field(default_factory=set)
    out: list[Finding] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # address -> the Excel error it shows ("#N/A")
    explained: set[str] = field(default_factory=set)  # blank cells already reported (error, formula)
    history: Sequence[Any] = ()  # the Master history's versions (validate.master.Version), oldest first

    def __post_init__(self) -> None:
        spec = self.spec
        self.letters = {h: get_column_letter(i + 1) for i, h in enumerate(self.headers) if h}
        layout = Layout(spec).headers  # where a missing column should be: its findings point there
        self.expected = {h: get_column_letter(i + 1) for i, h in enumerate(layout)}
        self.checks = [ColumnCheck(c, c.header, c.kind in ("text", "url"),
                                   frozenset(c.choices) if c.kind in ("choice", "rag") else None,
                                   c.required or c.role == "id", c.kind in ("date", "int", "url"))
                       for c in spec.columns]
        self.status, self.notes = spec.column("status"), spec.column("notes")
        self.updated = spec.column("last_updated")
        self.rating_header = Layout(spec).rating_header

    def rating_at(self, values: dict[str, Any]) -> str:
        """The column a rating finding points at: the one a person can change. A termly plan's
        latest rated term (not its Current RAG formula, which is locked), else the term of today;
        otherwise the rating column."""
        rags = self.spec.rag_columns
        if len(rags) > 1:
            rated = [c.header for c in rags if values.get(c.header) not in (None, "") and self.has(c.header)]
            if rated:
                return rated[-1]
            now = term_of(self.spec, self.today) if self.today and self.spec.plan is not None else None
            here = [c.header for c in rags if now and (c.term or c.header) == now and self.has(c.header)]
            if here:
                return here[0]
        return self.rating_header if self.rating_header in self.letters else rags[-1].header

    def cell(self, header: str, row: int) -> str:
        return f"{self.letters.get(header) or self.expected.get(header, 'A')}{row}"

    def has(self, header: str) -> bool:
        """Whether the tab has this column (a renamed header is reported once, as column-missing)."""
        return header in self.letters

    def add(self, header: str, row: int, rid: str | None, rule: str, severity: str, message: str) -> None:
        self.out.append(Finding(self.name, self.cell(header, row), rid, rule, severity, message))

    def value(self, values: dict[str, Any], col: Column | None) -> Any:
        return values.get(col.header) if col is not None else None
