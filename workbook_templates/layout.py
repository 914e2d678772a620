"""Where things are in a TOM workbook: sheet names, rows, derived columns and the shared colours.

One neutral module, so that the template (which writes the layout), the reader (which reads it),
validation, annotate and the Summary block (which write into it) agree without importing each other.
Nothing here touches a workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.utils.cell import get_column_letter

if TYPE_CHECKING:  # the spec module names the reserved sheets from here
    from workbook_templates.spec import Spec

# -- sheets -----------------------------------------------------------------------------------------
GUIDE = "Guide"
MASTER = "Master"
SUMMARY = "Summary"
LISTS = "Lists"
META_SHEET = "_tom"  # very hidden: the embedded spec, the master fingerprint and the cycle stamp
ISSUES = "Issues"  # written by Validate (annotate)
PLAN = "Plan"  # a Strategic Careers Plan's header and current state, one row per school (`plan`)
COMPASS = "Compass"  # each term's Compass result per benchmark, one row per school and term (`plan`)
RETIRED = "Retired"  # hidden: retired master rows as each school left them (workbook_templates.upgrade)
MASTER_HISTORY = "Master history"  # hidden: version, date, who, change of every master change
META_FORMAT = "tomsync-workbook/1"

# -- rows and columns -------------------------------------------------------------------------------
HEADER_ROW = 1
FIRST_ROW = 2  # the first data row of the Master and school tabs
CURRENT_RAG = "Current RAG"  # derived column, only on termly plans (several rag columns)
NOT_APPLICABLE = "Not applicable"  # a Status left out of roll-ups and of the red-needs-a-note rule

# -- colours (hex RGB, no "#") ------------------------------------------------------------------------
RAG_FILLS = {  # rating -> (fill, font)
    "R": ("FFC7CE", "9C0006"),
    "A": ("FFEB9C", "9C5700"),
    "G": ("C6EFCE", "006100"),
    "B": ("BDD7EE", "1F4E79"),
}
HEADER_COLOUR = "1F4E79"
HEADER_FONT_COLOUR = "FFFFFF"
LOCKED_COLOUR = "F2F2F2"  # master wording on a school tab


def a1(row: int, col: int) -> str:
    """(14, 12) -> 'L14': openpyxl has the reverse (`coordinate_to_tuple`) but not this one."""
    return f"{get_column_letter(col)}{row}"


@dataclass(frozen=True)
class Layout:
    """Where things are on a school tab: header on row 1, master rows, then free rows."""

    spec: Spec

    @property
    def first_row(self) -> int:
        return FIRST_ROW

    @property
    def master_end(self) -> int:
        return FIRST_ROW - 1 + len(self.spec.master)

    @property
    def last_row(self) -> int:
        return self.master_end + self.spec.free_rows

    @property
    def headers(self) -> list[str]:
        extra = [CURRENT_RAG] if len(self.spec.rag_columns) > 1 else []
        return self.spec.headers + extra

    def letter(self, header: str) -> str:
        return get_column_letter(self.headers.index(header) + 1)

    @property
    def rating_header(self) -> str:
        """The column holding each row's current rating (the only rag column, or Current RAG)."""
        rags = self.spec.rag_columns
        return rags[0].header if len(rags) == 1 else CURRENT_RAG
