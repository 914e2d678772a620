"""The TOM ribbon's macros: Validate, Roll up, New month, Pull and Push, over any `WorkbookSurface`.

Each macro is a few lines over the core (`workbook_templates.annotate`, `.summary`, `.stamp`, the sync
layer) and returns one line for the user. The same core functions serve the command line
(`tomsync validate --annotate`, `tomsync rollup --write` over a `PackageSurface`), so what the
ribbon and `tomsync` do cannot drift apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from workbook_templates.annotate import annotate
from workbook_templates.layout import ISSUES
from workbook_templates.stamp import stamp_cycle
from workbook_templates.summary import refresh_summary
from workbook_templates.surface import WorkbookSurface
from workbook_templates.validate import parse_month, summary_counts

SYNC_NOT_CONFIGURED = "sync is not configured: put a tomsync.toml beside the workbook (see README)"


def validate_workbook(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> str:
    """The Validate button: the Issues tab and the marks (`workbook_templates.annotate`)."""
    findings = annotate(surface, month, today)
    errors, warnings = summary_counts(findings)
    if not findings:
        return f"{surface.name}: no issues found"
    return f"{surface.name}: {errors} error(s), {warnings} warning(s): see the {ISSUES} tab"


def roll_up(surface: WorkbookSurface, by: Sequence[str] | None = None, rule: str | None = None) -> str:
    """The Roll up button: one table per grouping of the spec (e.g. school, theme, lead)."""
    results = refresh_summary(surface, by, rule)
    overall = results[0].overall
    return (f"{surface.name}: Summary refreshed ({', '.join(r.by[0] for r in results)}); "
            f"overall {overall.rag or 'not rated'} (R {overall.R}, A {overall.A}, G {overall.G}, "
            f"unrated {overall.unrated})")


def new_month(surface: WorkbookSurface, month: str | None = None, today: date | None = None) -> str:
    """The New month button: stamp the cycle (YYYY-MM, default this month) into the `_tom` sheet."""
    today = today or date.today()
    month = month or f"{today.year:04d}-{today.month:02d}"
    old = stamp_cycle(surface, month)
    was = f" (was {old})" if old and old != month else ""
    return (f"{surface.name}: cycle set to {month}{was}; Validate now flags tabs not updated in "
            f"{parse_month(month):%B %Y}")


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


MACROS = {"validate": validate_workbook, "roll_up": roll_up, "new_month": new_month, "pull": pull,
          "push": push}
