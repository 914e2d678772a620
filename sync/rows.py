"""Per-row snapshot of a month: how each school row stood, kept in the archive as rows.json.

The per-school rollup.json draws the trend; this one lets next month's report say which rows
slipped, which are new Reds and since when a row has been Red, without re-reading old workbooks.
Each row is keyed by "Area: School" and its ID, so a second area added later does not rename
anyone's rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from workbook_templates.reader import WorkbookData
from workbook_templates.rollup import current_rating
from workbook_templates.spec import canonical

ROWS_FILE = "rows.json"


@dataclass(frozen=True)
class RowState:
    """One school row as the month left it: what a board member needs to read about it."""

    school: str  # the label shown in the report ("School", or "Area: School" with several areas)
    key: str  # "Area: School": stable whatever areas are added later
    school_id: str
    id: str
    activity: str
    lead: str
    status: str
    rag: str  # current rating, "" when not rated
    note: str
    evidence: str
    when: str
    target: str
    master: bool
    updated: str = ""  # Last updated, ISO date or ""
    tier: str = ""  # a master row's tier: "minimum" or "wagjll" ("" for own rows and older snapshots)

    @property
    def school_key(self) -> str:
        """The school as history follows it: its area and stable ID, so a renamed tab keeps its rows'
        history (the tab name, in snapshots written before the ID was kept)."""
        return f"{self.key.split(': ', 1)[0]}#{self.school_id}" if self.school_id else self.key

    @property
    def minimum(self) -> bool:
        """A minimum expectation (a master row not tagged wagjll): what the red cap looks at."""
        return self.master and self.tier != "wagjll"

    @property
    def rid(self) -> tuple[str, str]:
        return (self.school_key, self.id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RowState:
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in d.items() if k in names}
        kept["master"] = bool(kept.get("master"))
        for f in fields(cls):
            if f.name != "master":
                kept[f.name] = str(kept.get(f.name) or "")
        return cls(**kept)


def row_states(data: WorkbookData, label: Any) -> list[RowState]:
    """Every used row with an ID of every school tab; ``label(sheet)`` gives the school label."""
    spec = data.spec
    wanted = ("activity", "lead", "status", "notes", "evidence", "when", "target", "last_updated")
    roles = {role: (c.header if (c := spec.column(role)) else None) for role in wanted}
    schools = spec.school_by_sheet()
    out = []
    for sheet, tab in data.schools.items():
        school = schools.get(sheet)
        for row in tab.rows:
            v = row.values
            rid = canonical(v.get(spec.id_header))
            if not rid:
                continue

            def get(role: str, _v: dict[str, Any] = v) -> str:
                h = roles[role]
                value = _v.get(h) if h else None
                return value.isoformat() if isinstance(value, date) else canonical(value)

            out.append(RowState(label(sheet), f"{spec.area}: {sheet}", school.id if school else "", rid,
                                get("activity"), get("lead"), get("status"), current_rating(v, spec),
                                get("notes"), get("evidence"), get("when"), get("target"),
                                rid in spec.master_by_id, get("last_updated"), spec.tier(rid)))
    return out


def rows_json(month: str, rows: list[RowState]) -> bytes:
    return json.dumps({"month": month, "rows": [r.as_dict() for r in rows]}, indent=0,
                      sort_keys=True, ensure_ascii=False).encode("utf-8")


def load_row_history(archive_root: Path, before: str) -> dict[str, list[RowState]]:
    """month -> rows, from archive/*/rows.json of months before ``before`` (months archived before
    this file existed simply have none: their rows count as unknown, not as removed)."""
    out: dict[str, list[RowState]] = {}
    if not archive_root.is_dir():
        return out
    for path in sorted(archive_root.glob(f"*/{ROWS_FILE}")):
        month = path.parent.name
        if month >= before:
            continue
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            out[month] = [RowState.from_dict(d) for d in saved.get("rows", []) if isinstance(d, dict)]
        except (ValueError, OSError, TypeError):
            continue
    return out
