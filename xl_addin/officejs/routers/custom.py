"""The task pane's findings list: the book sent by the pane, validated, rendered as an HTML fragment."""

from fastapi import APIRouter, Request
from xlwings_server import dependencies as dep
from xlwings_server.config import settings
from xlwings_server.templates import TemplateResponse

from workbook_templates.reader import WorkbookReadError
from workbook_templates.surface import read_surface
from workbook_templates.validate import cycle_of, summary_counts, validate
from xl_addin.officejs.routers.hosted import router as hosted_router
from xl_addin.xlwings_surface import XlwingsSurface

router = APIRouter(prefix=f"{settings.app_path}/tom")
router.include_router(hosted_router)  # Sync month and Save to library, as the signed-in user


@router.post("/findings")
async def findings(request: Request, book: dep.Book, current_user: dep.User):
    """The latest findings for the open workbook (nothing is written to it)."""
    context = {"book": book.name, "findings": [], "error": None, "month": None, "errors": 0, "warnings": 0}
    try:
        data = read_surface(XlwingsSurface(book))
        context["month"] = cycle_of(data.meta)
        found = validate(data, context["month"])
        context["findings"] = found
        context["errors"], context["warnings"] = summary_counts(found)
    except WorkbookReadError as exc:
        context["error"] = str(exc)
    return TemplateResponse(request=request, name="tom_findings.html", context=context)
