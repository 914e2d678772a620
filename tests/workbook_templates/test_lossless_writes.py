"""validate --annotate, rollup --write and New month change only their cells: every other part of the
package, every cached formula result, the chart, the threaded comment and the unknown parts stay."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.conftest import MONTH, TODAY
from tests.lossless import (
    FORMULA_TAB,
    RATINGS,
    THREADED_CELL,
    assert_kept,
    calamine_grid,
    changed_cells,
    defined_names,
    rag_column,
    rich_workbook,
    sheet_part,
    zip_parts,
)
from tomsync import cli
from workbook_templates.annotate import annotate_file
from workbook_templates.package import Package
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.surface import PackageSurface
from workbook_templates.validate import validate
from xl_addin.ribbon import new_month

# Parts a write may change: workbook, relationships, content types, styles, the sheets it writes and
# their notes. Anything else (charts, media, custom XML, labels, VBA, ...) must be byte-identical.
WRITABLE = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/sharedStrings.xml", "xl/worksheets/", "xl/comments", "xl/drawings/vmlDrawing",
            "xl/drawings/commentsDrawing"}


@pytest.fixture
def rich(demo: Path, tmp_path: Path) -> Path:
    return rich_workbook(demo, tmp_path / "rich.xlsx")


def counts(path: Path) -> tuple[int, int, int]:
    """R, A, G of the formula tab, as `tomsync rollup` counts them."""
    result = rollup_workbook(read_workbook(path), ["school"])
    g = next(g for g in result.groups if g.key["school"] == FORMULA_TAB)
    return g.R, g.A, g.G


def opens(path: Path) -> None:
    """openpyxl still opens the file; so does LibreOffice when it is installed."""
    load_workbook(path)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        out = path.parent / "lo"
        subprocess.run([soffice, "--headless", "--convert-to", "csv", "--outdir", str(out), str(path)],
                       check=True, capture_output=True, timeout=120)
        assert list(out.glob("*.csv"))


def test_the_fixture_is_what_an_openpyxl_round_trip_breaks(rich: Path, tmp_path: Path) -> None:
    """The issue's example: formula RAG cells roll up to R2 A3 G7; an openpyxl save gives R0 A0 G0."""
    assert rag_column(rich) == RATINGS
    assert counts(rich) == (2, 3, 7)
    wb = load_workbook(rich)
    wb.save(tmp_path / "roundtrip.xlsx")
    assert rag_column(tmp_path / "roundtrip.xlsx") != RATINGS
    assert counts(tmp_path / "roundtrip.xlsx") != (2, 3, 7)
    assert "xl/threadedComments/threadedComment1.xml" not in zip_parts(tmp_path / "roundtrip.xlsx")


def test_annotate_keeps_cached_results_and_unknown_parts(rich: Path) -> None:
    before = rich.read_bytes()
    found = annotate_file(rich, MONTH, TODAY)
    assert found == validate(read_workbook(rich), MONTH, TODAY)  # the file reads as it was annotated
    changed = assert_kept(before, rich, WRITABLE)
    assert rag_column(rich) == RATINGS and counts(rich) == (2, 3, 7)  # was R1 A3 G6 with openpyxl
    # the formula tab differs only in the cells a finding points at
    part = sheet_part(before, FORMULA_TAB)
    targeted = {f.cell for f in found if f.sheet == FORMULA_TAB}
    if part in changed:
        assert changed_cells(zip_parts(before)[part], zip_parts(rich)[part]) <= targeted
    # tabs without findings are untouched
    quiet = {s for s in Package(before).sheet_names()} - {f.sheet for f in found} - {"Issues"}
    for sheet in quiet:
        assert zip_parts(rich)[sheet_part(before, sheet)] == zip_parts(before)[sheet_part(before, sheet)]
    assert defined_names(rich) == defined_names(before)
    pkg = Package(rich.read_bytes())
    assert pkg.sheet_names()[-1] == "Issues"
    assert pkg.value("Issues", "A1") == "Sheet"
    assert len(pkg.grid("Issues")) == len(found) + 1
    first = found[0]
    assert pkg.note(first.sheet, first.cell) and first.message in (pkg.note(first.sheet, first.cell) or "")
    assert load_workbook(rich)[FORMULA_TAB][THREADED_CELL].comment is not None  # the threaded comment's note
    opens(rich)


def test_annotating_twice_replaces_the_issues_tab_in_place(rich: Path) -> None:
    annotate_file(rich, MONTH, TODAY)
    once = rich.read_bytes()
    found = annotate_file(rich, MONTH, TODAY)
    assert Package(rich.read_bytes()).sheet_names().count("Issues") == 1
    assert len(Package(rich.read_bytes()).grid("Issues")) == len(found) + 1
    assert_kept(once, rich, WRITABLE)
    assert rag_column(rich) == RATINGS


def test_rollup_write_touches_only_the_summary_block(rich: Path) -> None:
    before = rich.read_bytes()
    result = CliRunner().invoke(cli.app, ["rollup", str(rich), "--write"])
    assert result.exit_code == 0, result.output
    summary = sheet_part(before, "Summary")
    changed = assert_kept(before, rich, {"xl/styles.xml", summary})
    assert summary in changed
    written = changed_cells(zip_parts(before)[summary], zip_parts(rich)[summary])
    cols = {ref.rstrip("0123456789") for ref in written}
    assert cols <= {"H", "I", "J", "K", "L", "M", "N", "O"}  # the computed block only; A-F formulas kept
    grid = calamine_grid(rich, "Summary")
    assert grid[0][7] == "Rolled-up RAG (rule: score)"
    assert [row[:6] for row in grid] == [row[:6] for row in calamine_grid(before, "Summary")]
    assert rag_column(rich) == RATINGS and counts(rich) == (2, 3, 7)
    opens(rich)


def test_new_month_changes_one_cell_of_the_meta_sheet(rich: Path) -> None:
    before = rich.read_bytes()
    line = new_month(PackageSurface(rich), "2026-12")
    assert "2026-12" in line
    meta = sheet_part(before, "_tom")
    changed = assert_kept(before, rich, {meta})
    assert changed == {meta}
    assert len(changed_cells(zip_parts(before)[meta], zip_parts(rich)[meta])) <= 2
    assert read_workbook(rich).meta.get("cycle") == "2026-12"
    assert rag_column(rich) == RATINGS
    opens(rich)


def _read_only(path: Path) -> None:
    os.chmod(path, stat.S_IREAD)


def test_a_read_only_workbook_is_not_rewritten(rich: Path) -> None:
    before = rich.read_bytes()
    _read_only(rich)
    try:
        for args in (["validate", str(rich), "--annotate", "--month", MONTH],
                     ["rollup", str(rich), "--write"]):
            result = CliRunner().invoke(cli.app, args)
            assert result.exit_code == 2, result.output
            assert "read-only" in result.output and len(result.output.strip().splitlines()) == 1
        assert rich.read_bytes() == before
        assert not [p for p in rich.parent.iterdir() if p.name.endswith(".tmp")]
    finally:
        os.chmod(rich, stat.S_IREAD | stat.S_IWRITE)
