"""Build the TOM workbook from a spec with openpyxl, Excel-native throughout.

Everything a school needs works without the add-in: dropdowns (data validation that refuses other
values), RAG colours (conditional formatting), protection (only input cells unlocked), a Summary of
native COUNTIF formulas, frozen headers and print titles. The spec and a SHA-256 fingerprint of the
master rows go into a very hidden `_tom` sheet so validation needs nothing but the workbook.

The protection password is hashed by openpyxl (Excel's legacy sheet hash); it is never written in
clear. Workbook structure is left unlocked on purpose so the add-in can add its `Issues` tab.

The template knows nothing of the Excel add-in: a host that needs sheets of its own passes them as
``extras`` (`tomsync template build` passes `xl_addin.conf.ADDIN_SHEETS`, empty since the classic
xlwings route was removed). A hook keeps the dependency pointing from the add-in down to the core,
never the other way.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from workbook_templates.atomic import save_workbook_atomic
from workbook_templates.layout import (
    CURRENT_RAG,
    FIRST_ROW,
    GUIDE,
    HEADER_COLOUR,
    HEADER_FONT_COLOUR,
    LISTS,
    LOCKED_COLOUR,
    MASTER,
    META_FORMAT,
    META_SHEET,
    NOT_APPLICABLE,
    RAG_FILLS,
    SUMMARY,
    Layout,
)
from workbook_templates.spec import Column, Spec, spec_to_dict
from workbook_templates.winfiles import refuse_unsafe_path

PASSWORD_ENV = "TOMSYNC_SHEET_PASSWORD"
CHUNK = 30000  # Excel's cell limit is 32,767 characters

HEADER_FILL = PatternFill("solid", start_color=HEADER_COLOUR)
HEADER_FONT = Font(bold=True, color=HEADER_FONT_COLOUR)
LOCKED_FILL = PatternFill("solid", start_color=LOCKED_COLOUR)
UNLOCKED = Protection(locked=False)
TOP_WRAP = Alignment(wrap_text=True, vertical="top")
FREE_ROW_HEIGHT = 30


def resolve_password(password: str | None) -> str | None:
    return password if password else os.environ.get(PASSWORD_ENV) or None


def _protect(ws: Worksheet, password: str | None) -> None:
    ws.protection.sheet = True
    if password:
        ws.protection.password = password  # openpyxl stores only the hash
    ws.protection.autoFilter = False  # False = allowed: staff may filter and sort
    ws.protection.sort = False
    ws.protection.formatColumns = False


def _header(ws: Worksheet, headers: list[str], widths: list[float]) -> None:
    for i, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = ws.cell(row=1, column=i, value=h)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _fit_page(ws)


def _fit_page(ws: Worksheet) -> None:
    """Print landscape, one page wide, as many pages tall as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _fit_height(ws: Worksheet, row: int, texts: list[tuple[Any, float]]) -> None:
    """Set a row tall enough for its wrapped text: not every spreadsheet autofits on open."""
    lines = max((math.ceil(len(str(v)) / max(1.0, w * 1.1)) for v, w in texts if v), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _rag_formatting(ws: Worksheet, ref: str) -> None:
    for value, (fill, font) in RAG_FILLS.items():
        ws.conditional_formatting.add(
            ref,
            CellIsRule(operator="equal", formula=[f'"{value}"'],
                       fill=PatternFill("solid", start_color=fill, end_color=fill), font=Font(color=font)),
        )


def list_name(col: Column) -> str:
    """The defined name of a choice column's dropdown list on the hidden Lists sheet."""
    return "list_" + "".join(ch if ch.isalnum() else "_" for ch in col.header)


_list_name = list_name


RAG_PROMPT = ("R: not started when it should have, or off track (say why in the notes). A: under way, some "
              "risk. G: on track or achieved. Leave blank if not yet rated.")


def _prompt(col: Column, spec: Spec) -> str:
    """The input message a cell shows when selected: what to type there."""
    if col.kind == "rag":
        prompt = RAG_PROMPT.replace("on track or achieved", "the action is on track") if spec.plan \
            else RAG_PROMPT
        return prompt + (" B: complete." if "B" in spec.rag_values else "")
    if col.kind == "date":
        return "Type a date, for example 15/09/2026 (today: Ctrl+;)."
    if col.role == "status":
        return (f"Choose one of: {', '.join(col.choices)}. {NOT_APPLICABLE} on a master row needs the "
                "programme manager's agreement.")
    return ""


def own_id(school_id: str, n: int) -> str:
    """The ID of a school's n-th own row: its prefix and a two-digit number, e.g. "HAW-04"."""
    return f"{school_id}-{n:02d}"


def _id_prompt(ws: Worksheet, spec: Spec, layout: Layout, school_id: str) -> None:
    """The free rows' ID cells say what to type: the school's prefix and the next number."""
    letter = layout.letter(spec.id_header)
    dv = DataValidation(allow_blank=True)
    dv.showInputMessage = True
    dv.promptTitle = "ID of your own row"
    dv.prompt = (f"Your own rows come numbered {school_id}-01, {school_id}-02 and so on: fill in the row "
                 "and it counts. Keep each ID once on this tab.")
    dv.add(f"{letter}{layout.master_end + 1}:{letter}{layout.last_row}")
    ws.add_data_validation(dv)


def _validations(ws: Worksheet, spec: Spec, layout: Layout, first: int, last: int) -> None:
    for col in spec.columns:
        letter = layout.letter(col.header)
        ref = f"{letter}{first}:{letter}{last}"
        dv: DataValidation | None = None
        if col.kind == "choice":
            dv = DataValidation(type="list", formula1=_list_name(col), allow_blank=True)
            dv.error = f"Choose a value from the list for {col.header}."
        elif col.kind == "rag":
            dv = DataValidation(type="list", formula1='"' + ",".join(spec.rag_values) + '"', allow_blank=True)
            dv.error = f"RAG must be one of {', '.join(spec.rag_values)} (or blank: not yet rated)."
        elif col.kind == "date":
            dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                                formula2="DATE(2100,12,31)", allow_blank=True)
            dv.error = f"{col.header} must be a date (e.g. 15/09/2026)."
        elif col.kind == "int":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            dv.error = f"{col.header} must be a whole number."
        elif col.suggestions:  # a drop-down of suggestions that lets any other text in
            dv = DataValidation(type="list", formula1=_list_name(col), allow_blank=True)
            dv.showErrorMessage, dv.showInputMessage = False, True
            dv.errorStyle = "information"
            dv.promptTitle = col.header[:32]
            dv.prompt = f"Pick from the list or type your own (for example {col.suggestions[0]})."[:255]
            dv.add(ref)
            ws.add_data_validation(dv)
            continue
        elif col.role == "when" and spec.plan is not None:  # a plan's Timing: what the calendar reads
            dv = DataValidation(allow_blank=True)
            dv.showInputMessage, dv.promptTitle = True, col.header[:32]
            dv.prompt = ('When, as text: "Each term", "Ongoing" (recurring); "Aut1 & Sum2", "Spring term" '
                         '(those terms every year); "Summer 2 2027", "Sept 2026" (a due date: overdue once '
                         "passed and not Complete).")[:255]
            dv.add(ref)
            ws.add_data_validation(dv)
            continue
        if dv is None:
            continue
        dv.showErrorMessage = True  # openpyxl's default lets any value in
        dv.errorTitle = f"{col.header}: not allowed"
        prompt = _prompt(col, spec)
        if prompt:  # shown when the cell is selected: what to type, before anything is refused
            dv.showInputMessage = True
            dv.promptTitle, dv.prompt = col.header[:32], prompt[:255]
        dv.add(ref)
        ws.add_data_validation(dv)
        if col.kind == "rag":
            _rag_formatting(ws, ref)


def _date_format(ws: Worksheet, spec: Spec, layout: Layout, first: int, last: int) -> None:
    for col in spec.columns:
        if col.kind == "date":
            idx = layout.headers.index(col.header) + 1
            for r in range(first, last + 1):
                ws.cell(row=r, column=idx).number_format = "dd/mm/yyyy"


def _write_guide(wb: Workbook, spec: Spec) -> None:
    ws = wb.active
    ws.title = GUIDE
    lines: list[tuple[str, bool]] = [(f"{spec.title}: {spec.area}, {spec.session}", True), ("", False)]
    lines += [(line, False) for line in spec.guide.strip().splitlines()]
    lines += [("", False), ("RAG ratings", True),
              ("R  Red: not started when it should have, or off track; needs action.", False),
              ("A  Amber: under way, some risk.", False),
              ("G  Green: the action is on track (a benchmark is achieved only when Compass says so)."
               if spec.plan else "G  Green: on track or achieved.", False)]
    if "B" in spec.rag_values:
        lines.append(("B  Blue: complete (counts as Green in roll-ups).", False))
    lines += [("(blank)  not yet rated.", False), ("", False)] + _cadence(spec) + [
              (f"Roll-up rule: {spec.rollup.rule} (Green if score >= {spec.rollup.green}, "
               f"Red if score < {spec.rollup.red}; G=1, A=0.5, R=0).", False)]
    if len(spec.rag_columns) > 1 and spec.plan is None:
        lines.append(("Rate each action in the column of the current term; the latest rating counts.", False))
    for i, (text, bold) in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        cell.font = Font(bold=bold, size=14 if i == 1 else 11)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(ws, i, [(text, 100)])
    ws.column_dimensions["A"].width = 100
    _fit_page(ws)
    _protect(ws, None)


def _cadence(spec: Spec) -> list[tuple[str, bool]]:
    """The Guide's cycle lines: monthly (a TOM), or termly with its formal snapshots (a [plan])."""
    if spec.plan is None:
        return [("The monthly cycle", True), (f"Update your tab by day {spec.deadline_day} of each month: "
                                              + ", ".join(spec.months) + ".", False)]
    days = {datetime(2000, int(s[:2]), int(s[3:])) for s in spec.plan.snapshots}
    names = ", ".join(f"{d.day} {d:%B}" for d in sorted(days, key=lambda d: (d.month < 9, d)))
    return [("The termly cycle", True),
            (f"Rate each action once a term, in that term's column, and update the Compass sheet after each "
             f"Compass evaluation. The formal snapshots are taken on {names} each year; the hub reports "
             "then. Updating in other months is optional: the hub's monthly run only reads what is there.",
             False),
            ("Fill in your school's row of the Plan sheet (Careers Leader, dates approved, review date and "
             "current state) when the plan is written and each time it is reviewed.", False)]


def _write_lists(wb: Workbook, spec: Spec) -> None:
    ws = wb.create_sheet(LISTS)
    col_idx = 1
    lists: list[tuple[str, list[str]]] = [(_list_name(c), list(c.choices or c.suggestions))
                                          for c in spec.columns if c.kind == "choice" or c.suggestions]
    lists.append(("list_schools", [s.sheet for s in spec.schools]))
    for name, values in lists:
        letter = get_column_letter(col_idx)
        ws.cell(row=1, column=col_idx, value=name)
        for r, v in enumerate(values, start=2):
            ws.cell(row=r, column=col_idx, value=v)
        ref = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${len(values) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
        col_idx += 1
    ws.sheet_state = "hidden"


def _write_master(wb: Workbook, spec: Spec, password: str | None) -> None:
    ws = wb.create_sheet(MASTER)
    cols = spec.master_columns
    _header(ws, [c.header for c in cols], [c.width for c in cols])
    for r, row in enumerate(spec.master, start=FIRST_ROW):
        for i, col in enumerate(cols, start=1):
            cell = ws.cell(row=r, column=i, value=row.get(col.header))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_height(ws, r, [(row.get(c.header), c.width) for c in cols])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(2, len(spec.master) + 1)}"
    _protect(ws, password)


def _write_school(wb: Workbook, spec: Spec, layout: Layout, sheet: str, password: str | None) -> None:
    ws = wb.create_sheet(sheet)
    headers = layout.headers
    widths = [c.width for c in spec.columns] + ([9.0] if CURRENT_RAG in headers else [])
    _header(ws, headers, widths)
    status = spec.column("status")
    first_free = layout.master_end + 1
    for r, row in enumerate(spec.master, start=FIRST_ROW):
        for i, col in enumerate(spec.columns, start=1):
            value: Any = row.get(col.header)
            if value is None and status is not None and col is status:
                value = "Not started"
            cell = ws.cell(row=r, column=i, value=value)
            if col.locked:
                cell.fill = LOCKED_FILL
            else:
                cell.protection = UNLOCKED
            cell.alignment = TOP_WRAP
        _fit_height(ws, r, [(row.get(c.header), c.width) for c in spec.columns if c.locked])
    school = next((sc for sc in spec.schools if sc.sheet == sheet), None)
    id_index = spec.headers.index(spec.id_header) + 1
    for r in range(first_free, layout.last_row + 1):
        for i, _col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=r, column=i)
            cell.protection = UNLOCKED
            cell.alignment = TOP_WRAP
        if school is not None:  # pre-filled; a row holding only its ID is not used yet (reader)
            ws.cell(row=r, column=id_index, value=own_id(school.id, r - first_free + 1))
        ws.row_dimensions[r].height = FREE_ROW_HEIGHT  # two lines: a note or a link stays readable
    if CURRENT_RAG in headers:
        rags = spec.rag_columns
        a, b = layout.letter(rags[0].header), layout.letter(rags[-1].header)
        idx = headers.index(CURRENT_RAG) + 1
        for r in range(FIRST_ROW, layout.last_row + 1):
            ws.cell(row=r, column=idx, value=f'=IFERROR(LOOKUP(2,1/({a}{r}:{b}{r}<>""),{a}{r}:{b}{r}),"")')
        _rag_formatting(ws, f"{get_column_letter(idx)}2:{get_column_letter(idx)}{layout.last_row}")
    _validations(ws, spec, layout, FIRST_ROW, layout.last_row)
    if school is not None and spec.free_rows:
        _id_prompt(ws, spec, layout, school.id)
    _date_format(ws, spec, layout, FIRST_ROW, layout.last_row)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{layout.last_row}"
    _protect(ws, password)


def summary_cells(spec: Spec) -> list[tuple[int, int, Any, bool]]:
    """The Summary's native formula block from row 4: (row, column, value, is_header). Shared with
    `workbook_templates.upgrade`, which rewrites it when schools are added, renamed or closed."""
    layout = Layout(spec)
    rating = layout.letter(layout.rating_header)
    id_col = layout.letter(spec.id_header)
    last = layout.last_row
    status = spec.column("status")
    st = layout.letter(status.header) if status else None
    out: list[tuple[int, int, Any, bool]] = []
    row = 4
    for i, h in enumerate(["School", "R", "A", "G", "Unrated", "Rows"], start=1):
        out.append((row, i, h, True))
    # Not applicable rows are left out, as in the roll-ups (rollup.rated_rows)
    for school in spec.schools:
        row += 1
        q = quote_sheetname(school.sheet)

        def col(letter: str, _q: str = q) -> str:
            return f"{_q}!${letter}${FIRST_ROW}:${letter}${last}"

        applicable = f',{col(st)},"<>{NOT_APPLICABLE}"' if st else ""
        out.append((row, 1, school.sheet, False))
        for i, v in ((2, "R"), (3, "A")):
            out.append((row, i, f'=COUNTIFS({col(rating)},"{v}"{applicable})', False))
        out.append((row, 4, f'=COUNTIFS({col(rating)},"G"{applicable})'
                            f'+COUNTIFS({col(rating)},"B"{applicable})', False))
        only_id = ",".join(f'{col(layout.letter(c.header))},""' for c in spec.columns if c.role != "id")
        out.append((row, 6, f'=COUNTIFS({col(id_col)},"<>"{applicable})'  # less own rows
                            f'-COUNTIFS({col(id_col)},"<>",{only_id})', False))  # with only an ID
        out.append((row, 5, f"=F{row}-B{row}-C{row}-D{row}", False))
    theme = spec.column("theme")
    if theme is not None and theme.kind == "choice":
        row += 2
        for i, h in enumerate([theme.header, "R", "A", "G", "Unrated", "Rows"], start=1):
            out.append((row, i, h, True))
        t = layout.letter(theme.header)

        def tabs(letter: str) -> str:
            """Every school tab's range at once; apostrophes in tab names doubled, as Excel needs."""
            cells = f"${letter}${FIRST_ROW}:${letter}${last}"
            return f'INDIRECT("\'"&SUBSTITUTE(list_schools,"\'","\'\'")&"\'!{cells}")'

        for value in theme.choices:
            row += 1
            out.append((row, 1, value, False))
            applicable = f',{tabs(st)},"<>{NOT_APPLICABLE}"' if st else ""

            def cnt(v: str | None, _r: int = row, _na: str = applicable) -> str:
                rated = f',{tabs(rating)},"{v}"' if v else ""
                return f"SUMPRODUCT(COUNTIFS({tabs(t)},$A{_r}{rated}{_na}))"

            out.append((row, 2, "=" + cnt("R"), False))
            out.append((row, 3, "=" + cnt("A"), False))
            out.append((row, 4, "=" + cnt("G") + "+" + cnt("B"), False))
            out.append((row, 6, "=" + cnt(None), False))
            out.append((row, 5, f"=F{row}-B{row}-C{row}-D{row}", False))
    return out


def _write_summary(wb: Workbook, spec: Spec, layout: Layout, password: str | None) -> None:
    """Native formulas only, so the Summary is right in any Excel, with or without the add-in."""
    ws = wb.create_sheet(SUMMARY, 1)
    ws["A1"] = f"{spec.title}: {spec.area}, {spec.session}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "Counts update live from the school tabs (native formulas). B counts as G."
    for r, c, value, header in summary_cells(spec):
        cell = ws.cell(row=r, column=c, value=value)
        if header:
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    ws.column_dimensions["A"].width = 40
    _fit_page(ws)
    _protect(ws, password)


def _write_meta(wb: Workbook, spec: Spec) -> None:
    ws = wb.create_sheet(META_SHEET)
    text = json.dumps(spec_to_dict(spec), ensure_ascii=False, separators=(",", ":"))  # JSON: fast to read
    rows: list[list[Any]] = [
        ["format", META_FORMAT],
        ["spec_name", spec.name],
        ["built_at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        ["master_sha256", spec.master_fingerprint()],
        ["cycle", ""],
        ["spec", *[text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]],
    ]
    for row in rows:
        ws.append(row)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


SheetHook = Callable[[Workbook], object]


def build_workbook(spec: Spec, password: str | None = None, extras: Sequence[SheetHook] = ()) -> Workbook:
    """The whole workbook in memory; `password` falls back to $TOMSYNC_SHEET_PASSWORD. Each of
    ``extras`` is called last with the workbook, to add a host's own sheets (see the module note)."""
    password = resolve_password(password)
    layout = Layout(spec)
    wb = Workbook()
    _write_guide(wb, spec)
    _write_lists(wb, spec)
    _write_master(wb, spec, password)
    for school in spec.schools:
        _write_school(wb, spec, layout, school.sheet, password)
    _write_summary(wb, spec, layout, password)
    if spec.plan is not None:
        from workbook_templates.plan_sheets import write_plan_sheets  # it uses this module's helpers

        write_plan_sheets(wb, spec, password)
    _write_meta(wb, spec)
    wb.move_sheet(wb[LISTS], offset=len(wb.sheetnames) - wb.sheetnames.index(LISTS) - 2)
    for extra in extras:
        extra(wb)
    return wb


def write_template(spec: Spec, path: str | os.PathLike[str], password: str | None = None,
                   extras: Sequence[SheetHook] = ()) -> Path:
    """Build the workbook and save it atomically at ``path``."""
    out = Path(path)
    refuse_unsafe_path(out)  # a name Windows refuses fails here, on every OS (issue 8)
    save_workbook_atomic(build_workbook(spec, password, extras), out)
    return out
