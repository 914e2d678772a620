"""What every rule family returns: a `Finding` naming the sheet, cell, row ID, rule and severity."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from workbook_templates.spec import MONTH

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    sheet: str
    cell: str
    row_id: str | None
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_month(month: str) -> date:
    """'YYYY-MM' -> the first day of that month; ValueError with a plain message otherwise."""
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    return date(int(month[:4]), int(month[5:]), 1)


def cycle_of(meta: dict[str, str]) -> str | None:
    """The workbook's current cycle (YYYY-MM) from its `_tom` sheet, if New month has stamped one."""
    found = MONTH.match(str(meta.get("cycle") or "").strip())
    return f"{found.group(1)}-{found.group(2)}" if found else None


def summary_counts(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity == ERROR)
    return errors, len(findings) - errors
