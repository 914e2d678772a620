"""Two Careers Leaders enter their Compass results and plan headers at once: the merge keeps both."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from sync.merge import merge_workbooks
from workbook_templates.layout import COMPASS, PLAN
from workbook_templates.plan import compass_id
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import write_template


def _enter(data: bytes, school: str, leader: str, bm1: str) -> bytes:
    wb = load_workbook(BytesIO(data))
    compass, plan = wb[COMPASS], wb[PLAN]
    row = next(r for r in range(2, compass.max_row + 1)
               if compass.cell(row=r, column=1).value == compass_id(school, "Autumn 2026"))
    compass.cell(row=row, column=4, value=bm1)
    compass.cell(row=row, column=5, value=100 if bm1 == "Yes" else 60)
    prow = next(r for r in range(2, plan.max_row + 1) if plan.cell(row=r, column=1).value == school)
    plan.cell(row=prow, column=3, value=leader)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_two_schools_entering_compass_results_at_once_both_survive(tmp_path: Path) -> None:
    write_template(load_spec("gatsby-plan"), tmp_path / "base.xlsx")
    base = (tmp_path / "base.xlsx").read_bytes()
    ours, theirs = _enter(base, "NFA", "A. Patel", "Yes"), _enter(base, "RSC", "J. Okafor", "No")
    result = merge_workbooks(base, ours, theirs)
    assert result.merged is not None and result.conflicts == []
    (tmp_path / "merged.xlsx").write_bytes(result.merged)
    plan = read_workbook(tmp_path / "merged.xlsx").plan
    assert plan is not None
    leaders = {sid: plan.header[sid]["Careers Leader"] for sid in ("NFA", "RSC")}
    assert leaders == {"NFA": "A. Patel", "RSC": "J. Okafor"}
    nfa, rsc = plan.results("NFA")["Autumn 2026"], plan.results("RSC")["Autumn 2026"]
    assert (nfa.met(0), nfa.percent[0], rsc.met(0), rsc.percent[0]) == (True, 100, False, 60)
