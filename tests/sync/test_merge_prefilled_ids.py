"""Free rows come with pre-filled IDs (HAW-01, ...): two staff filling the same one keep both rows."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from sync.merge import merge_workbooks
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template
from workbook_templates.validate import validate

SHEET = "Hawick High"


def _fill(data: bytes, row: int, activity: str) -> bytes:
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    for col, v in zip("BCD", ("Careers", activity, "Guidance"), strict=True):
        ws[f"{col}{row}"] = v
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_both_fills_of_one_free_row_survive_and_read_back(tmp_path: Path) -> None:
    spec = load_spec("scottish-tom")
    write_template(spec, tmp_path / "base.xlsx")
    base = (tmp_path / "base.xlsx").read_bytes()
    first = len(spec.master) + 2
    prefix = next(s.id for s in spec.schools if s.sheet == SHEET)
    ws = load_workbook(BytesIO(base))[SHEET]
    assert ws[f"A{first}"].value == f"{prefix}-01" and ws[f"A{first + 1}"].value == f"{prefix}-02"
    found = validate(read_workbook(tmp_path / "base.xlsx"), None, date(2026, 10, 1))
    assert [f for f in found if f.sheet == SHEET and (f.row_id or "").startswith(prefix)] == []
    assert [r.get("ID") for r in read_workbook(tmp_path / "base.xlsx").schools[SHEET].rows] == [
        m["ID"] for m in spec.master]  # pre-filled free rows are not rows

    ours, theirs = _fill(base, first, "Bob's fair"), _fill(base, first, "Alice's visit")
    result = merge_workbooks(base, ours, theirs)
    assert result.merged is not None and result.conflicts == []
    assert any("added row" in c and f"{prefix}-02" in c for c in result.changes), result.changes
    (tmp_path / "merged.xlsx").write_bytes(result.merged)
    merged = read_workbook(tmp_path / "merged.xlsx").schools[SHEET].rows
    rows = {r.get("ID"): r.get("Activity") for r in merged}
    assert rows[f"{prefix}-01"] == "Alice's visit" and rows[f"{prefix}-02"] == "Bob's fair"

    same = merge_workbooks(base, _fill(base, first, "Same"), _fill(base, first, "Same"))
    assert same.merged is not None and same.conflicts == []
    again = load_workbook(BytesIO(same.merged))[SHEET]
    assert again[f"C{first}"].value == "Same" and again[f"C{first + 1}"].value is None
