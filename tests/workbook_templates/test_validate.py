"""Validation on real workbooks: each rule of validate.py fires at the right sheet, cell and row ID, alone.

Every test takes a fresh copy of a freshly built workbook, makes exactly one kind of mistake with openpyxl
(the way a person's edit reaches the file), saves it, and reads the findings back.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from tests.workbook_templates.helpers import (
    GATSBY_FIRST_FREE,
    SCOT_FIRST_FREE,
    TODAY,
    edit,
    fill,
    findings,
    rewrite_part,
    set_cells,
    sheet_part,
    summary,
)
from workbook_templates.cells import set_data
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec, loads_spec
from workbook_templates.template import write_template
from workbook_templates.validate import check_row, parse_month, summary_counts, validate

SCOT_SCHOOLS = [s.sheet for s in load_spec("scottish-tom").schools]
F = SCOT_FIRST_FREE  # first free row on a scottish-tom school tab


def own_row(rid: str | None = "HAW-01", theme: str | None = "Employer engagement",
            activity: str | None = "Careers fair with local employers", lead: str | None = "School",
            row: int = F) -> dict[str, str | None]:
    """A school's own activity in a free row, complete unless told otherwise."""
    return {f"A{row}": rid, f"B{row}": theme, f"C{row}": activity, f"D{row}": lead}


# -- a clean workbook -------------------------------------------------------------------------------

def test_fresh_scottish_workbook_has_no_findings(scottish: Path) -> None:
    assert findings(scottish) == []


def test_fresh_gatsby_workbook_has_no_findings(gatsby: Path) -> None:
    assert findings(gatsby) == []


def test_a_properly_filled_school_tab_has_no_findings(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {
        "H2": "Complete", "I2": "G", "J2": "Signed off by SLT on 28 August.",
        "K2": "https://example.sharepoint.com/sites/careers/TOM.pdf", "L2": date(2026, 8, 28), "M2": "DYW",
        "H3": "In progress", "I3": "A", "L3": datetime(2026, 11, 3, 9, 30),
        "H4": "In progress", "I4": "R", "J4": "Employer withdrew; DYW sourcing a replacement.",
        "L4": "12/11/2026",  # a UK date typed as text is still a date
        "H5": "Not started",  # (Not applicable on a master row is an opt-out: test_optout.py)
        "H6": "In progress", "I6": "g",  # lower case is read as G
        **own_row(), f"H{F}": "In progress", f"I{F}": "G", f"L{F}": date(2026, 11, 19),
    })
    assert findings(scottish) == []
    with_month = findings(scottish, month="2026-11")
    assert [f.sheet for f in with_month] == [s for s in SCOT_SCHOOLS if s != "Hawick High"]
    assert {f.rule for f in with_month} == {"stale"}


# -- cell-level rules --------------------------------------------------------------------------------

def test_required_value_missing_in_a_free_row(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", own_row(theme=None))
    assert summary(findings(scottish)) == [("Hawick High", f"B{F}", "HAW-01", "required", "error")]
    assert findings(scottish)[0].message == "Theme is required"


def test_free_row_without_an_id(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", own_row(rid=None))
    assert summary(findings(scottish)) == [("Hawick High", f"A{F}", None, "required", "error")]


def test_free_row_with_only_a_note_needs_its_expectation_columns(scottish: Path) -> None:
    set_cells(scottish, "Earlston High", {f"J{F + 3}": "Extra careers fair planned"})
    assert summary(findings(scottish)) == [  # its ID came pre-filled
        ("Earlston High", f"{col}{F + 3}", "EHS-04", "required", "error") for col in "BCD"]


def test_a_free_row_with_only_its_pre_filled_id_is_not_a_row(scottish: Path) -> None:
    data = read_workbook(scottish)
    assert [r.get("ID") for r in data.schools["Earlston High"].rows] == [m["ID"] for m in data.spec.master]
    set_cells(scottish, "Earlston High", {f"A{F}": None})  # an ID cleared by hand: still no row
    assert findings(scottish) == []


def test_vocabulary_on_master_rows(scottish: Path) -> None:
    set_cells(scottish, "Galashiels Academy", {
        "H3": "Done",  # Status
        "I4": "Rd",  # RAG: read upper-cased, still not R/A/G
        "I5": "B",  # scottish-tom has no B rating
        "I6": "Blue",  # a word for B: still not allowed here, and named as typed
    })
    found = findings(scottish)
    assert summary(found) == [("Galashiels Academy", "H3", "M02", "vocabulary", "error"),
                              ("Galashiels Academy", "I4", "M03", "vocabulary", "error"),
                              ("Galashiels Academy", "I5", "M04", "vocabulary", "error"),
                              ("Galashiels Academy", "I6", "M05", "vocabulary", "error")]
    assert found[0].message == ("'Done' is not allowed in Status (choose one of: Not started, In progress, "
                                "Complete, Not applicable)")
    assert "'RD' is not allowed in RAG" in found[1].message
    assert found[2].message == "'B' is not allowed in RAG (choose one of: R, A, G)"
    assert found[3].message == "'Blue' is not allowed in RAG (choose one of: R, A, G)"


def test_vocabulary_in_a_free_rows_choice_column(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", own_row(lead="Council"))
    found = findings(scottish)
    assert summary(found) == [("Hawick High", f"D{F}", "HAW-01", "vocabulary", "error")]
    assert found[0].message == "'Council' is not allowed in Lead (choose one of: DYW, SDS, Joint, School)"


def test_b_rating_is_allowed_where_the_spec_has_it(gatsby: Path) -> None:
    set_cells(gatsby, "Riverside School", {"F2": "Complete", "G2": "B"})
    assert findings(gatsby) == []


def test_not_a_date(scottish: Path) -> None:
    set_cells(scottish, "Selkirk High", {"L5": "last week"})
    found = findings(scottish)
    assert summary(found) == [("Selkirk High", "L5", "M04", "not-a-date", "error")]
    assert found[0].message == "Last updated must be a date, not 'last week'"


def test_bad_link_is_a_warning(scottish: Path) -> None:
    set_cells(scottish, "Selkirk High", {"K5": "www.example.org/evidence.pdf"})
    assert summary(findings(scottish)) == [("Selkirk High", "K5", "M04", "bad-link", "warning")]


@pytest.fixture(scope="module")
def counted_spec_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small spec with a whole-number column (the shipped specs have none)."""
    spec = loads_spec("""
name = "counted"
title = "Counted TOM"
area = "Testshire"
[session]
label = "2026/27"
start = "2026-08"
end = "2027-06"
[layout]
free_rows = 5
[[schools]]
id = "AAA"
name = "Alpha High"
[[columns]]
header = "ID"
role = "id"
locked = true
[[columns]]
header = "Activity"
required = true
locked = true
[[columns]]
header = "Pupils reached"
kind = "int"
[[columns]]
header = "RAG"
kind = "rag"
[[master]]
ID = "M01"
Activity = "Careers fair"
[[master]]
ID = "M02"
Activity = "Mock interviews"
""")
    return write_template(spec, tmp_path_factory.mktemp("counted") / "counted.xlsx")


def test_not_a_number(counted_spec_workbook: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(counted_spec_workbook.read_bytes())
    set_cells(path, "Alpha High", {
        "C2": 12, "C3": "12",  # a number, and a number typed as text: both fine
        "A4": "A-01", "B4": "Talks", "C4": "lots",
        "A5": "A-02", "B5": "Visits", "C5": 12.5,
    })
    found = findings(path)
    assert summary(found) == [("Alpha High", "C4", "A-01", "not-a-number", "error"),
                              ("Alpha High", "C5", "A-02", "not-a-number", "error")]
    assert found[0].message == "Pupils reached must be a whole number, not 'lots'"


def test_int_column_gets_a_whole_number_validation(counted_spec_workbook: Path) -> None:
    ws = load_workbook(counted_spec_workbook)["Alpha High"]
    (dv,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith("C2")]
    assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert dv.showErrorMessage is True


# -- RAG rules -------------------------------------------------------------------------------------

def test_rag_missing_when_work_has_started(scottish: Path) -> None:
    set_cells(scottish, "Kelso High", {"H7": "In progress", "H8": "Complete",
                                       "H9": "Not started", "H10": "Not applicable"})  # these two: no rating
    found = findings(scottish)
    assert summary(found) == [("Kelso High", "I7", "M06", "rag-missing", "error"),
                              ("Kelso High", "I8", "M07", "rag-missing", "error"),
                              ("Kelso High", "H10", "M09", "opt-out", "error")]
    assert found[0].message == "Status is In progress but the row has no RAG rating"
    assert found[1].message == "Status is Complete but the row has no RAG rating"


def test_red_without_note(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"H5": "In progress", "I5": "R"})
    found = findings(scottish)
    assert summary(found) == [("Hawick High", "J5", "M04", "red-without-note", "error")]
    assert "rated R with no Progress notes" in found[0].message


def test_red_with_a_note_is_fine(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"H5": "In progress", "I5": "R",
                                        "J5": "Off track: staff absence; catch-up agreed for December."})
    assert findings(scottish) == []


# -- the termly plan ---------------------------------------------------------------------------------

def test_termly_plan_uses_the_latest_rated_term(gatsby: Path) -> None:
    set_cells(gatsby, "Northfield Academy", {
        # G1-01: red last term without a note, green now -> fine
        "J2": "In progress", "K2": "R", "L2": "G",
        # G1-02: green in autumn, red in the latest rated term (spring skipped), no note -> red-without-note
        "J3": "In progress", "K3": "G", "M3": "R",
        # G1-03: Complete and rated in autumn only -> rated, fine
        "J4": "Complete", "K4": "A",
        # G2-01: In progress, never rated -> rag-missing, in this term's column (Current RAG is locked)
        "J5": "In progress",
    })
    assert summary(findings(gatsby)) == [
        ("Northfield Academy", "T3", "G1-02", "red-without-note", "error"),
        ("Northfield Academy", "N5", "G2-01", "rag-missing", "error"),
    ]


def test_termly_plan_red_then_green_needs_no_note_but_green_then_red_does(gatsby: Path) -> None:
    set_cells(gatsby, "Riverside School", {"J2": "In progress", "K2": "G", "L2": "R",
                                           "J3": "In progress", "K3": "R", "L3": "G"})
    assert summary(findings(gatsby)) == [("Riverside School", "T2", "G1-01", "red-without-note", "error")]


def test_termly_plan_bad_rating_names_its_term_column(gatsby: Path) -> None:
    set_cells(gatsby, "Westpark Community College", {"Q6": "Amberish"})
    assert summary(findings(gatsby)) == [("Westpark Community College", "Q6", "G2-02", "vocabulary", "error")]
    set_cells(gatsby, "Westpark Community College", {"Q6": "Amber"})  # issue 9: the word is read as A
    assert summary(findings(gatsby)) == [("Westpark Community College", "Q6", "G2-02", "rag-word", "warning")]


def test_termly_free_row_reports_required_benchmark_objective_and_responsible(gatsby: Path) -> None:
    r = GATSBY_FIRST_FREE
    set_cells(gatsby, "Hollins Grange School", {f"A{r}": "HLG-01", f"E{r}": "Year 10 work experience week"})
    assert summary(findings(gatsby)) == [
        ("Hollins Grange School", f"B{r}", "HLG-01", "required", "error"),
        ("Hollins Grange School", f"C{r}", "HLG-01", "required", "error"),
        ("Hollins Grange School", f"F{r}", "HLG-01", "required", "error"),
    ]


def test_responsible_takes_any_text_beside_its_suggestions(gatsby: Path) -> None:
    set_cells(gatsby, "Riverside School", {"F2": "Careers Leader/Website lead (Mr Ahmed's team)"})
    assert findings(gatsby) == []


# -- IDs and master rows -----------------------------------------------------------------------------

def test_duplicate_id_on_one_tab(scottish: Path) -> None:
    set_cells(scottish, "Peebles High", {**own_row("PEE-01"), **own_row("PEE-01", activity="Mock interviews",
                                                                       row=F + 1)})
    found = findings(scottish)
    assert summary(found) == [("Peebles High", f"A{F + 1}", "PEE-01", "duplicate-id", "error")]
    assert f"also row {F}" in found[0].message


def test_same_own_id_on_two_tabs_is_fine(scottish: Path) -> None:
    fill(scottish, {"Peebles High": own_row("OWN-01"), "Selkirk High": own_row("OWN-01")})
    assert findings(scottish) == []


def test_master_wording_changed_on_an_unprotected_school_tab(scottish: Path) -> None:
    def reword(wb: Workbook) -> None:
        ws = wb["Jedburgh Grammar"]
        ws.protection.sheet = False
        ws["C2"] = "DYW and SDS agree the TOM (when we can)"
    edit(scottish, reword)
    found = findings(scottish)
    assert summary(found) == [("Jedburgh Grammar", "C2", "M01", "master-text-changed", "error")]
    assert "must read 'DYW and SDS agree the school's Target Operating Model" in found[0].message
    assert "(found 'DYW and SDS agree the TOM (when we can)')" in found[0].message


def test_master_value_blanked_on_a_school_tab(scottish: Path) -> None:
    set_cells(scottish, "Eyemouth High", {"E3": None, "F9": "Sep"}, unprotect=True)
    assert summary(findings(scottish)) == [
        ("Eyemouth High", "E3", "M02", "master-text-changed", "error"),
        ("Eyemouth High", "F9", "M08", "master-text-changed", "error"),
    ]


def test_master_row_deleted_from_a_school_tab(scottish: Path) -> None:
    def drop(wb: Workbook) -> None:
        ws = wb["Kelso High"]
        ws.protection.sheet = False
        ws.delete_rows(4)  # M03
    edit(scottish, drop)
    found = findings(scottish)
    assert summary(found) == [("Kelso High", "A4", "M03", "master-row-missing", "error")]
    assert found[0].message == "master row M03 is missing from this tab"


def test_master_tab_wording_changed_with_protection_removed(scottish: Path) -> None:
    set_cells(scottish, "Master", {"C4": "Employer talks when convenient"}, unprotect=True)
    found = findings(scottish)
    assert summary(found) == [("Master", "C4", "M03", "master-tampered", "error")]
    assert "'Employer talks when convenient'" in found[0].message


def test_master_tab_row_removed_and_row_added(scottish: Path) -> None:
    def change(wb: Workbook) -> None:
        ws = wb["Master"]
        ws.protection.sheet = False
        ws.delete_rows(13)  # M12
        ws.append(["M99", "Career guidance", "An extra expectation", "SDS"])
    edit(scottish, change)
    assert summary(findings(scottish)) == [
        ("Master", "A13", "M99", "master-tampered", "error"),
        ("Master", "A13", "M12", "master-tampered", "error"),
    ]


def test_edited_hidden_spec_breaks_the_fingerprint(scottish: Path) -> None:
    old = "DYW employer input to SDS career education group work"

    def change(wb: Workbook) -> None:
        ws = wb["_tom"]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and old in cell.value:
                    cell.value = cell.value.replace(old, "DYW employer input when possible")
    edit(scottish, change)
    found = findings(scottish)
    assert ("Master", "A1", None, "master-tampered", "error") in summary(found)
    assert "fingerprint" in found[0].message
    # every tab still holds the real wording, which no longer matches the edited spec
    assert ("Master", "C4", "M03", "master-tampered", "error") in summary(found)
    assert {f.sheet for f in found if f.rule == "master-text-changed"} == set(SCOT_SCHOOLS)


# -- tabs and columns --------------------------------------------------------------------------------

def test_missing_school_tab(scottish: Path) -> None:
    edit(scottish, lambda wb: wb.remove(wb["Kelso High"]))
    found = findings(scottish)
    assert summary(found) == [("Kelso High", "", None, "school-tab-missing", "error")]
    assert "Kelso High (KEL)" in found[0].message


def test_unknown_tab_is_a_warning(scottish: Path) -> None:
    edit(scottish, lambda wb: wb.create_sheet("My notes"))
    assert summary(findings(scottish)) == [("My notes", "", None, "unknown-tab", "warning")]


def test_the_add_in_issues_tab_is_not_unknown(scottish: Path) -> None:
    edit(scottish, lambda wb: wb.create_sheet("Issues"))
    assert findings(scottish) == []


def test_missing_column(scottish: Path) -> None:
    def drop(wb: Workbook) -> None:
        ws = wb["Hawick High"]
        ws.protection.sheet = False
        ws.delete_cols(13)  # Updated by
    edit(scottish, drop)
    found = findings(scottish)
    assert summary(found) == [("Hawick High", "M1", None, "column-missing", "error")]
    assert found[0].message == ("column 'Updated by' is missing from the header row: restore the header as "
                                "the template has it")


def test_renamed_header_is_a_missing_column(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"J1": "Notes"}, unprotect=True)
    found = findings(scottish)  # issue 9: at the header cell where the column belongs, and only once
    assert summary(found) == [("Hawick High", "J1", None, "column-missing", "error")]
    assert found[0].message == ("column 'Progress notes' is missing from the header row (the header there "
                                "reads 'Notes'): restore the header as the template has it")


# -- dates ------------------------------------------------------------------------------------------

def test_future_last_updated(scottish: Path) -> None:
    set_cells(scottish, "Galashiels Academy", {"L3": date(2026, 12, 25)})
    found = findings(scottish, today=TODAY)
    assert summary(found) == [("Galashiels Academy", "L3", "M02", "future-date", "error")]
    assert "25/12/2026 is in the future" in found[0].message
    assert findings(scottish, today=date(2026, 12, 25)) == []  # today itself is not the future


def _date_all_tabs(path: Path, when: dict[str, date | None], hawick: dict[str, Any] | None = None) -> None:
    """Every tab updated on 5 November 2026 (row M01) unless ``when`` says otherwise; more Hawick cells."""
    def change(wb: Workbook) -> None:
        for sheet in SCOT_SCHOOLS:
            ws = wb[sheet]
            ws["H2"], ws["I2"] = "Complete", "G"
            ws["L2"] = when.get(sheet, date(2026, 11, 5))
        for address, value in (hawick or {}).items():
            wb["Hawick High"][address] = value
    edit(path, change)


def test_stale_tab_with_a_month(scottish: Path) -> None:
    _date_all_tabs(scottish, {"Hawick High": date(2026, 10, 15)})
    found = findings(scottish, month="2026-11")
    assert summary(found) == [("Hawick High", "L2", None, "stale", "warning")]
    assert found[0].message == "tab not updated in November 2026 (last updated 15/10/2026)"


def test_not_stale_without_a_month(scottish: Path) -> None:
    _date_all_tabs(scottish, {"Hawick High": date(2026, 10, 15)})
    assert findings(scottish) == []


def test_stale_points_at_the_newest_date_on_the_tab(scottish: Path) -> None:
    _date_all_tabs(scottish, {"Hawick High": date(2026, 9, 1)},
                   hawick={"H6": "In progress", "I6": "A", "L6": date(2026, 10, 30)})
    assert summary(findings(scottish, month="2026-11")) == [("Hawick High", "L6", None, "stale", "warning")]


def test_never_updated_tab_is_stale_once(scottish: Path) -> None:
    _date_all_tabs(scottish, {"Hawick High": None})
    found = findings(scottish, month="2026-11")
    assert summary(found) == [("Hawick High", "L1", None, "stale", "warning")]
    assert "never updated" in found[0].message


def test_a_future_date_does_not_count_as_updated(scottish: Path) -> None:
    _date_all_tabs(scottish, {"Hawick High": date(2027, 1, 10)})
    assert summary(findings(scottish, month="2026-11", today=TODAY)) == [
        ("Hawick High", "L2", "M01", "future-date", "error"),
        ("Hawick High", "L1", None, "stale", "warning"),
    ]


def test_bad_month_is_refused() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)
    for bad in ("2026-13", "Nov 2026", "2026", ""):
        with pytest.raises(ValueError, match="month must be YYYY-MM"):
            parse_month(bad)


# -- formulas and formula-like text ------------------------------------------------------------------

def test_formula_written_by_openpyxl_in_a_text_cell(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"J3": '=HYPERLINK("https://evil.example","Click me")'})
    assert summary(findings(scottish)) == [("Hawick High", "J3", "M02", "formula", "warning")]


def test_formula_is_seen_in_the_file_even_without_a_value(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"J3": '=HYPERLINK("https://evil.example","Click me")'})
    assert read_workbook(scottish).formula_cells == {"Hawick High": {"J3"}}


def test_formula_with_a_cached_value_as_excel_saves_it(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"J3": '=HYPERLINK("https://evil.example","Click me")',
                                        "M4": '=CONCAT("SDS"," adviser")'})
    part = sheet_part(scottish, "Hawick High")

    def cache(xml: str) -> str:  # what Excel writes after calculating: t="str" and a <v>
        empty = r"(?:<v\s*/>|<v></v>)"  # openpyxl writes <v/>, or <v></v> when lxml is installed
        xml = re.sub(r'(<c r="J3"[^>]*)>(<f>[^<]*</f>)' + empty, r'\1 t="str">\2<v>Click me</v>', xml)
        return re.sub(r'(<c r="M4"[^>]*)>(<f>[^<]*</f>)' + empty, r'\1 t="str">\2<v>SDS adviser</v>', xml)
    rewrite_part(scottish, part, cache)
    assert read_workbook(scottish).schools["Hawick High"].rows[1].get("Progress notes") == "Click me"
    found = findings(scottish)
    assert summary(found) == [("Hawick High", "J3", "M02", "formula", "warning"),
                              ("Hawick High", "M4", "M03", "formula", "warning")]
    assert found[0].message == "Progress notes holds a formula; type the text itself"


def test_text_that_excel_would_run_as_a_formula(scottish: Path) -> None:
    texts = {"J8": "=see minutes of the 16+ meeting", "J9": "+ more sessions planned",
             "J10": "-1 session behind", "J11": "@SLT to confirm", "M12": " =SUM(A1:A9)"}

    def write(wb: Workbook) -> None:
        for address, text in texts.items():
            set_data(wb["Selkirk High"][address], text)  # as text, the way tomsync copies what people type
    edit(scottish, write)
    found = findings(scottish)
    assert summary(found) == [("Selkirk High", "J8", "M07", "formula-injection", "warning"),
                              ("Selkirk High", "J9", "M08", "formula-injection", "warning"),
                              ("Selkirk High", "J10", "M09", "formula-injection", "warning"),
                              ("Selkirk High", "J11", "M10", "formula-injection", "warning"),
                              ("Selkirk High", "M12", "M11", "formula-injection", "warning")]
    assert [f.message.split("'")[1] for f in found] == ["=", "+", "-", "@", "="]
    assert found[0].message.startswith("Progress notes starts with '='")
    assert read_workbook(scottish).formula_cells == {}  # stored as text, not as formulas


def test_personal_data_in_notes(scottish: Path) -> None:
    set_cells(scottish, "Eyemouth High", {
        "J4": "Call back jo.bloggs@school.sch.uk about the placement",
        "J5": "Parent asked for a call on 07700 900123 after 4pm",
        "J6": "Ring the employer on +44 7700 900123",
        "J7": "Office line 01896 752111 for the FA provider",
        # ordinary notes with numbers and an @: not personal data
        "J8": "Met 30 pupils on 12/11/2026 in 3 sessions",
        "J9": "Ref 2026-27 plan, room 101, 2 x 45 min",
        "J10": "see @ the 16+ meeting",
    })
    found = findings(scottish)
    assert summary(found) == [("Eyemouth High", f"J{r}", f"M0{r - 1}", "personal-data", "warning")
                              for r in (4, 5, 6, 7)]
    assert "an e-mail address" in found[0].message
    assert all("a phone number" in f.message for f in found[1:])
    assert all("no pupil or personal contact data" in f.message for f in found)


def test_personal_data_in_a_free_rows_updated_by(scottish: Path) -> None:
    set_cells(scottish, "Eyemouth High", {**own_row("EYE-01"), f"M{F}": "jo.bloggs@sds.co.uk"})
    assert summary(findings(scottish)) == [("Eyemouth High", f"M{F}", "EYE-01", "personal-data", "warning")]


# -- several mistakes at once -----------------------------------------------------------------------

def test_findings_come_in_row_order_and_are_counted(scottish: Path) -> None:
    set_cells(scottish, "Berwickshire High", {"I9": "R", "H3": "Done", "L6": "soon",
                                              "J12": "Phone 07700 900123"})
    found = findings(scottish)
    assert summary(found) == [
        ("Berwickshire High", "H3", "M02", "vocabulary", "error"),
        ("Berwickshire High", "L6", "M05", "not-a-date", "error"),
        ("Berwickshire High", "J9", "M08", "red-without-note", "error"),
        ("Berwickshire High", "J12", "M11", "personal-data", "warning"),
    ]
    assert summary_counts(found) == (3, 1)


def test_validate_uses_todays_date_by_default(scottish: Path) -> None:
    set_cells(scottish, "Galashiels Academy", {"L3": date(2099, 1, 1), "L4": date(2001, 1, 1)})
    assert [f.cell for f in validate(read_workbook(scottish)) if f.rule != "overdue"] == ["L3"]


# -- one row -----------------------------------------------------------------------------------------

def test_check_row_gives_the_row_rules_for_the_columns_given() -> None:
    spec = load_spec("scottish-tom")
    headers = ["id", "Status", "RAG", "Progress notes", "Last updated"]  # any case, any subset
    good = check_row(spec, headers, ["HAW-01", "In progress", "G", "On track", date(2026, 11, 3)], TODAY)
    assert good == []  # the columns not given (Theme, Activity ... all required) are not reported
    red = check_row(spec, headers, ["HAW-01", "In progress", "r", None, date(2026, 12, 25)], TODAY)
    assert [(f.rule, f.cell, f.row_id) for f in red] == [("red-without-note", "J2", "HAW-01"),
                                                         ("future-date", "L2", "HAW-01")]
    master = check_row(spec, ["ID", "Activity"], ["M01", "Something else"], TODAY)
    assert [f.rule for f in master] == ["master-text-changed"]


def test_check_row_agrees_with_validate(scottish: Path) -> None:
    set_cells(scottish, "Hawick High", {"A14": "HAW-01", "H14": "Complete", "J14": "=x"}, unprotect=True)
    data = read_workbook(scottish)
    tab = data.schools["Hawick High"]
    row = next(r for r in tab.rows if r.row == 14)
    expected = [(f.rule, f.message) for f in validate(data, today=TODAY)
                if f.sheet == "Hawick High" and f.cell.endswith("14") and f.rule != "formula"]
    got = check_row(data.spec, tab.headers, [row.values.get(h) for h in tab.headers], TODAY)
    assert [(f.rule, f.message) for f in got] == expected and expected
