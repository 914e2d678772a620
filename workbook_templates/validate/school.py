"""A school tab, row by row: each rule family in turn, then the rules that need the whole tab.

`check_one_row` is the row's share (cells, privacy, status, dates): what `check_row` and so the
TOM_CHECK worksheet function run on a single row, and what `check_school` runs on every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from workbook_templates.layout import CURRENT_RAG, FIRST_ROW, Layout
from workbook_templates.reader import SheetRows, WorkbookData, normalise
from workbook_templates.rollup import current_rating
from workbook_templates.spec import Spec, canonical
from workbook_templates.validate.cells import check_cells
from workbook_templates.validate.contradictions import check_contradiction
from workbook_templates.validate.dates import Newest, check_stale, check_updated
from workbook_templates.validate.findings import ERROR, WARNING, Finding
from workbook_templates.validate.master import missing_rows, versions
from workbook_templates.validate.optout import check_opt_out
from workbook_templates.validate.overdue import check_overdue
from workbook_templates.validate.privacy import check_formulas, check_texts, shown
from workbook_templates.validate.status import check_status
from workbook_templates.validate.tab import Tab


def check_one_row(tab: Tab, row: int, values: dict[str, Any], rid: str | None,
                  want: dict[str, Any] | None, newest: Newest = None) -> Newest:
    """Every rule that looks at this row alone; returns the tab's newest Last updated so far."""
    texts = check_cells(tab, row, values, rid, want)
    check_texts(tab, row, rid, texts)
    rating = current_rating(values, tab.spec)
    check_status(tab, row, values, rid, rating)
    check_contradiction(tab, row, values, rid, rating)
    check_opt_out(tab, row, values, rid, want)
    return check_updated(tab, row, values, rid, newest)


def _columns_missing(tab: Tab) -> None:
    """One finding per missing column, at the header cell where the column belongs; its cells are
    then not checked row by row (one finding for one mistake)."""
    for col in tab.spec.columns:
        if col.header not in tab.letters:
            where = tab.cell(col.header, 1)
            index = column_index_from_string(where[:-1]) - 1
            found = tab.headers[index] if index < len(tab.headers) else ""
            instead = f" (the header there reads '{shown(found)}')" \
                if found and found not in tab.expected else ""
            tab.out.append(Finding(tab.name, where, None, "column-missing", ERROR,
                                   f"column '{col.header}' is missing from the header row{instead}: "
                                   "restore the header as the template has it"))


MAX_FINDINGS_PER_TAB = 500  # a tab pasted full of junk gives a readable list, not millions of lines


def check_school(data: WorkbookData, sheet: SheetRows, month: date | None, today: date,
                 out: list[Finding], max_findings: int = MAX_FINDINGS_PER_TAB) -> None:
    """All findings of one school tab, appended to ``out`` in row order: the first ``max_findings``,
    then one "too-many-findings" finding counting the rest."""
    start = len(out)
    _check_school(data, sheet, month, today, out)
    extra = len(out) - start - max_findings
    if extra > 0:
        errors = sum(1 for f in out[start + max_findings:] if f.severity == ERROR)
        del out[start + max_findings:]
        out.append(Finding(sheet.name, "", None, "too-many-findings", ERROR if errors else WARNING,
                           f"{extra:,} more finding(s) on this tab ({errors:,} error(s)) not listed: "
                           f"fix the first {max_findings} and check again"))


def _check_school(data: WorkbookData, sheet: SheetRows, month: date | None, today: date,
                  out: list[Finding]) -> None:
    spec = data.spec
    tab = Tab(spec, sheet.name, sheet.headers, today, data.formula_cells.get(sheet.name, set()), out,
              data.error_cells.get(sheet.name, {}), history=versions(data.master_history))
    _columns_missing(tab)
    expected = spec.master_by_id
    id_h = spec.id_header
    seen_ids: dict[str, int] = {}
    master_seen: set[str] = set()
    newest: Newest = None
    for row in sheet.rows:
        rid = canonical(row.get(id_h)) or None
        if rid is not None:
            if rid in seen_ids:
                tab.add(id_h, row.row, rid, "duplicate-id", ERROR,
                        f"ID {rid} is used twice on this tab (also row {seen_ids[rid]})")
            else:
                seen_ids[rid] = row.row
        want = expected.get(rid or "")
        if want is not None:
            master_seen.add(rid or "")
        newest = check_one_row(tab, row.row, row.values, rid, want, newest)
    if newest is not None:  # a tab staff keep: its work is checked against its due dates
        for row in sheet.rows:
            rid = canonical(row.get(id_h)) or None
            check_overdue(tab, row.row, row.values, rid, rid in expected)
        tab.out.sort(key=_row_order(tab.name))
    check_formulas(tab, {r.row: canonical(r.get(id_h)) or None for r in sheet.rows})
    missing_rows(tab, master_seen)
    check_stale(tab, month, newest)


def _row_order(sheet: str) -> Any:
    """Sort key keeping this tab's findings in row order (others where they were)."""
    def key(f: Finding) -> tuple[int, int]:
        return (0, 0) if f.sheet != sheet else (0, coordinate_from_string(f.cell)[1])
    return key


def check_row(spec: Spec, headers: Sequence[str], values: Sequence[Any], today: date | None = None,
              sheet: str | None = None) -> list[Finding]:
    """Findings for one row of a school tab, given its headers (any case, any subset, any order) and
    its values: the row rules of `validate`, reported only for the columns given. The row is checked
    as row 2 of ``sheet`` (default: the spec's first school tab), as if it were a master row when its
    ID is one."""
    layout = Layout(spec)
    kinds: Mapping[str, str] = {c.header: c.kind for c in spec.columns}
    by_lower = {h.lower(): h for h in layout.headers}
    typed: dict[str, Any] = {h: None for h in layout.headers}
    given: set[str] = set()
    for h, v in zip(headers, values, strict=False):
        match = by_lower.get(str(h or "").strip().lower())
        if match is None:
            continue
        given.add(match)
        typed[match] = normalise(v, kinds.get(match, "rag" if match == CURRENT_RAG else "text"))
    if any(c.header in given for c in spec.rag_columns):
        given.add(CURRENT_RAG)
    tab = Tab(spec, sheet or spec.schools[0].sheet, layout.headers, today or date.today())
    rid = canonical(typed.get(spec.id_header)) or None
    check_one_row(tab, FIRST_ROW, typed, rid, spec.master_by_id.get(rid or ""))
    return [f for f in tab.out if _column_of(tab, f.cell) in given]


def _column_of(tab: Tab, cell: str) -> str | None:
    letters = coordinate_from_string(cell)[0]
    return next((h for h, letter in tab.letters.items() if letter == letters), None)

