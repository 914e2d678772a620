"""Sync month and Save to library as the signed-in user: the task pane's routes are a line over these.

Each function takes xlwings Server's user (its ``sso_token`` and ``roles``) and its settings, checks
the role (`xl_addin.sso`), exchanges the user's token for a Graph token, finds the library and calls
`sync.hosted`. The answer is a dict the task pane shows: ``ok``, ``message`` (one line) and the
details, plus ``status``, the HTTP status the route answers with (200 done, 400 cannot run as asked,
403 a missing role, 409 a conflict or a month already running, 502 SharePoint or sign-in failed).

Which library: the folder of the open workbook, found from its address (Graph
``/shares/{encoded-url}/driveItem``), for a workbook opened from SharePoint or OneDrive; else the
folder in ``TOMSYNC_LIBRARY_URL``. Never a folder on the server.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import python_calamine

from sync.hosted import MonthBusy, SaveRefused, month_status, save_copy, sync_month
from sync.library import AuthError, LibraryError
from sync.sharepoint import SharePointLibrary
from workbook_templates.reader import WorkbookReadError, first_line, read_meta
from workbook_templates.validate import cycle_of
from xl_addin.sso import LIBRARY_ENV, PROGRAMME_MANAGER, OboSettings, graph_token, refusal, sso_configured

log = logging.getLogger("tomsync.addin")
MAX_UPLOAD = 100 * 1000 * 1000  # bytes of workbook the task pane may send (a TOM workbook is far smaller)
ON_SHAREPOINT = ("Save to library is not needed: this workbook is a SharePoint file, and Excel saves it "
                 "there itself (nothing to push or pull)")


def answer(ok: bool, message: str, status: int = 200, **details: Any) -> dict[str, Any]:
    return {"ok": ok, "message": message, "status": status, **details}


def on_sharepoint(document_url: str) -> bool:
    """Excel gives a workbook opened from SharePoint or OneDrive as its https address; a local one as a
    file path (or nothing, before it is first saved)."""
    return document_url.strip().lower().startswith("https://")


def open_library(document_url: str, token: Any, cfg: OboSettings) -> tuple[SharePointLibrary, str | None]:
    """(the library, the open workbook's name in it, when it is there) for ``document_url``."""
    url = document_url.strip() if on_sharepoint(document_url) else cfg.library_url
    if not url:
        raise SaveRefused(f"this workbook is not on SharePoint and no library is configured: open it from "
                          f"SharePoint, or ask the administrator to set {LIBRARY_ENV}")
    drive, folder, item = SharePointLibrary.locate(url, token=token, graph_url=cfg.graph_url)
    name = str(item.get("name")) if "file" in item else None
    where = url.rsplit("/", 1)[0] if name else url
    return SharePointLibrary.for_drive(drive, folder, token=token, web_url=where, graph_url=cfg.graph_url,
                                       max_retries=5), name


def _stamped_month(library: SharePointLibrary, name: str | None) -> str | None:
    """The cycle New month stamped in the open workbook (`_tom`), if any."""
    if name is None:
        return None
    try:
        data, _ = library.download(name)
        meta, _spec = read_meta(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)), Path(name))
        return cycle_of(meta)
    except (LibraryError, WorkbookReadError, ValueError, OSError, python_calamine.CalamineError):
        return None


def _prepare(action: str, user: Any, settings: Any) -> tuple[dict[str, Any] | None, OboSettings]:
    cfg = OboSettings.from_settings(settings)
    refused = refusal(action, user, settings)
    if refused is not None:
        return answer(False, refused, 403 if sso_configured(settings) else 400), cfg
    problem = cfg.problem()
    if problem is not None:
        return answer(False, f"{action}: {problem}", 400), cfg
    if not getattr(user, "sso_token", None):
        return answer(False, f"{action}: no sign-in token came with the request; reopen the task pane",
                      400), cfg
    return None, cfg


def _graph_token(user: Any, cfg: OboSettings) -> Callable[[], str]:
    """One exchange per press (msal does not cache on-behalf-of tokens; Entra's last an hour or
    more), handed to the library as a callable."""
    token = graph_token(user.sso_token, cfg)
    return lambda: token


def sync_month_for(user: Any, settings: Any, document_url: str, month: str | None = None,
                   today: date | None = None) -> dict[str, Any]:
    """Sync month, as ``user``: `sync.hosted.sync_month` on the open workbook's library."""
    stop, cfg = _prepare("Sync month", user, settings)
    if stop is not None:
        return stop
    try:
        library, month = _library_and_month(user, cfg, document_url, month)
        outcome = sync_month(library, month, user.name or user.email or "a programme manager", today)
    except MonthBusy as exc:
        return answer(False, str(exc), 409)
    except SaveRefused as exc:
        return answer(False, str(exc), 400)
    except (AuthError, LibraryError) as exc:
        return answer(False, f"Sync month: {first_line(exc)}", 502)
    except ValueError as exc:  # a month that is not YYYY-MM
        return answer(False, f"Sync month: {first_line(exc)}", 400)
    except Exception as exc:  # a bug: one line for the user, the traceback for IT
        log.exception("Sync month failed (%s)", type(exc).__name__)
        return answer(False, f"Sync month failed: an internal error ({type(exc).__name__}); the add-in's log "
                      "has the details for IT", 500)
    return _outcome(outcome)


def month_status_for(user: Any, settings: Any, document_url: str, month: str | None = None
                     ) -> dict[str, Any]:
    """Sync month's progress, as ``user``, for the task pane's poll: the month's claim in the open
    workbook's library (`sync.hosted.month_status`), so whichever server instance answers knows it.
    The same role as Sync month. Without ``month`` the month is found as Sync month finds it (the
    answer names it, so the next poll sends it)."""
    stop, cfg = _prepare("Sync month", user, settings)
    if stop is not None:
        return stop
    try:
        library, month = _library_and_month(user, cfg, document_url, month)
        status = month_status(library, month)
    except SaveRefused as exc:
        return answer(False, str(exc), 400)
    except (AuthError, LibraryError) as exc:
        return answer(False, f"Sync month: {first_line(exc)}", 502)
    except ValueError as exc:  # a month that is not YYYY-MM
        return answer(False, f"Sync month: {first_line(exc)}", 400)
    except Exception as exc:  # a bug: one line for the user, the traceback for IT
        log.exception("Sync month status failed (%s)", type(exc).__name__)
        return answer(False, f"Sync month's progress could not be read: an internal error "
                      f"({type(exc).__name__})", 500)
    return answer(True, str(status.get("progress") or ""), **{k: v for k, v in status.items()
                                                              if k != "progress"})


def _library_and_month(user: Any, cfg: OboSettings, document_url: str, month: str | None
                       ) -> tuple[SharePointLibrary, str]:
    """The open workbook's library, as ``user``, and the month Sync month acts on: the one typed in the
    pane, else the workbook's stamped cycle, else this month."""
    library, name = open_library(document_url, _graph_token(user, cfg), cfg)
    return library, (month or "").strip() or _stamped_month(library, name) or f"{datetime.now(UTC):%Y-%m}"


def _outcome(outcome: Any) -> dict[str, Any]:
    """A finished Sync month or Save to library as the task pane's answer (409: it did not go through)."""
    details = {k: v for k, v in outcome.as_dict().items() if k not in ("ok", "message")}
    return answer(outcome.ok, outcome.message, 200 if outcome.ok else 409, **details)


def save_for(user: Any, settings: Any, document_url: str, file_base64: str | None,
             filename: str | None = None) -> dict[str, Any]:
    """Save to library, as ``user``: the local copy the task pane sent, merged into the library's file."""
    if on_sharepoint(document_url):
        return answer(True, ON_SHAREPOINT)
    stop, cfg = _prepare("Save to library", user, settings)
    if stop is not None:
        return stop
    name = (filename or document_url.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name.lower().endswith(".xlsx"):
        return answer(False, "Save to library: save the workbook as an .xlsx file first "
                      f"(not {name or 'unsaved'})", 400)
    if not file_base64 or len(file_base64) > MAX_UPLOAD * 4 // 3 + 4:
        return answer(False, "Save to library: the task pane sent no workbook (or one too big); try again",
                      400)
    try:
        data = base64.b64decode(file_base64, validate=True)
    except (binascii.Error, ValueError):
        return answer(False, "Save to library: the workbook did not arrive intact; try again", 400)
    roles = set(getattr(user, "roles", []) or [])
    try:
        token = _graph_token(user, cfg)
        library, _ = open_library(cfg.library_url or "", token, cfg)
        outcome = save_copy(library, name, data, may_change_master=PROGRAMME_MANAGER in roles)
    except SaveRefused as exc:
        return answer(False, str(exc), 403 if PROGRAMME_MANAGER in str(exc) else 400)
    except (AuthError, LibraryError) as exc:
        return answer(False, f"Save to library: {first_line(exc)}", 502)
    except Exception as exc:  # a bug: one line for the user, the traceback for IT
        log.exception("Save to library failed (%s)", type(exc).__name__)
        return answer(False, f"Save to library failed: an internal error ({type(exc).__name__}); the "
                      "add-in's log has the details for IT", 500)
    return _outcome(outcome)
