"""Input variants and personal data (issue 9): one finding for one mistake, at the right cell, with
the value named but never a pupil's details; the roll-up counts what a rating clearly means and
says what it had to leave out."""

from __future__ import annotations

from pathlib import Path

from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from tests.workbook_templates.helpers import edit, findings, set_cells, summary
from tomsync.cli import app
from workbook_templates.reader import read_workbook
from workbook_templates.rollup import left_out, rollup_workbook
from workbook_templates.validate.privacy import mask_personal, shown

runner = CliRunner()


def hawick(path: Path) -> tuple[int, int, int, int]:
    g = next(g for g in rollup_workbook(read_workbook(path), ["school"]).groups
             if g.key["school"] == "Hawick High")
    return g.R, g.A, g.G, g.unrated


def test_rag_words_count_as_their_letter_with_one_warning(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {
        "H2": "Complete", "I2": "Green", "H3": "In progress", "I3": "amber",
        "H4": "In progress", "I4": "RED", "J4": "Behind: employer dropped out",
        "H5": "Complete", "I5": "g", "H6": "In progress", "I6": "r", "J6": "Late start"})
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", f"I{r}", f"M0{r - 1}", "rag-word", "warning")
                              for r in (2, 3, 4)]
    assert found[0].message == "RAG 'Green' is read as G: type the letter G"
    assert found[1].message == "RAG 'amber' is read as A: type the letter A"
    assert hawick(scottish) == (2, 1, 2, 7)  # Red, r / amber / Green, g; 7 rows not rated yet


def test_an_excel_error_is_one_finding_naming_it(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"H2": "In progress", "I2": "#N/A"})  # a cached error value
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", "I2", "M01", "cell-error", "error")]
    assert found[0].message == "RAG shows the Excel error #N/A: correct the formula or type the value"
    assert left_out(read_workbook(scottish)) == ["Hawick High I2: RAG shows #N/A: left out"]


def test_a_formula_with_no_result_is_one_finding(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"H3": "Complete", "I3": '=IF(TRUE,"G","R")'})  # saved with no result
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", "I3", "M02", "formula-no-result", "error")]
    assert "holds a formula with no saved result" in found[0].message
    assert left_out(read_workbook(scottish)) == [
        "Hawick High I3: RAG is a formula with no saved result: left out"]


def test_a_renamed_rag_header_is_one_finding_and_rollup_exits_1(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"I1": "Rating", "H2": "Complete", "I2": "G"}, unprotect=True)
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", "I1", None, "column-missing", "error")]
    assert "(the header there reads 'Rating')" in found[0].message
    result = runner.invoke(app, ["rollup", str(scottish)])
    assert result.exit_code == 1
    assert result.stderr == ("tomsync: rating left out: Hawick High: no 'RAG' column in the header row "
                             "(renamed?): the ratings of 12 row(s) are left out\n")


def test_a_renamed_school_tab_makes_rollup_say_so(scottish: Path) -> None:
    def rename(wb: Workbook) -> None:
        wb["Kelso High"].title = "Kelso HS"
    edit(scottish, rename)
    result = runner.invoke(app, ["rollup", str(scottish)])
    assert result.exit_code == 1
    assert "tomsync: rating left out: Kelso High: the tab is missing, renamed? (tabs not in the spec: " \
           "Kelso HS): its ratings are left out" in result.stderr
    assert runner.invoke(app, ["rollup", str(scottish), "--json"]).exit_code == 1


def test_text_over_excel_s_cell_limit_is_flagged(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"J2": "note " * 7000})  # 35,000 characters
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", "J2", "M01", "text-too-long", "error")]
    assert "reaches Excel's limit of 32,767 characters" in found[0].message


def test_personal_data_is_never_echoed(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {
        "H2": "07700 900123",  # typed in a choice column: the vocabulary error must not repeat it
        "J3": "Pupil SCN 123456789 to follow up",
        "J4": "Lives at TD9 7AB, see office",
        "J5": "Amy Brown (12/03/2010) needs a placement",
        "H6": "x" * 300,  # pasted text: cut
    })
    found = [f for f in findings(scottish) if f.sheet == "Hawick High"]
    assert summary(found) == [("Hawick High", "H2", "M01", "vocabulary", "error"),
                              ("Hawick High", "J3", "M02", "personal-data", "warning"),
                              ("Hawick High", "J4", "M03", "personal-data", "warning"),
                              ("Hawick High", "J5", "M04", "personal-data", "warning"),
                              ("Hawick High", "H6", "M05", "vocabulary", "error")]
    text = "\n".join(f.message for f in found)
    for secret in ("900123", "123456789", "7AB", "12/03/2010"):
        assert secret not in text
    assert found[0].message.startswith("'07700 9•••••' is not allowed in Status")
    assert "a Scottish Candidate Number ('12345••••')" in found[1].message
    assert "a postcode ('TD9 •••')" in found[2].message
    assert "a date of birth next to a name ('12/03/••••')" in found[3].message
    assert found[4].message.startswith("'" + "x" * 40 + "… (300 characters)' is not allowed")


def test_the_masking_rules() -> None:
    assert mask_personal("call jo.bloggs@school.sch.uk now") == "call j••••••••@school.sch.uk now"
    ordinary = "Met 30 pupils on 12/11/2026 in 3 sessions"
    assert mask_personal(ordinary) == ordinary
    assert shown("two\nlines") == "two lines"


def test_rollup_csv_neutralises_formula_text(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"A14": "HAW-01", "B14": "Career guidance", "C14": "Visit",
                                        "D14": "=HYPERLINK(\"http://x\")", "H14": "Complete", "I14": "G"})
    set_cells(scottish, "Kelso High", {"A14": "KEL-01", "B14": "Career guidance", "C14": "Visit",
                                       "D14": "@SUM(1,1)", "H14": "Complete", "I14": "G"})
    result = runner.invoke(app, ["rollup", str(scottish), "--by", "lead", "--csv"])
    lines = result.stdout.splitlines()
    assert any(line.startswith("'@SUM(1,1)") or line.startswith("\"'@SUM(1,1)") for line in lines), lines
    assert not any(line.lstrip('"').startswith(("=", "@", "+", "-")) for line in lines)
