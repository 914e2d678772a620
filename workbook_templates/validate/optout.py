"""Master opt-outs: "Not applicable" on a master row is an error unless the spec allows it.

Master rows are the minimum expected of every school; a row marked Not applicable drops out of every
count, so a school could look better by opting out of what it finds hard. The spec allows an opt-out
for one expectation (`optional = true` on the master row) or for one school (`[[exemptions]]` with
a reason). Rule: opt-out (error).
"""

from __future__ import annotations

from typing import Any

from workbook_templates.layout import NOT_APPLICABLE
from workbook_templates.validate.findings import ERROR
from workbook_templates.validate.tab import Tab


def check_opt_out(tab: Tab, row: int, values: dict[str, Any], rid: str | None,
                  want: dict[str, Any] | None) -> None:
    if want is None or rid is None or tab.status is None or values.get(tab.status.header) != NOT_APPLICABLE:
        return
    school = tab.spec.school_by_sheet().get(tab.name)
    if tab.spec.opt_out_allowed(school.id if school else "", rid) is not None:
        return
    tab.add(tab.status.header, row, rid, "opt-out", ERROR,
            f"master row {rid} is marked {NOT_APPLICABLE}, but master rows are the minimum expected of "
            "every school: rate it, or ask the programme manager for an exemption in the spec")
