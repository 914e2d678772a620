"""Three-way merge on real .xlsx files written with openpyxl and read back."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

import sync.merge as merge_module
from sync.merge import CONFLICTS_SHEET, Conflict, conflict_copy, merge_workbooks, values_equal

HEADERS = ["ID", "Activity", "Lead", "Status", "Notes", "Check"]
MASTER = [
    ("M01", "Agree the TOM by end of August", "Joint"),
    ("M02", "Monthly update of the TOM", "Joint"),
    ("M03", "DYW employer input to SDS group work", "DYW"),
]
SCHOOLS = {"Hawick High": "HAW", "Kelso High": "KEL"}
FREE_ROWS = 4  # rows 6..9 on a school tab
FREE_FILL = "FFFFF2CC"
PASSWORD = "s3cret"


def _check(r: int) -> str:
    """A template formula present on every data row, free rows included (like "Current RAG")."""
    return f'=IF(D{r}="","",D{r})'


def build_base() -> bytes:
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = "Guide"
    guide["A1"] = "How to fill in this workbook"
    guide["A2"] = "Update your school's tab every month."

    master = wb.create_sheet("Master")
    master.append(HEADERS[:3])
    for row in MASTER:
        master.append(list(row))
    master.protection.sheet = True
    master.protection.password = PASSWORD

    for school, prefix in SCHOOLS.items():
        ws = wb.create_sheet(school)
        ws.append(HEADERS)
        rows = [(*m, "Not started", None) for m in MASTER]
        rows.append((f"{prefix}-01", "Careers fair", "School", "In progress", "booked hall"))
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                ws.cell(row=r, column=c, value=value)
            ws.cell(row=r, column=6, value=_check(r))
        last = len(rows) + 1 + FREE_ROWS
        for r in range(len(rows) + 2, last + 1):
            for c in range(1, len(HEADERS) + 1):
                cell = ws.cell(row=r, column=c)
                cell.fill = PatternFill("solid", fgColor=FREE_FILL)
                cell.protection = Protection(locked=False)
            ws.cell(row=r, column=6, value=_check(r))
        dv = DataValidation(type="list", formula1='"Not started,In progress,Complete"', allow_blank=True)
        dv.showErrorMessage = True
        dv.add(f"D2:D{last}")
        ws.add_data_validation(dv)
        green = PatternFill("solid", fgColor="FFC6EFCE")
        ws.conditional_formatting.add(
            f"D2:D{last}", CellIsRule(operator="equal", formula=['"Complete"'], fill=green)
        )
        ws.auto_filter.ref = f"A1:F{last}"
        ws.protection.sheet = True
        ws.protection.password = PASSWORD

    summary = wb.create_sheet("Summary")
    summary.append(["School", "Complete"])
    for school in SCHOOLS:
        summary.append([school, f"=COUNTIF('{school}'!D2:D9,\"Complete\")"])
    lists = wb.create_sheet("Lists")
    for value in ("Not started", "In progress", "Complete"):
        lists.append([value])
    lists.sheet_state = "hidden"
    tom = wb.create_sheet("_tom")
    tom.append(["spec", "scottish-borders"])
    tom.sheet_state = "veryHidden"
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def load(data: bytes) -> Workbook:
    return load_workbook(BytesIO(data))


def edit(data: bytes, fn: Callable[[Workbook], None]) -> bytes:
    wb = load(data)
    fn(wb)
    return _save(wb)


def row_of(ws: Worksheet, ident: str) -> int:
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == ident:
            return r
    raise AssertionError(f"{ident} not on {ws.title}")


def value(ws: Worksheet, ident: str, header: str) -> object:
    headers = [c.value for c in ws[1]]
    return ws.cell(row=row_of(ws, ident), column=headers.index(header) + 1).value


def setv(wb: Workbook, sheet: str, ident: str, header: str, new: object) -> None:
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(row=row_of(ws, ident), column=headers.index(header) + 1, value=new)


def fill_row(ws: Worksheet, r: int, values: list[object]) -> None:
    for c, v in enumerate(values, start=1):
        ws.cell(row=r, column=c).value = v  # cell(..., value=None) would not clear


@pytest.fixture(scope="module")
def base() -> bytes:
    return build_base()


def assert_formatting_kept(ws: Worksheet, free_row: int = 8) -> None:
    assert ws.protection.sheet is True
    assert ws.protection.password  # the stored hash
    assert ws.protection.password == load(build_base())[ws.title].protection.password
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1 and f"D{free_row}" in dvs[0].sqref and dvs[0].showErrorMessage
    cell = ws.cell(row=free_row, column=2)
    assert cell.fill.fgColor.rgb == FREE_FILL
    assert cell.protection.locked is False


# ------------------------------------------------------------------------------------ clean merges


def test_disjoint_edits_merge_and_keep_protection_validation_fills(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        setv(wb, "Hawick High", "M01", "Status", "Complete")

    def theirs_(wb: Workbook) -> None:
        setv(wb, "Hawick High", "M01", "Notes", "agreed 28 Aug")  # same row, other cell
        setv(wb, "Hawick High", "M02", "Status", "In progress")  # other row
        setv(wb, "Kelso High", "M03", "Status", "Complete")  # other school

    result = merge_workbooks(base, edit(base, mine), edit(base, theirs_))
    assert result.conflicts == [] and result.warnings == []
    assert result.merged is not None
    wb = load(result.merged)
    haw, kel = wb["Hawick High"], wb["Kelso High"]
    assert value(haw, "M01", "Status") == "Complete"
    assert value(haw, "M01", "Notes") == "agreed 28 Aug"
    assert value(haw, "M02", "Status") == "In progress"
    assert value(kel, "M03", "Status") == "Complete"
    assert result.changes == ["Hawick High!D2 [M01] Status: 'Not started' -> 'Complete'"]
    for ws in (haw, kel):
        assert_formatting_kept(ws)
    assert wb["Master"].protection.sheet is True
    assert wb["Lists"].sheet_state == "hidden" and wb["_tom"].sheet_state == "veryHidden"
    assert haw["F2"].data_type == "f" and wb["Summary"]["B2"].data_type == "f"


def test_identical_edits_on_both_sides_are_no_conflict(base: bytes) -> None:
    def both(wb: Workbook) -> None:
        setv(wb, "Kelso High", "M02", "Status", "Complete")

    result = merge_workbooks(base, edit(base, both), edit(base, both))
    assert result.conflicts == [] and result.merged is not None and result.changes == []
    assert value(load(result.merged)["Kelso High"], "M02", "Status") == "Complete"


def test_values_compare_normalised(base: bytes) -> None:
    assert values_equal(None, "") and values_equal("  ", None)
    assert values_equal(5, 5.0) and not values_equal(5, 6)
    assert values_equal(datetime(2024, 9, 1), date(2024, 9, 1))
    assert values_equal(datetime(2024, 9, 1, 10, 30), date(2024, 9, 1))
    assert not values_equal(datetime(2024, 9, 1), date(2024, 9, 2))
    assert not values_equal(True, 1)
    assert values_equal("=SUM(A1:A3)", "=SUM(A1:A3)") and not values_equal("=SUM(A1)", "=SUM(A2)")

    base2 = edit(base, lambda wb: wb["Guide"].__setitem__("B2", 5))

    def ours_(wb: Workbook) -> None:  # rewrites that change nothing a person sees
        ws = wb["Guide"]
        ws["B1"], ws["B2"], ws["B3"] = "", 5.0, date(2024, 9, 1)

    def theirs_(wb: Workbook) -> None:
        wb["Guide"]["B3"] = datetime(2024, 9, 1)

    result = merge_workbooks(base2, edit(base2, ours_), edit(base2, theirs_))
    assert result.conflicts == [] and result.changes == []


# ---------------------------------------------------------------------------------------- rows


def test_rows_added_on_both_sides_both_survive(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        fill_row(wb["Hawick High"], 6, ["HAW-02", "Mock interviews", "DYW", "In progress"])

    def theirs_(wb: Workbook) -> None:
        fill_row(wb["Hawick High"], 6, ["HAW-03", "College taster day", "SDS", "Not started"])

    result = merge_workbooks(base, edit(base, mine), edit(base, theirs_))
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert row_of(ws, "HAW-03") == 6  # theirs stays where it was
    assert row_of(ws, "HAW-02") == 7  # ours goes into the next empty formatted row
    assert [c.value for c in ws[7]][:4] == ["HAW-02", "Mock interviews", "DYW", "In progress"]
    assert ws["F7"].value == _check(7) and ws["F7"].data_type == "f"  # theirs' template formula untouched
    assert_formatting_kept(ws, free_row=7)
    assert "Hawick High: added row 7 [HAW-02]" in result.changes


def test_the_same_free_row_filled_without_ids_on_both_sides_keeps_both(base: bytes) -> None:
    ours = edit(base, lambda wb: fill_row(wb["Hawick High"], 6, [None, "Assembly talk"]))
    theirs = edit(base, lambda wb: fill_row(wb["Hawick High"], 6, [None, "Employer breakfast"]))
    result = merge_workbooks(base, ours, theirs)
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert (ws["B6"].value, ws["B7"].value) == ("Employer breakfast", "Assembly talk")
    # typed identically on both sides: one row, not two
    result = merge_workbooks(base, ours, ours)
    assert result.merged is not None and load(result.merged)["Hawick High"]["B7"].value is None


def test_new_rows_are_appended_with_formatting_when_no_free_rows_left(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        fill_row(wb["Kelso High"], 6, ["KEL-02", "Parents' evening stall", "Joint"])

    def theirs_(wb: Workbook) -> None:
        for i, r in enumerate(range(6, 6 + FREE_ROWS), start=10):
            fill_row(wb["Kelso High"], r, [f"KEL-{i}", "theirs", "SDS"])

    result = merge_workbooks(base, edit(base, mine), edit(base, theirs_))
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Kelso High"]
    assert row_of(ws, "KEL-02") == 10 and ws["B10"].value == "Parents' evening stall"
    assert all(row_of(ws, f"KEL-{i}") == r for i, r in zip(range(10, 14), range(6, 10), strict=True))
    assert_formatting_kept(ws, free_row=10)
    (cf,) = list(ws.conditional_formatting)
    assert "D10" in cf.sqref and "D9" in cf.sqref and "D11" not in cf.sqref
    assert ws.auto_filter.ref == "A1:F10"


def test_theirs_inserted_a_row_above_and_our_edit_lands_on_the_right_id(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        setv(wb, "Hawick High", "M03", "Notes", "two employers booked")  # row 4 in ours

    def theirs_(wb: Workbook) -> None:
        ws = wb["Hawick High"]
        ws.insert_rows(2)
        fill_row(ws, 2, ["M00", "New minimum expectation", "Joint", "Not started"])

    result = merge_workbooks(base, edit(base, mine), edit(base, theirs_))
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert row_of(ws, "M03") == 5
    assert value(ws, "M03", "Notes") == "two employers booked"
    assert value(ws, "M02", "Notes") is None and ws["E4"].value is None
    assert result.changes == ["Hawick High!E5 [M03] Notes: None -> 'two employers booked'"]


def test_theirs_inserted_a_column_and_our_edit_lands_under_its_header(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        setv(wb, "Hawick High", "HAW-01", "Notes", "hall confirmed")

    def theirs_(wb: Workbook) -> None:
        ws = wb["Hawick High"]
        ws.insert_cols(3)
        ws["C1"] = "Audience"

    result = merge_workbooks(base, edit(base, mine), edit(base, theirs_))
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert ws["F5"].value == "hall confirmed" and value(ws, "HAW-01", "Notes") == "hall confirmed"


def test_an_id_edited_in_place_is_the_same_row(base: bytes) -> None:
    ours = edit(base, lambda wb: setv(wb, "Hawick High", "HAW-01", "ID", "HAW-1"))
    theirs = edit(base, lambda wb: setv(wb, "Hawick High", "HAW-01", "Notes", "hall booked twice"))
    result = merge_workbooks(base, ours, theirs)
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert row_of(ws, "HAW-1") == 5 and value(ws, "HAW-1", "Notes") == "hall booked twice"
    assert ws["A6"].value is None


def test_a_row_we_cleared_is_cleared_unless_they_edited_it(base: bytes) -> None:
    def clear(wb: Workbook) -> None:
        fill_row(wb["Hawick High"], 5, [None] * 5)  # HAW-01 gone; the template formula stays

    result = merge_workbooks(base, edit(base, clear), base)
    assert result.conflicts == [] and result.merged is not None
    ws = load(result.merged)["Hawick High"]
    assert [c.value for c in ws[5]][:5] == [None] * 5 and ws["F5"].value == _check(5)
    assert result.changes == ["Hawick High: cleared row 5 [HAW-01]"]

    theirs = edit(base, lambda wb: setv(wb, "Hawick High", "HAW-01", "Notes", "moved to May"))
    result = merge_workbooks(base, edit(base, clear), theirs)
    assert result.merged is None
    assert result.conflicts == [Conflict("Hawick High", "E5", "HAW-01", "booked hall", None, "moved to May")]


# ------------------------------------------------------------------------------------- conflicts


def test_same_cell_changed_both_ways_is_a_conflict_and_conflict_copy_lists_it(base: bytes) -> None:
    ours = edit(base, lambda wb: setv(wb, "Kelso High", "M02", "Status", "Complete"))
    theirs = edit(base, lambda wb: setv(wb, "Kelso High", "M02", "Status", "In progress"))
    result = merge_workbooks(base, ours, theirs)
    assert result.merged is None
    assert result.conflicts == [Conflict("Kelso High", "D3", "M02", "Not started", "Complete", "In progress")]

    copy = load(conflict_copy(ours, result.conflicts))
    ws = copy[CONFLICTS_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows == [
        ["Sheet", "Cell", "Row ID", "Base", "Ours", "Theirs"],
        ["Kelso High", "D3", "M02", "Not started", "Complete", "In progress"],
    ]
    assert copy.active is not None and copy.active.title == CONFLICTS_SHEET
    assert value(copy["Kelso High"], "M02", "Status") == "Complete"  # still ours
    assert copy["Kelso High"].protection.sheet is True

    # the person resolves in the copy and merges again against the remote: the Conflicts sheet stays home
    resolved = edit(conflict_copy(ours, result.conflicts), lambda wb: None)
    again = merge_workbooks(theirs, resolved, theirs)
    assert again.merged is not None and CONFLICTS_SHEET not in load(again.merged).sheetnames


def test_same_new_id_added_differently_on_both_sides_conflicts(base: bytes) -> None:
    ours = edit(base, lambda wb: fill_row(wb["Hawick High"], 6, ["HAW-02", "Mock interviews"]))
    theirs = edit(base, lambda wb: fill_row(wb["Hawick High"], 7, ["HAW-02", "Mock exams"]))
    result = merge_workbooks(base, ours, theirs)
    assert result.conflicts == [
        Conflict("Hawick High", "B6", "HAW-02", None, "Mock interviews", "Mock exams")
    ]


def test_sheets_deleted_on_one_side_and_edited_or_kept_on_the_other_conflict(base: bytes) -> None:
    ours = edit(base, lambda wb: setv(wb, "Kelso High", "M01", "Status", "Complete"))
    theirs = edit(base, lambda wb: wb.remove(wb["Kelso High"]))
    result = merge_workbooks(base, ours, theirs)
    assert result.merged is None and [(c.sheet, c.theirs) for c in result.conflicts] == [
        ("Kelso High", "(sheet deleted)")
    ]
    # deleted by them, untouched by us: stays deleted
    result = merge_workbooks(base, base, theirs)
    assert result.merged is not None and "Kelso High" not in load(result.merged).sheetnames
    # deleted by us: never silently
    result = merge_workbooks(base, theirs, base)
    assert result.merged is None and result.conflicts[0].ours == "(sheet deleted)"


# ------------------------------------------------------------------------------- sheets, formulas


def test_a_sheet_added_by_us_is_copied_next_to_its_neighbour(base: bytes) -> None:
    def mine(wb: Workbook) -> None:
        ws = wb.create_sheet("Jedburgh Grammar", wb.sheetnames.index("Kelso High") + 1)
        ws.append(HEADERS[:3])
        ws.append(["M01", "Agree the TOM by end of August", "Joint"])

    theirs = edit(base, lambda wb: setv(wb, "Hawick High", "M01", "Status", "Complete"))
    result = merge_workbooks(base, edit(base, mine), theirs)
    assert result.merged is not None
    wb = load(result.merged)
    assert wb.sheetnames.index("Jedburgh Grammar") == wb.sheetnames.index("Kelso High") + 1
    assert wb["Jedburgh Grammar"]["B2"].value == "Agree the TOM by end of August"
    assert value(wb["Hawick High"], "M01", "Status") == "Complete"
    assert wb.active is not None and wb.active.title == "Guide"
    assert "added sheet 'Jedburgh Grammar' (6 cells, values only)" in result.changes


def _sheet_xml(data: bytes, wb: Workbook, title: str) -> str:
    index = wb.sheetnames.index(title) + 1
    with zipfile.ZipFile(BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode()


def test_a_formula_typed_by_staff_stays_text(base: bytes) -> None:
    link = '=HYPERLINK("http://example.invalid/x","evidence")'

    def mine(wb: Workbook) -> None:
        setv(wb, "Hawick High", "HAW-01", "Notes", link)  # saved as a real formula, as Excel would
        fill_row(wb["Hawick High"], 6, ["HAW-02", "=1+1"])
        assert wb["Hawick High"]["E5"].data_type == "f"

    theirs = edit(base, lambda wb: setv(wb, "Kelso High", "M01", "Status", "Complete"))
    result = merge_workbooks(base, edit(base, mine), theirs)
    assert result.merged is not None
    wb = load(result.merged)
    ws = wb["Hawick High"]
    assert ws["E5"].value == link and ws["E5"].data_type == "s"
    assert ws["B6"].value == "=1+1" and ws["B6"].data_type == "s"
    xml = _sheet_xml(result.merged, wb, "Hawick High")
    assert "HYPERLINK" in xml and not re.search(r"<f>[^<]*HYPERLINK", xml)
    assert re.search(r'<c r="E5"[^>]*t="inlineStr"', xml)
    assert re.search(r'<c r="F5"[^>]*><f>', xml)  # the template's own formula is still a formula
    # and a second round trip (the merged file as the next base/theirs) keeps it text
    again = merge_workbooks(result.merged, result.merged, result.merged)
    assert again.merged is not None and load(again.merged)["Hawick High"]["E5"].data_type == "s"


def test_formula_sheets_keep_our_formulas(base: bytes) -> None:
    ours = edit(base, lambda wb: wb["Summary"].__setitem__("C2", "=B2*2"))
    plain = merge_workbooks(base, ours, base)
    kept = merge_workbooks(base, ours, base, formula_sheets={"Summary"})
    assert plain.merged is not None and kept.merged is not None
    assert load(plain.merged)["Summary"]["C2"].data_type == "s"
    assert load(kept.merged)["Summary"]["C2"].data_type == "f"


# ----------------------------------------------------------------------------------- the reader


def _crafted_workbook() -> bytes:
    """A workbook whose first sheet is hand-written XML with what Excel writes and openpyxl does not:
    shared strings (rich too), shared formulas, cells and rows without addresses, booleans, errors."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B1"] = datetime(2024, 9, 1, 0, 0), timedelta(hours=30)
    ws["C1"] = 1.5
    data = _save(wb)
    with zipfile.ZipFile(BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    s_date = re.search(r'<c r="A1" s="(\d+)"', xml)
    s_span = re.search(r'<c r="B1" s="(\d+)"', xml)
    assert s_date and s_span
    rows = (
        f'<row r="1"><c r="A1" s="{s_date[1]}"><v>45536</v></c><c r="B1" s="{s_span[1]}"><v>1.25</v></c>'
        '<c r="C1" t="s"><v>0</v></c><c r="D1" t="s"><v>1</v></c><c r="E1" t="b"><v>1</v></c>'
        '<c r="F1" t="e"><v>#N/A</v></c><c r="G1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>'
        '<row r="3"><c r="A3"><f t="shared" ref="A3:A5" si="0">B3*2</f><v>2</v></c><c r="B3"><v>1</v></c>'
        '<c r="C3"><f t="array" ref="C3:C4">SUM(B3:B4*2)</f><v>4</v></c><c r="D3"><v>1E-3</v></c></row>'
        '<row r="4"><c r="A4"><f t="shared" si="0"/><v>4</v></c><c r="B4"><v>2</v></c></row>'
        '<row><c><v>7</v></c><c t="inlineStr"><is><t>in</t><r><t>line</t></r></is></c>'
        '<c r="E5"><v></v></c></row>'
    )
    sheet = re.sub(
        r"<sheetData>.*</sheetData>|<sheetData/>", f"<sheetData>{rows}</sheetData>", xml, flags=re.S
    )
    sheet = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1"/>', sheet)  # stale, as some tools write
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{ns}" count="2" uniqueCount="2"><si><t xml:space="preserve"> plain </t></si>'
        '<si><r><t>Rich </t></r><r><rPr><b/></rPr><t>text</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si></sst>'
    ).encode()
    sst = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    types = parts["[Content_Types].xml"].decode()
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{sst}"/>'
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


def _plain(rows: dict[int, tuple[object, ...]]) -> dict[int, tuple[object, ...]]:
    """Rows with formula objects (which have no ==) as tuples."""
    return {
        r: tuple(("array", v.ref, v.text) if isinstance(v, ArrayFormula) else v for v in row)
        for r, row in rows.items()
    }


def test_the_lean_reader_reads_what_openpyxl_reads() -> None:
    for data in (_crafted_workbook(), build_base()):
        lean = merge_module._read_values(data)
        wb = load_workbook(BytesIO(data), read_only=True)
        public = {ws.title: _plain(merge_module._snapshot(ws, read_only=True).rows) for ws in wb.worksheets}
        wb.close()
        assert {title: _plain(s.rows) for title, s in lean.items()} == public
    rows = merge_module._read_values(_crafted_workbook())["Sheet"].rows
    assert rows[1] == (
        datetime(2024, 9, 1),
        timedelta(hours=30),
        " plain ",
        "Rich text",
        True,
        "#N/A",
        '="a"&"b"',
    )
    assert rows[3][0] == "=B3*2" and rows[4][0] == "=B4*2" and rows[5] == (7, "inline")
    assert _plain(rows)[3][2:] == (("array", "C3:C4", "=SUM(B3:B4*2)"), 0.001)
