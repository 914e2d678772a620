"""The Summary's native formulas, computed by a real spreadsheet engine, equal the Python roll-up.

LibreOffice (headless) recalculates the workbook; the test is skipped where it is not installed
(`apt-get install libreoffice-calc-nogui`), since Excel itself cannot run here.
"""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tomsync.demo.data import build_demo_workbook
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import rollup_workbook
from workbook_templates.spec import load_spec

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")


@pytest.mark.parametrize("spec_name", ["scottish-tom", "gatsby-plan"])
def test_native_summary_counts_match_the_rollup(spec_name: str, tmp_path: Path) -> None:
    source = build_demo_workbook(load_spec(spec_name), tmp_path / "demo.xlsx", "2026-11", date(2026, 11, 27))
    out = tmp_path / "out"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    summary = openpyxl.load_workbook(out / "demo.xlsx", data_only=True)["Summary"]
    computed = {row[0]: tuple(int(v) for v in row[1:5])
                for row in summary.iter_rows(min_row=5, max_col=6, values_only=True)
                if row[0] and isinstance(row[1], int | float)}
    data = read_workbook(source)
    checked = 0
    for by in ("school", "theme"):
        for g in rollup_workbook(data, [by]).groups:
            if g.key[by] in computed:
                assert computed[g.key[by]] == (g.R, g.A, g.G, g.unrated), g.key
                checked += 1
    assert checked >= len(load_spec(spec_name).schools) + 5  # every school and most themes compared
