"""A Status and a rating that contradict each other: contradiction (warning).

"Not started" rated G says work that has not begun is on track; "Complete" rated R says finished
work is off track. Either misleads a roll-up, so the row is named for a person to put right.
"""

from __future__ import annotations

from typing import Any

from workbook_templates.validate.findings import WARNING
from workbook_templates.validate.tab import Tab

CONTRADICTIONS = {("Not started", "G"): "is Not started but rated G (on track)",
                  ("Complete", "R"): "is Complete but rated R (off track)"}


def check_contradiction(tab: Tab, row: int, values: dict[str, Any], rid: str | None, rating: str) -> None:
    if rating not in tab.spec.rag_values:
        return  # a rating outside the spec's list is already a vocabulary error
    status = tab.value(values, tab.status)
    said = CONTRADICTIONS.get((str(status or ""), "G" if rating == "B" else rating))
    if said:
        tab.add(tab.rating_at(values), row, rid, "contradiction", WARNING,
                f"the row {said}: correct the Status or the RAG")
