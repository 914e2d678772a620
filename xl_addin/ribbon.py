"""The TOM ribbon's macros: Validate, Roll up, New month, Pull and Push, over any `WorkbookSurface`.

Each macro reads the workbook through the surface, asks the core (validate, rollup_workbook, the sync
layer) and writes the outcome back through the surface, returning one line for the user. The same
functions serve the Excel add-ins (an `XlwingsSurface`) and the command line (`annotate_file`,
`roll_up_file` over an `OpenpyxlSurface`), so what the ribbon and `tomsync` do cannot drift apart.

Validate owns the `Issues` tab and the marks it leaves: each finding is a row (Sheet, Cell as a link,
ID, Rule, Severity, Message) and its cell gets a fill (red for errors, amber for warnings) and a note.
The Issues tab is also the memory of what was marked: a re-run first restores the fill the template
gives those cells (header blue, locked grey, else none) and removes the notes, so marks never pile up.
Fills are cell formats: the RAG conditional formatting is never touched.
"""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workbook_templates.rollup import RollupResult, rollups
from workbook_templates.spec import Spec
from workbook_templates.summary import FIRST_COL, HEADER_COLOUR, WIDTH, summary_block
from workbook_templates.template import META_SHEET, Layout
from workbook_templates.validate import ERROR, Finding, cycle_of, parse_month, summary_counts, validate
from workbook_templates.winfiles import refuse_if_open
from xl_addin.grids import workbook_data
from xl_addin.surface import OpenpyxlSurface, WorkbookSurface, cell_name, quote_sheet, split_cell

ISSUES = "Issues"
ISSUE_HEADERS = ["Sheet", "Cell", "ID", "Rule", "Severity", "Message"]
ERROR_FILL = "FF7C80"  # red: stronger than the RAG "R" fill, so a mark is not read as a rating
WARNING_FILL = "FFC000"  # amber
LOCKED_COLOUR = "F2F2F2"
ISSUES_HEADER_COLOUR = "DDEBF7"
SUMMARY = "Summary"
NOTE_PREFIX = "tomsync: "
SYNC_NOT_CONFIGURED = "sync is not configured: put a tomsync.toml beside the workbook (see README)"
_A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")


# -- Validate -------------------------------------------------------------------------------------

def base_colour(spec: Spec, sheet: str, cell: str) -> str | None:
    """The fill the template gives a cell: blue header, grey locked master wording, else none."""
    row, col = split_cell(cell)
    layout = Layout(spec)
    if sheet == "Master":
        return HEADER_COLOUR if row == 1 and col <= len(spec.master_columns) else None
    if sheet not in spec.school_by_sheet():
        return None
    if row == 1:
        return HEADER_COLOUR if col <= len(layout.headers) else None
    if layout.first_row <= row <= layout.master_end and col <= len(spec.columns):
        return LOCKED_COLOUR if spec.columns[col - 1].locked else None
    return None


def previous_marks(surface: WorkbookSurface) -> list[tuple[str, str]]:
    """(sheet, cell) of every mark the last Validate left, read back from its Issues tab."""
    if ISSUES not in surface.sheet_names():
        return []
    out = []
    for row in surface.read(ISSUES)[1:]:
        if len(row) < 2 or not row[0] or not row[1]:
            continue
        sheet, cell = str(row[0]), str(row[1]).strip().upper()
        if _A1.match(cell):
            out.append((sheet, cell))
    return out


def clear_marks(surface: WorkbookSurface, spec: Spec, marks: Sequence[tuple[str, str]]) -> None:
    """Give marked cells their template fill back and remove the notes Validate put on them."""
    names = set(surface.sheet_names())
    by_fill: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for sheet, cell in dict.fromkeys(marks):
        if sheet in names:
            by_fill[(sheet, base_colour(spec, sheet, cell))].append(cell)
    for (sheet, colour), cells in by_fill.items():
        surface.set_fill(sheet, cells, colour)
        for cell in cells:
            surface.set_note(sheet, cell, None)


def write_issues(surface: WorkbookSurface, findings: Sequence[Finding]) -> None:
    """Replace the Issues tab: one row per finding, its Cell a link to the cell."""
    names = set(surface.sheet_names())
    surface.add_sheet(ISSUES, replace=True)
    rows = [ISSUE_HEADERS] + [[f.sheet, f.cell, f.row_id, f.rule, f.severity, f.message] for f in findings]
    surface.write_values(ISSUES, "A1", rows)
    header = f"A1:{cell_name(1, len(ISSUE_HEADERS))}"
    surface.set_fill(ISSUES, [header], ISSUES_HEADER_COLOUR)
    surface.set_font(ISSUES, [header], None, bold=True)
    for i, f in enumerate(findings, start=2):
        if f.cell and f.sheet in names:
            surface.hyperlink(ISSUES, f"B{i}", f"{quote_sheet(f.sheet)}!{f.cell}", f.cell)


def mark(surface: WorkbookSurface, findings: Sequence[Finding]) -> None:
    """Fill each offending cell (red if any error there, else amber) and note its messages on it."""
    names = set(surface.sheet_names())
    notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    worst: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.cell and f.sheet in names:
            key = (f.sheet, f.cell)
            notes[key].append(f.message)
            if worst.get(key) != ERROR:
                worst[key] = f.severity
    by_fill: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (sheet, cell), severity in worst.items():
        by_fill[(sheet, ERROR_FILL if severity == ERROR else WARNING_FILL)].append(cell)
    for (sheet, colour), cells in by_fill.items():
        surface.set_fill(sheet, cells, colour)
    for (sheet, cell), messages in notes.items():
        surface.set_note(sheet, cell, NOTE_PREFIX + "\n".join(messages))


def annotate(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> list[Finding]:
    """Validate the workbook, list the findings on the Issues tab and mark the cells; save."""
    data = workbook_data(surface)
    findings = validate(data, month, today)
    clear_marks(surface, data.spec, previous_marks(surface))
    write_issues(surface, findings)
    mark(surface, findings)
    surface.save()
    return findings


def validate_workbook(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> str:
    """The Validate button."""
    findings = annotate(surface, month, today)
    errors, warnings = summary_counts(findings)
    if not findings:
        return f"{surface.name}: no issues found"
    return f"{surface.name}: {errors} error(s), {warnings} warning(s): see the {ISSUES} tab"


# -- Roll up --------------------------------------------------------------------------------------

def write_summary(surface: WorkbookSurface, results: Sequence[RollupResult], when: datetime | None = None
                  ) -> None:
    """Clear the computed block of the Summary tab and write the roll-ups there (not saved)."""
    if SUMMARY not in surface.sheet_names():
        raise ValueError(f"{surface.name}: no {SUMMARY} tab to refresh")
    grid, formats = summary_block(results, when)
    used = max(len(surface.read(SUMMARY)), len(grid), 1)
    last = cell_name(used, FIRST_COL + WIDTH)
    area = f"{cell_name(1, FIRST_COL)}:{last}"
    surface.write_values(SUMMARY, cell_name(1, FIRST_COL), [[None] * (WIDTH + 1) for _ in range(used)])
    surface.set_fill(SUMMARY, [area], None)
    surface.set_font(SUMMARY, [area], None, bold=False)
    surface.write_values(SUMMARY, cell_name(1, FIRST_COL), grid)
    for ref, fill, font, bold in formats:
        if fill:
            surface.set_fill(SUMMARY, [ref], fill)
        surface.set_font(SUMMARY, [ref], font, bold)


def roll_up(surface: WorkbookSurface, by: Sequence[str] | None = None, rule: str | None = None) -> str:
    """The Roll up button: one table per grouping of the spec (e.g. school, theme, lead)."""
    data = workbook_data(surface)
    groupings = [[b] for b in by] if by else [[b] for b in data.spec.rollup.by] or [["school"]]
    results = rollups(data, groupings, rule)
    write_summary(surface, results)
    surface.save()
    overall = results[0].overall
    return (f"{surface.name}: Summary refreshed ({', '.join(g[0] for g in groupings)}); "
            f"overall {overall.rag or 'not rated'} (R {overall.R}, A {overall.A}, G {overall.G}, "
            f"unrated {overall.unrated})")


# -- New month ------------------------------------------------------------------------------------

def new_month(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> str:
    """The New month button: stamp the cycle (YYYY-MM, default this month) into the `_tom` sheet."""
    today = today or date.today()
    month = month or f"{today.year:04d}-{today.month:02d}"
    parse_month(month)  # ValueError with a plain message when malformed
    grid = surface.read(META_SHEET)
    row = next((i for i, r in enumerate(grid, start=1) if r and str(r[0] or "") == "cycle"), None)
    old = None
    if row is None:
        row = len(grid) + 1
        surface.write_values(META_SHEET, f"A{row}", [["cycle", month]])
    else:
        old = cycle_of({"cycle": str(grid[row - 1][1] if len(grid[row - 1]) > 1 else "")})
        surface.write_values(META_SHEET, f"B{row}", [[month]])
    surface.save()
    when = parse_month(month)
    was = f" (was {old})" if old and old != month else ""
    return (f"{surface.name}: cycle set to {month}{was}; Validate now flags tabs not updated in "
            f"{when:%B %Y}")


# -- Pull and Push --------------------------------------------------------------------------------

def describe_sync(action: str, report: Any) -> str:
    """One line for a `sync.workflow.SyncReport` (or whatever the sync layer returned)."""
    if isinstance(report, str):
        return report
    changed = report.changed() if hasattr(report, "changed") else []
    line = f"{action.capitalize()}: {len(changed)} file(s) changed"
    conflicts = getattr(report, "conflicts", [])
    if conflicts:
        names = ", ".join(c.name for c in conflicts)
        line += (f"; {len(conflicts)} conflict(s) need a person ({names}): see the .conflicts.xlsx and "
                 ".theirs.xlsx copies beside them")
    return line


def _sync(action: str, surface: WorkbookSurface, workdir: Path | None) -> str:
    """Pull or push the folder of tomsync.toml through the sync layer (`sync.connect`, `sync.workflow`)."""
    folder = workdir or surface.folder
    if folder is None:
        return SYNC_NOT_CONFIGURED
    from sync.config import ConfigError, find_config

    found = find_config(folder)
    if found is None:
        return SYNC_NOT_CONFIGURED
    try:  # an ImportError here is a broken install, reported as what it is, never "not configured"
        workflow = importlib.import_module("sync.workflow")
        connect = importlib.import_module("sync.connect").connect
        connection = connect(found.parent, config=found)
        report = getattr(workflow, action)(found.parent, connection.library)
    except ConfigError as exc:
        return f"{action.capitalize()}: {exc}"
    except Exception as exc:  # a ribbon button reports, never shows a traceback
        return f"{action.capitalize()} failed: {failure_line(exc)}"
    return describe_sync(action, report)


def failure_line(exc: BaseException) -> str:
    """One line for a failure: the message of the errors we raise on purpose (they are written for
    people), else the class and message, so an unexpected ImportError or bug is reported as itself."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    ours = type(exc).__module__.split(".")[0] in ("sync", "workbook_templates", "xl_addin")
    if first and (ours or type(exc) in (OSError, ValueError) or isinstance(exc, FileNotFoundError)):
        return first
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def pull(surface: WorkbookSurface, workdir: Path | None = None) -> str:
    """The Pull button: fetch the latest workbooks into the folder of tomsync.toml."""
    return _sync("pull", surface, workdir)


def push(surface: WorkbookSurface, workdir: Path | None = None) -> str:
    """The Push button: send the folder's saved workbooks; never overwrites a version not seen."""
    return _sync("push", surface, workdir)


# -- file shells for the command line ----------------------------------------------------------------

def annotate_file(path: str | Path, month: str | None = None, today: date | None = None) -> list[Finding]:
    """`tomsync validate --annotate`: the Validate macro on a file; returns the findings."""
    refuse_if_open(path)  # open in Excel: FileInUse before any work (issue 8)
    return annotate(OpenpyxlSurface(path), month, today)


def roll_up_file(path: str | Path, results: Sequence[RollupResult]) -> None:
    """`tomsync rollup --write`: write computed roll-ups into the file's Summary tab, like Roll up."""
    refuse_if_open(path)  # open in Excel: FileInUse before any work (issue 8)
    surface = OpenpyxlSurface(path)
    write_summary(surface, results)
    surface.save()


MACROS = {"validate": validate_workbook, "roll_up": roll_up, "new_month": new_month, "pull": pull,
          "push": push}
