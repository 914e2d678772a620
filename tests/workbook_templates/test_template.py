"""Template round-trip: build the workbook, save it, read it back with openpyxl: what Excel will see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import quote_sheetname
from openpyxl.utils.protection import hash_password
from openpyxl.workbook.workbook import Workbook

from tests.workbook_templates.helpers import (
    GATSBY,
    GATSBY_LAST_ROW,
    PASSWORD,
    SCOT,
    SCOT_FIRST_FREE,
    SCOT_LAST_ROW,
    build,
    zip_parts,
)
from workbook_templates.reader import read_workbook
from workbook_templates.spec import load_spec
from workbook_templates.template import PASSWORD_ENV, build_workbook, write_template

SCOT_SCHOOLS = [s.sheet for s in load_spec("scottish-tom").schools]
GATSBY_SCHOOLS = [s.sheet for s in load_spec("gatsby-plan").schools]


@pytest.fixture(scope="module")
def scot_wb(scottish_master: Path) -> Workbook:
    return load_workbook(scottish_master)


@pytest.fixture(scope="module")
def gatsby_wb(gatsby_master: Path) -> Workbook:
    return load_workbook(gatsby_master)


def _dv_for(ws, column: str):
    """The data validation covering ``column`` on rows 2.., or None."""
    found = [dv for dv in ws.data_validations.dataValidation
             if any(str(r).startswith(column + "2:") for r in dv.sqref.ranges)]
    assert len(found) <= 1
    return found[0] if found else None


# -- tabs ------------------------------------------------------------------------------------------

def test_tabs_in_order_with_lists_hidden_and_tom_very_hidden(scot_wb: Workbook) -> None:
    assert scot_wb.sheetnames == ["Guide", "Summary", "Master", *SCOT_SCHOOLS, "Lists", "_tom"]
    states = {ws.title: ws.sheet_state for ws in scot_wb.worksheets}
    assert states.pop("Lists") == "hidden"
    assert states.pop("_tom") == "veryHidden"
    assert set(states.values()) == {"visible"}
    assert scot_wb.active.title == "Guide"


def test_guide_explains_rag_and_the_cycle(scot_wb: Workbook) -> None:
    text = "\n".join(str(c.value) for c in scot_wb["Guide"]["A"] if c.value)
    assert text.startswith("DYW / SDS Target Operating Model: Scottish Borders, 2026/27")
    for expected in ("R  Red", "A  Amber", "G  Green", "(blank)  not yet rated", "by day 28",
                     "2026-08", "2027-06", "Roll-up rule: score"):
        assert expected in text
    assert "B  Blue" not in text  # scottish-tom has no B rating


def test_tom_sheet_holds_the_spec_and_a_master_fingerprint(scot_wb: Workbook) -> None:
    spec = load_spec("scottish-tom")
    meta = {row[0]: row[1:] for row in scot_wb["_tom"].iter_rows(values_only=True)}
    assert meta["format"][0] == "tomsync-workbook/1"
    assert meta["spec_name"][0] == "scottish-tom"
    assert meta["master_sha256"][0] == spec.master_fingerprint()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["built_at"][0])
    assert scot_wb["_tom"].protection.sheet is True


def test_reader_gets_the_same_spec_back_from_the_workbook(scottish_master: Path, gatsby_master: Path) -> None:
    for path, name in ((scottish_master, "scottish-tom"), (gatsby_master, "gatsby-plan")):
        data = read_workbook(path)
        assert data.spec == load_spec(name)
        assert data.meta["master_sha256"] == load_spec(name).master_fingerprint()


# -- protection -------------------------------------------------------------------------------------

def test_master_school_and_summary_tabs_are_protected_with_the_password_hash(scot_wb: Workbook) -> None:
    for name in ["Master", "Summary", *SCOT_SCHOOLS]:
        prot = scot_wb[name].protection
        assert prot.sheet is True, name
        assert prot.password == hash_password(PASSWORD), name
        assert prot.password != PASSWORD
    assert scot_wb["Guide"].protection.sheet is True  # read-only guide, no password needed


def test_staff_may_still_sort_and_filter(scot_wb: Workbook) -> None:
    prot = scot_wb[SCOT_SCHOOLS[0]].protection
    assert prot.autoFilter is False and prot.sort is False  # False means "not prevented"
    assert scot_wb[SCOT_SCHOOLS[0]].auto_filter.ref == f"A1:M{SCOT_LAST_ROW}"


def test_clear_password_appears_nowhere_in_the_file(scottish_master: Path) -> None:
    needle = PASSWORD.encode()
    assert needle not in scottish_master.read_bytes()
    parts = zip_parts(scottish_master)
    assert not [name for name, data in parts.items() if needle in data]
    # ... but the legacy hash is there, on every protected tab
    protections = [data for name, data in parts.items() if b"<sheetProtection" in data]
    assert sum(hash_password(PASSWORD).encode() in data for data in protections) == 2 + len(SCOT_SCHOOLS)


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from-the-env-7713")
    path = build("scottish-tom", tmp_path / "env.xlsx", password=None)
    wb = load_workbook(path)
    assert wb["Master"].protection.password == hash_password("from-the-env-7713")
    assert wb[SCOT_SCHOOLS[0]].protection.password == hash_password("from-the-env-7713")
    assert b"from-the-env-7713" not in b"".join(zip_parts(path).values())


def test_explicit_password_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from-the-env")
    wb = build_workbook(load_spec("scottish-tom"), password="given")
    assert wb["Master"].protection.password == hash_password("given")


def test_without_any_password_tabs_are_still_protected(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    wb = load_workbook(write_template(load_spec("scottish-tom"), tmp_path / "open.xlsx"))
    assert wb["Master"].protection.sheet is True
    assert wb["Master"].protection.password is None


def test_master_expectation_cells_locked_and_input_cells_unlocked(scot_wb: Workbook) -> None:
    spec = load_spec("scottish-tom")
    ws = scot_wb["Hawick High"]
    locked = {c.header for c in spec.master_columns}
    assert locked == {"ID", "Theme", "Activity", "Lead", "Audience", "When", "Target"}
    for row in range(2, SCOT_FIRST_FREE):
        for header, letter in SCOT.items():
            assert ws[f"{letter}{row}"].protection.locked is (header in locked), f"{letter}{row}"
    for header in ("Status", "RAG", "Progress notes", "Last updated", "Evidence link", "Updated by"):
        assert ws[f"{SCOT[header]}2"].protection.locked is False


def test_free_rows_are_unlocked_in_every_column(scot_wb: Workbook) -> None:
    ws = scot_wb["Kelso High"]
    for row in (SCOT_FIRST_FREE, 30, SCOT_LAST_ROW):
        for letter in SCOT.values():
            assert ws[f"{letter}{row}"].protection.locked is False, f"{letter}{row}"
    assert ws[f"A{SCOT_LAST_ROW + 1}"].protection.locked is True  # below the free rows: default, locked


def test_master_rows_are_copied_to_each_school_tab(scot_wb: Workbook) -> None:
    spec = load_spec("scottish-tom")
    for sheet in (SCOT_SCHOOLS[0], SCOT_SCHOOLS[-1]):
        ws = scot_wb[sheet]
        assert [c.value for c in ws[1]] == spec.headers
        for i, row in enumerate(spec.master, start=2):
            for header, letter in SCOT.items():
                if header == "Status":
                    assert ws[f"{letter}{i}"].value == "Not started"
                else:
                    assert ws[f"{letter}{i}"].value == row.get(header)
        # own rows come numbered with the school's prefix, and nothing else filled in
        prefix = next(sc.id for sc in spec.schools if sc.sheet == sheet)
        assert ws[f"A{SCOT_FIRST_FREE}"].value == f"{prefix}-01"
        assert ws[f"A{SCOT_FIRST_FREE + 3}"].value == f"{prefix}-04"
        assert ws[f"A{SCOT_LAST_ROW}"].value == f"{prefix}-{spec.free_rows:02d}"
        assert all(ws[f"{letter}{SCOT_FIRST_FREE}"].value is None for h, letter in SCOT.items() if h != "ID")


def test_master_tab_shows_the_expectation_columns_locked(scot_wb: Workbook) -> None:
    ws = scot_wb["Master"]
    assert [c.value for c in ws[1]] == ["ID", "Theme", "Activity", "Lead", "Audience", "When", "Target"]
    assert ws["A2"].value == "M01" and ws["A13"].value == "M12"
    assert ws["C4"].value == "DYW employer input to SDS career education group work"
    assert all(ws[f"{col}{r}"].protection.locked for col in "ABCDEFG" for r in (2, 13))


# -- validation, formatting, layout -----------------------------------------------------------------

@pytest.mark.parametrize("header", ["Theme", "Lead", "When", "Status"])
def test_choice_columns_have_a_dropdown_that_refuses_other_values(scot_wb: Workbook, header: str) -> None:
    ws = scot_wb["Earlston High"]
    dv = _dv_for(ws, SCOT[header])
    assert dv is not None
    assert dv.type == "list"
    assert dv.showErrorMessage is True
    assert dv.allow_blank is True
    assert str(dv.sqref) == f"{SCOT[header]}2:{SCOT[header]}{SCOT_LAST_ROW}"
    name = dv.formula1.lstrip("=")
    ref = scot_wb.defined_names[name].attr_text
    sheet, cells = ref.split("!")
    assert sheet == "'Lists'"
    lists = scot_wb["Lists"]
    values = [c[0].value for c in lists[cells.replace("$", "")]]
    assert tuple(values) == load_spec("scottish-tom").column(header.lower()).choices


def test_rag_column_has_a_dropdown_of_ratings(scot_wb: Workbook, gatsby_wb: Workbook) -> None:
    dv = _dv_for(scot_wb["Selkirk High"], SCOT["RAG"])
    assert (dv.type, dv.formula1, dv.showErrorMessage) == ("list", '"R,A,G"', True)
    for term in ("Autumn 2025", "Summer 2028"):
        dv = _dv_for(gatsby_wb["Riverside School"], GATSBY[term])
        assert (dv.type, dv.formula1, dv.showErrorMessage) == ("list", '"R,A,G,B"', True)


def test_date_columns_refuse_non_dates_and_show_uk_dates(scot_wb: Workbook, gatsby_wb: Workbook) -> None:
    ws = scot_wb["Peebles High"]
    dv = _dv_for(ws, SCOT["Last updated"])
    assert (dv.type, dv.operator, dv.showErrorMessage) == ("date", "between", True)
    assert ws["L2"].number_format == "dd/mm/yyyy" and ws[f"L{SCOT_LAST_ROW}"].number_format == "dd/mm/yyyy"
    assert _dv_for(gatsby_wb["Riverside School"], GATSBY["Last updated"]).type == "date"
    timing = _dv_for(gatsby_wb["Riverside School"], GATSBY["Timing"])  # text, read by the calendar:
    assert timing.type is None and not timing.showErrorMessage  # a prompt of its forms, nothing refused


def test_text_columns_have_no_validation(scot_wb: Workbook) -> None:
    ws = scot_wb["Peebles High"]
    for header in ("Activity", "Progress notes", "Evidence link", "Updated by"):
        assert _dv_for(ws, SCOT[header]) is None
    # the free rows' ID cells only prompt (test_template_prompts.py): any ID may be typed
    checks = [dv for dv in ws.data_validations.dataValidation if dv.type is not None]
    assert all(dv.showErrorMessage for dv in checks)
    (id_prompt,) = [dv for dv in ws.data_validations.dataValidation if dv.type is None]
    assert str(id_prompt.sqref).startswith("A14") and not id_prompt.showErrorMessage


def _cf_rules(ws) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for cf in ws.conditional_formatting:
        out[str(cf.sqref)] = [(r.type, r.operator, r.formula[0]) for r in cf.rules]
    return out


def test_rag_cells_are_coloured_by_conditional_formatting(scot_wb: Workbook) -> None:
    rules = _cf_rules(scot_wb["Jedburgh Grammar"])
    assert set(rules) == {f"I2:I{SCOT_LAST_ROW}"}
    assert rules[f"I2:I{SCOT_LAST_ROW}"] == [("cellIs", "equal", f'"{v}"') for v in "RAGB"]
    cf = next(iter(scot_wb["Jedburgh Grammar"].conditional_formatting))
    fills = [r.dxf.fill.fgColor.rgb[-6:] if r.dxf.fill.fgColor.rgb else r.dxf.fill.bgColor.rgb[-6:]
             for r in cf.rules]
    assert fills[:3] == ["FFC7CE", "FFEB9C", "C6EFCE"]


def test_termly_plan_colours_every_term_and_the_current_rag(gatsby_wb: Workbook) -> None:
    rules = _cf_rules(gatsby_wb["Hollins Grange School"])
    expected = {f"{GATSBY[h]}2:{GATSBY[h]}{GATSBY_LAST_ROW}" for h in GATSBY
                if h.split()[0] in ("Autumn", "Spring", "Summer") or h == "Current RAG"}
    assert set(rules) == expected and len(expected) == 10


def test_header_frozen_and_printed_on_every_page(scot_wb: Workbook) -> None:
    for name in ["Master", *SCOT_SCHOOLS]:
        ws = scot_wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.print_title_rows.replace("$", "") == "1:1", name
        assert ws.page_setup.orientation == "landscape"
    assert scot_wb["Master"]["A1"].font.bold is True


def test_gatsby_plan_has_a_current_rag_formula_column(gatsby_wb: Workbook) -> None:
    ws = gatsby_wb["Northfield Academy"]
    assert ws["X1"].value == "Current RAG"
    for row in (2, 13, GATSBY_LAST_ROW):
        assert ws[f"X{row}"].value == f'=IFERROR(LOOKUP(2,1/(K{row}:S{row}<>""),K{row}:S{row}),"")'
        assert ws[f"X{row}"].protection.locked is True  # derived: nobody types here
    assert ws[f"X{GATSBY_LAST_ROW + 1}"].value is None


def test_single_rag_plan_has_no_current_rag_column(scot_wb: Workbook) -> None:
    assert "Current RAG" not in [c.value for c in scot_wb["Hawick High"][1]]


# -- Summary ---------------------------------------------------------------------------------------

def test_summary_counts_each_school_with_countif(scot_wb: Workbook) -> None:
    ws = scot_wb["Summary"]
    assert [c.value for c in ws[4]][:6] == ["School", "R", "A", "G", "Unrated", "Rows"]
    for row, school in enumerate(SCOT_SCHOOLS, start=5):
        q = quote_sheetname(school)
        rng = f"{q}!$I$2:$I${SCOT_LAST_ROW}"
        assert ws[f"A{row}"].value == school
        na = f',{q}!$H$2:$H${SCOT_LAST_ROW},"<>Not applicable"'
        assert ws[f"B{row}"].value == f'=COUNTIFS({rng},"R"{na})'
        assert ws[f"C{row}"].value == f'=COUNTIFS({rng},"A"{na})'
        assert ws[f"D{row}"].value == f'=COUNTIFS({rng},"G"{na})+COUNTIFS({rng},"B"{na})'
        assert ws[f"E{row}"].value == f"=F{row}-B{row}-C{row}-D{row}"
        ids = f"{q}!$A$2:$A${SCOT_LAST_ROW}"
        only_id = ",".join(f'{q}!${c}$2:${c}${SCOT_LAST_ROW},""' for h, c in SCOT.items() if h != "ID")
        # rows with an ID, less the own rows that hold only their pre-filled ID
        assert ws[f"F{row}"].value == f'=COUNTIFS({ids},"<>"{na})-COUNTIFS({ids},"<>",{only_id})'


def test_summary_native_counts_leave_out_not_applicable_rows_like_the_rollup(scot_wb: Workbook) -> None:
    ws = scot_wb["Summary"]
    status = f"$H$2:$H${SCOT_LAST_ROW}"
    for col in "BCDF":
        formula = ws[f"{col}5"].value
        assert status in formula and "Not applicable" in formula, formula


def test_summary_counts_each_theme_with_sumproduct_countifs(scot_wb: Workbook) -> None:
    ws = scot_wb["Summary"]
    themes = load_spec("scottish-tom").column("theme").choices
    head = 5 + len(SCOT_SCHOOLS) + 1
    assert [c.value for c in ws[head]][:6] == ["Theme", "R", "A", "G", "Unrated", "Rows"]
    for row, theme in enumerate(themes, start=head + 1):
        assert ws[f"A{row}"].value == theme
        for col, rating in (("B", "R"), ("C", "A"), ("D", "G")):
            formula = ws[f"{col}{row}"].value
            assert formula.startswith("=SUMPRODUCT(COUNTIFS(INDIRECT(")
            assert f'$A{row},' in formula and f'"{rating}",' in formula
            assert "list_schools" in formula and f"$I$2:$I${SCOT_LAST_ROW}" in formula
        assert ws[f"F{row}"].value.startswith("=SUMPRODUCT(COUNTIFS(INDIRECT(")
    assert "list_schools" in scot_wb.defined_names
    lists_ref = scot_wb.defined_names["list_schools"].attr_text.split("!")[1].replace("$", "")
    assert [c[0].value for c in scot_wb["Lists"][lists_ref]] == SCOT_SCHOOLS


def test_termly_summary_counts_the_current_rag_column(gatsby_wb: Workbook) -> None:
    ws = gatsby_wb["Summary"]
    assert ws["B5"].value.startswith(f"=COUNTIFS('Northfield Academy'!$X$2:$X${GATSBY_LAST_ROW},\"R\",")
    assert ws["B7"].value.startswith("=COUNTIFS('St Mary''s Catholic High'!")  # apostrophe doubled


def _indirect_prefixes(formula: str) -> list[str]:
    """What INDIRECT gets before the A1 part: the formula's text around list_schools."""
    return re.findall(r'INDIRECT\(("[^"]*"&(?:SUBSTITUTE\()?list_schools[^&]*&"[^"]*!)', formula)


def test_theme_formulas_quote_school_names_with_apostrophes(gatsby_wb: Workbook) -> None:
    ws = gatsby_wb["Summary"]
    formula = ws["B16"].value
    assert _indirect_prefixes(formula), formula
    lists_ref = gatsby_wb.defined_names["list_schools"].attr_text.split("!")[1].replace("$", "")
    for (cell,) in gatsby_wb["Lists"][lists_ref]:
        # What the formula hands INDIRECT for this school, if it takes the list value as it is:
        built = "'" + cell.value + "'!"
        substitutes = "SUBSTITUTE(list_schools" in formula
        assert substitutes or re.fullmatch(r"'(?:[^']|'')+'!", built), built
