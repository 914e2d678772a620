"""The task pane's Sync month and Save to library routes, and Sync month's progress (which the task
pane polls while the run's request is open): each a line over `xl_addin.as_user`.

The work runs in a worker thread (it waits on SharePoint), answered as JSON with ``ok`` and a one-line
``message`` for the task pane, and the HTTP status `xl_addin.as_user` chose.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from xlwings_server import dependencies as dep
from xlwings_server.config import settings

from xl_addin import as_user

router = APIRouter()


class MonthRequest(BaseModel):
    document_url: str = ""  # Office.context.document.url
    month: str | None = None  # YYYY-MM; default: the workbook's cycle, else this month


class SaveRequest(BaseModel):
    document_url: str = ""
    file: str | None = None  # the workbook, base64 (Office.js getFileAsync, Compressed)


def _reply(result: dict) -> JSONResponse:
    return JSONResponse(result, status_code=result.pop("status", 200))


@router.post("/sync-month")
async def sync_month(body: MonthRequest, current_user: dep.User):
    """Sync month on the open workbook's library, as the signed-in programme manager."""
    return _reply(await run_in_threadpool(as_user.sync_month_for, current_user, settings, body.document_url,
                                          body.month))


@router.post("/sync-month/status")
async def sync_month_status(body: MonthRequest, current_user: dep.User):
    """Sync month's progress, from the month's claim in the library, as the signed-in user."""
    return _reply(await run_in_threadpool(as_user.month_status_for, current_user, settings,
                                          body.document_url, body.month))


@router.post("/save-to-library")
async def save_to_library(body: SaveRequest, current_user: dep.User):
    """Save to library: merge the local workbook the task pane sent into the library's copy."""
    return _reply(await run_in_threadpool(as_user.save_for, current_user, settings, body.document_url,
                                          body.file))
