"""Ribbon and task pane buttons of the Office.js add-in: the macros of `xl_addin.ribbon` over the book.

The book is the one xlwings Server builds from the add-in's request; `XlwingsSurface` turns every
write into an action that the add-in replays in Excel, and the result is shown in a dialog.
Whatever happens, a button answers with one line in that dialog, never an HTTP 500: an unexpected
failure is logged with its traceback for IT and shown as "NAME could not run: why".
"""

import logging
import os
import time
from pathlib import Path

from xl_addin.server import configure

configure()  # xlwings Server reads its settings when first imported: the TOM ones go first

import xlwings as xw  # noqa: E402
from xlwings.server import script  # noqa: E402
from xlwings_server.config import settings  # noqa: E402
from xlwings_server.models import CurrentUser  # noqa: E402

from workbook_templates.reader import WorkbookReadError  # noqa: E402
from xl_addin import ribbon  # noqa: E402
from xl_addin.sso import refusal  # noqa: E402
from xl_addin.xlwings_surface import NOTES_SKIPPED, XlwingsSurface  # noqa: E402

WORKDIR_ENV = "TOMSYNC_WORKDIR"
log = logging.getLogger("tomsync.addin")


def _workdir() -> Path:
    """Where Pull and Push look for tomsync.toml: the folder `tomsync addin serve` was started for."""
    return Path(os.environ.get(WORKDIR_ENV) or os.getcwd())


def run(book: xw.Book, macro, label: str, user=None, **kwargs) -> str:
    """Run one macro over the book and show its one-line result (or why it could not run: a missing
    role, with single sign-on, see `xl_addin.sso`; an unexpected error, as "Validate could not run: ...").
    ``label`` is the button's name, as `xl_addin.sso` knows it."""
    refused = refusal(label, user, settings)
    if refused is not None:
        book.app.alert(refused, title="TOM", buttons="ok", mode="info")
        return refused
    surface = XlwingsSurface(book)
    started, outcome = time.perf_counter(), "ok"
    try:
        message = macro(surface, **kwargs)
    except (WorkbookReadError, ValueError) as exc:
        message, outcome = str(exc), type(exc).__name__
    except Exception as exc:  # logged with its traceback for IT; the user gets one line, never a 500
        log.exception("%s failed on a workbook (%s)", macro.__name__, type(exc).__name__)
        outcome = type(exc).__name__
        message = f"{label} could not run: {ribbon.failure_line(exc)}"
    try:
        surface.save()  # protection back on whatever happened
    except Exception as exc:
        log.exception("%s: protecting the sheets again failed (%s)", macro.__name__, type(exc).__name__)
    message = message.splitlines()[0] if message else message  # a dialog shows one line
    if surface.notes_skipped:
        message = f"{message}; {NOTES_SKIPPED}"
    # what ran and how long, never the workbook's content or the message (it may quote a cell)
    log.info("%s: %s in %.0f ms", macro.__name__, outcome, (time.perf_counter() - started) * 1000)
    book.app.alert(message, title="TOM", buttons="ok", mode="info")
    return message


@script
def tom_validate(book: xw.Book, user: CurrentUser):
    """Validate: Issues tab with links, offending cells marked."""
    run(book, ribbon.validate_workbook, "Validate", user)


@script
def tom_roll_up(book: xw.Book, user: CurrentUser):
    """Roll up: refresh the Summary tab's computed roll-ups."""
    run(book, ribbon.roll_up, "Roll up", user)


@script
def tom_new_month(book: xw.Book, user: CurrentUser):
    """New month: stamp this month as the workbook's cycle."""
    run(book, ribbon.new_month, "New month", user)


@script
def tom_pull(book: xw.Book, user: CurrentUser):
    """Pull: fetch the latest workbooks through the sync layer."""
    run(book, ribbon.pull, "Pull", user, workdir=_workdir())


@script
def tom_push(book: xw.Book, user: CurrentUser):
    """Push: send the saved workbooks through the sync layer."""
    run(book, ribbon.push, "Push", user, workdir=_workdir())
