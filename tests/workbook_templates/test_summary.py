"""Summary refresh: `tomsync rollup FILE --write` adds the rolled-up block and keeps everything else."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from tests.workbook_templates.helpers import SCOT_FIRST_FREE, edit, fill, findings, zip_parts
from tomsync.cli import app
from workbook_templates import atomic
from workbook_templates.layout import RAG_FILLS
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.summary import write_summary, write_summary_file
from workbook_templates.summary import write_summary_file as roll_up_file
from workbook_templates.surface import OpenpyxlSurface

F = SCOT_FIRST_FREE
FILLED = {  # valid entries only, so the workbook validates clean before and after the refresh
    "Berwickshire High": {"H2": "Complete", "I2": "G", "H3": "In progress", "I3": "G", "H4": "In progress",
                          "I4": "G", "H5": "In progress", "I5": "A"},
    "Earlston High": {"H2": "In progress", "I2": "G", "H3": "In progress", "I3": "A", "H4": "In progress",
                      "I4": "R", "J4": "Employer withdrew; replacement being sourced."},
    "Eyemouth High": {"H2": "In progress", "I2": "R", "J2": "SLT meeting moved to December.",
                      "H3": "In progress", "I3": "R", "J3": "No update since September.", "I4": "A"},
}
RAG_FILL = {"R": "FFC7CE", "A": "FFEB9C", "G": "C6EFCE"}


@pytest.fixture
def filled(scottish: Path) -> Path:
    fill(scottish, FILLED)
    os.chmod(scottish, 0o644)
    return scottish


def rollup(*args: str) -> Any:
    result = CliRunner().invoke(app, ["rollup", *args])
    assert "Traceback" not in result.output
    return result


def snapshot(path: Path) -> dict[str, Any]:
    """Everything the refresh must keep: per tab protection, validation, formatting, layout; formulas."""
    wb = load_workbook(path)
    tabs = {}
    for ws in wb.worksheets:
        tabs[ws.title] = {
            "state": ws.sheet_state,
            "protected": ws.protection.sheet,
            "password": ws.protection.password,
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.showErrorMessage)
                                  for dv in ws.data_validations.dataValidation),
            "formatting": sorted((str(cf.sqref), r.type, r.operator, tuple(r.formula or ()))
                                 for cf in ws.conditional_formatting for r in cf.rules),
            "freeze": ws.freeze_panes,
            "print_titles": ws.print_title_rows,
            "locked": [(c.coordinate, c.protection.locked)
                       for row in ws.iter_rows(min_row=1, max_row=16, max_col=13) for c in row],
            # A-G: the data, and on the Summary the native formulas
            "values": [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=60, max_col=7)],
        }
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    return {"tabs": tabs, "names": names, "order": wb.sheetnames}


def block(path: Path) -> list[list[Any]]:
    ws = load_workbook(path)["Summary"]
    rows = ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=8, max_col=13)
    return [[c.value for c in row] for row in rows]


def test_write_refreshes_the_summary_and_keeps_everything_else(filled: Path) -> None:
    before = snapshot(filled)
    before_findings = findings(filled)
    assert before_findings == []
    result = rollup(str(filled), "--write")
    assert result.exit_code == 0, result.output
    assert f"refreshed the Summary tab of {filled}" in result.stdout.replace("\n", "")
    after = snapshot(filled)
    assert after == before  # protection, validation, formatting, names, native formulas: all kept
    native = after["tabs"]["Summary"]["values"][4][1]
    assert native.startswith("=COUNTIFS('Berwickshire High'!$I$2:$I$53,\"R\"")
    assert findings(filled) == before_findings


def test_write_keeps_the_password_hash_in_the_file(filled: Path) -> None:
    def hashes(path: Path) -> list[bytes]:
        return sorted(data[data.index(b"<sheetProtection"):][:400] for data in zip_parts(path).values()
                      if b"<sheetProtection" in data)
    before = hashes(filled)
    assert rollup(str(filled), "--write").exit_code == 0
    assert hashes(filled) == before


def test_write_puts_the_rolled_up_block_beside_the_native_counts(filled: Path) -> None:
    assert rollup(str(filled), "--write").exit_code == 0
    rows = block(filled)
    assert rows[0][0] == "Rolled-up RAG (rule: score)"
    assert rows[1][0].startswith("Refreshed ") and rows[1][0].endswith(" UTC by tomsync")
    assert rows[3] == ["School", "R", "A", "G", "Unrated", "RAG"]
    assert rows[4] == ["Berwickshire High", 0, 1, 3, 8, "G"]
    assert rows[5] == ["Earlston High", 1, 1, 1, 9, "A"]
    assert rows[6] == ["Eyemouth High", 2, 1, 0, 9, "R"]
    assert rows[7] == ["Galashiels Academy", 0, 0, 0, 12, None]  # no rating: an empty cell
    assert rows[13] == ["All", 3, 3, 4, 98, "A"]  # 5.5 / 10 = 0.55
    ws = load_workbook(filled)["Summary"]
    for row, rag in ((5, "G"), (6, "A"), (7, "R"), (14, "A")):
        assert ws[f"M{row}"].fill.fgColor.rgb[-6:] == RAG_FILL[rag]
    assert ws["H14"].font.bold is True


def test_write_by_school_and_theme_then_by_school_leaves_no_old_rows(filled: Path) -> None:
    assert rollup(str(filled), "--write", "--by", "school,theme", "--rule", "worst").exit_code == 0
    rows = block(filled)
    assert rows[0][0] == "Rolled-up RAG (rule: worst)"
    assert rows[3][0] == "School / Theme"
    assert rows[4] == ["Berwickshire High / Planning and alignment", 0, 0, 2, 0, "G"]
    assert len(rows) > 60
    assert rollup(str(filled), "--write").exit_code == 0
    rows = block(filled)
    assert rows[0][0] == "Rolled-up RAG (rule: score)"
    assert rows[13][0] == "All"
    assert all(v is None for row in rows[14:] for v in row)  # the longer old block is gone


def test_write_with_json_prints_and_refreshes(filled: Path) -> None:
    result = rollup(str(filled), "--write", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["groups"][0]["key"] == {"school": "Berwickshire High"}
    assert block(filled)[4][0] == "Berwickshire High"


def test_write_replaces_the_file_atomically(filled: Path) -> None:
    inode = filled.stat().st_ino
    assert rollup(str(filled), "--write").exit_code == 0
    assert sorted(os.listdir(filled.parent)) == [filled.name]  # no temporary file left behind
    assert filled.stat().st_ino != inode  # a new file renamed into place, not rewritten in place
    read_workbook(filled)


def test_write_keeps_the_files_permissions(filled: Path) -> None:
    assert rollup(str(filled), "--write").exit_code == 0
    assert stat.S_IMODE(filled.stat().st_mode) == 0o644  # a shared workbook stays readable by others
    os.chmod(filled, 0o640)
    assert rollup(str(filled), "--write").exit_code == 0
    assert stat.S_IMODE(filled.stat().st_mode) == 0o640


def test_a_failed_save_leaves_the_workbook_untouched(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = filled.read_bytes()
    result = rollup_workbook(read_workbook(filled), ["school"])

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        roll_up_file(filled, [result])
    assert filled.read_bytes() == original
    assert os.listdir(filled.parent) == [filled.name]


def test_write_to_a_workbook_without_summary_exits_2(filled: Path) -> None:
    edit(filled, lambda wb: wb.remove(wb["Summary"]))
    result = CliRunner().invoke(app, ["rollup", str(filled), "--write"])
    assert result.exit_code == 2
    assert "no Summary tab" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_library_refresh_refuses_a_workbook_without_summary(filled: Path) -> None:
    result = rollup_workbook(read_workbook(filled), ["school"])

    def drop(wb: Workbook) -> None:
        wb.remove(wb["Summary"])
    edit(filled, drop)
    before = filled.read_bytes()
    with pytest.raises(ValueError, match="no Summary tab to refresh"):
        roll_up_file(filled, [result])
    assert filled.read_bytes() == before


# -- the computed block through a surface (the ribbon's Roll up and `rollup --write`) --------------

def summary_block(path: Path) -> list[tuple[object, str | None, bool | None]]:
    ws = load_workbook(path)["Summary"]
    return [(c.value, rgb(c), c.font.b) for row in ws.iter_rows(min_row=1, max_row=60, min_col=8, max_col=15)
            for c in row]


def test_write_summary_writes_the_rolled_up_tables(demo: Path) -> None:
    data = read_workbook(demo)
    results = [rollup_workbook(data, ["school"]), rollup_workbook(data, ["theme"])]
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    surface = OpenpyxlSurface(demo)
    write_summary(surface, results, when)
    surface.save()
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: score)" and ws["H1"].font.b
    assert ws["H2"].value == "Refreshed 2026-11-20 09:30 UTC by tomsync"
    assert [c.value for c in ws[4][7:13]] == ["School", "R", "A", "G", "Unrated", "RAG"]
    for offset, g in enumerate(results[0].groups, start=5):
        assert [c.value for c in ws[offset][7:13]] == [g.key["school"], g.R, g.A, g.G, g.unrated, g.rag]
        if g.rag:
            assert rgb(ws.cell(row=offset, column=13)) == RAG_FILLS[g.rag][0]
    all_row = 5 + len(results[0].groups)
    overall = results[0].overall
    assert [c.value for c in ws[all_row][7:13]] == ["All", overall.R, overall.A, overall.G, overall.unrated,
                                                     overall.rag]


def test_write_summary_file_is_the_cli_shell(demo: Path) -> None:
    data = read_workbook(demo)
    write_summary_file(demo, [rollup_workbook(data, ["lead"], "worst")])
    ws = load_workbook(demo)["Summary"]
    assert ws["H1"].value == "Rolled-up RAG (rule: worst)" and ws["H4"].value == "Lead"




def rgb(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    if fill is None or fill.fill_type is None:
        return None
    return str(fill.fgColor.rgb)[-6:]
