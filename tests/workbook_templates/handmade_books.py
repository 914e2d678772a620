"""Hand-made TOM workbooks, as areas made them before tomsync, written by other producers.

Three styles, each a shape real areas use:

- `merged_and_coloured` (openpyxl): a title row, a blank row, a header merged over two rows and
  three columns ("Progress" over Status / RAG status / Comments), section headings merged across
  the row, blank spacer rows, RAG shown only as the cell's fill, a Comments column that holds dates
  (date cells and notes starting with a date), "Ref" / "Minimum expectation" / "Owner" headers, tab
  names that are not the spec's ("Hawick HS", "Kelso", "Gala Academy"), a Status dropdown from a
  range on a hidden Lists tab, a note in a column with no header, an Instructions tab and a tab of
  no school.
- `libreoffice_words` (a flat ODS written here, converted by LibreOffice): IDs, "Green/Amber/Red"
  words, text dates ("3rd March 2026", "03/03/26", "March 2026"), "Rating", "Owner", "Comments",
  "Date updated" headers on row 1, and a note that starts with "=".
- `school_column` (openpyxl): one sheet with a School column, the header on row 3 under a title,
  G/A/R letters, a Status dropdown (data validation) and a status typed as "Done" / "Ongoing".

Each returns the facts a test checks (how many rows should map where), so nothing is hard-coded
twice.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

RED, AMBER, GREEN = "FFFF0000", "FFFFC000", "FF00B050"  # Excel's standard colours


@dataclass(frozen=True)
class Expected:
    master_rows: int  # rows that should map to master rows
    own_rows: int  # rows that should become schools' own rows
    unmatched_rows: int  # rows kept on the "Imported, unmatched" tab
    schools: dict[str, str]  # source tab (or School value) -> school id
    unmatched_cells: int = 0  # cells of placed rows that found no place (no column, unreadable)


# The scottish-tom master, in the words a hand-made TOM used before the spec existed.
OLD_WORDING = {
    "M01": "DYW and SDS agree the school TOM with the SLT",
    "M03": "DYW employer input to SDS group work",
    "M04": "16+ Data Hub - participation and leavers at risk reviewed with school",
    "M09": "SDS career guidance offer delivered (targeted and universal)",
}


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def merged_and_coloured(path: Path) -> Expected:
    wb = Workbook()
    wb.active.title = "Instructions"
    wb["Instructions"]["A1"] = "Fill in your school's tab every month. RAG: colour the cell."
    tabs = {"Hawick HS": "HAW", "Kelso": "KEL", "Gala Academy": "GAL"}
    for n, tab in enumerate(tabs):
        ws = wb.create_sheet(tab)
        ws["A1"] = f"Scottish Borders TOM 2025/26 - {tab}"
        ws["A1"].font = Font(bold=True, size=14)
        ws.merge_cells("A1:G1")
        # row 2 blank; header over rows 3-4
        for col, text in (("A", "Ref"), ("B", "Minimum expectation"), ("C", "Owner")):
            ws[f"{col}3"] = text
            ws.merge_cells(f"{col}3:{col}4")
        ws["D3"] = "Progress"
        ws.merge_cells("D3:F3")
        ws["D4"], ws["E4"], ws["F4"] = "Status", "RAG status", "Comments"
        ws["G3"] = "Evidence"
        ws.merge_cells("G3:G4")
        r = 5
        ws.cell(row=r, column=1, value="Planning")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)  # a section heading
        rows = [
            ("1", OLD_WORDING["M01"], "Joint", "Complete", GREEN, datetime(2025, 9, 12), None),
            (None, None, None, None, None, None, None),  # spacer
            ("2", OLD_WORDING["M03"], "DYW", "In progress", AMBER, "03/03/26 - two employers booked", None),
            ("3", OLD_WORDING["M04"], "SDS", "In progress", RED, "Data Hub review slipped; date set",
             None),
            ("4", OLD_WORDING["M09"], "SDS", "Complete", GREEN, datetime(2026, 2, 20),
             "https://example.sharepoint.com/guidance"),
            ("Employer engagement",) * 7,  # a heading merged across the row, naming a theme
            ("5", f"Careers fair for S3 ({tab})", "School", "Not started", None, None, None),
        ]
        for values in rows:
            r += 1
            if values[0] == "Employer engagement":
                ws.cell(row=r, column=1, value=values[0])
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
                continue
            for c, v in enumerate(values, start=1):
                if c == 5:
                    if v:
                        ws.cell(row=r, column=c).fill = _fill(v)  # the colour is the rating
                    continue
                if v is not None:
                    ws.cell(row=r, column=c, value=v)
            if values[5] is not None and isinstance(values[5], datetime):
                ws.cell(row=r, column=6).number_format = "dd/mm/yyyy"
        dv = DataValidation(type="list", formula1="Lists!$A$1:$A$4", allow_blank=True)  # a range, not text
        ws.add_data_validation(dv)
        dv.add("D6:D40")
        if tab == "Kelso":  # a note typed in a column with no header
            ws.cell(row=9, column=8, value="see the October minutes")
        if n == 0:  # one row that cannot be placed: no activity text
            r += 2
            ws.cell(row=r, column=6, value="Remember to ask the PT Guidance about the fair")
    lists = wb.create_sheet("Lists")
    for value in ("Not started", "In progress", "Complete", "On hold"):
        lists.append([value])
    lists.sheet_state = "hidden"
    other = wb.create_sheet("Old 2019 plan")
    other.append(["Activity", "Owner", "Status"])
    other.append(["Employer breakfast", "DYW", "Complete"])
    wb.save(path)
    # per school tab: 4 master rows, 1 own row; Hawick's loose note, 2 headings per tab, the old tab
    return Expected(master_rows=12, own_rows=3, unmatched_rows=1 + 3 * 2 + 1, schools=tabs, unmatched_cells=1)


def _fods(tables: dict[str, list[list[str | None]]]) -> str:
    body = []
    for name, rows in tables.items():
        body.append(f'<table:table table:name="{escape(name)}">')
        for row in rows:
            body.append("<table:table-row>")
            for v in row:
                if v is None:
                    body.append("<table:table-cell/>")
                else:
                    body.append(f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
                                "</table:table-cell>")
            body.append("</table:table-row>")
        body.append("</table:table>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" '
            'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">'
            "<office:body><office:spreadsheet>" + "".join(body) +
            "</office:spreadsheet></office:body></office:document>")


LIBREOFFICE_SCHOOLS = {"Peebles High School": "PEE", "Selkirk": "SEL"}


def libreoffice_words(path: Path) -> Expected:
    """Write a flat ODS and have LibreOffice convert it to xlsx at ``path`` (skip when absent)."""
    header = ["ID", "Activity", "Owner", "Status", "Rating", "Comments", "Date updated", "Updated by"]
    tables: dict[str, list[list[str | None]]] = {}
    for tab in LIBREOFFICE_SCHOOLS:
        tables[tab] = [
            header,
            ["M01", "DYW and SDS agree the school's Target Operating Model with the senior leadership team",
             "Joint", "Complete", "Green", "Signed off at SLT", "3rd March 2026", "J. Smith"],
            ["M02", "Monthly update of the school's TOM on the shared SharePoint site", "Joint",
             "In progress", "Amber", "=Updated most months", "03/03/26", "J. Smith"],
            ["M05", "School 16+ meetings attended by DYW and SDS", "Joint", "In progress", "red",
             "Two meetings missed", "March 2026", "A. Brown"],
            ["M06", "FA calendar shared", "DYW", "Ongoing", "Good", "Calendar drafted", "TBC", "A. Brown"],
            [None, None, None, None, None, None, None, None],
            ["X1", "Mock interviews with local employers", "DYW", "Done", "Green", "", "12th Feb 2026",
             "A. Brown"],
        ]
    fods = path.with_suffix(".fods")
    fods.write_text(_fods(tables), encoding="utf-8")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None
    profile = path.parent / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile.as_posix()}", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(path.parent), str(fods)],
                   check=True, capture_output=True, timeout=180)
    converted = fods.with_suffix(".xlsx")
    if converted != path:
        converted.replace(path)
    return Expected(master_rows=8, own_rows=2, unmatched_rows=0, schools=LIBREOFFICE_SCHOOLS,
                    unmatched_cells=4)  # "Good" and "TBC" on each tab


def school_column(path: Path) -> Expected:
    wb = Workbook()
    ws = wb.active
    ws.title = "TOM 2025-26"
    ws["A1"] = "Borders DYW/SDS TOM - all schools"
    ws["A2"] = "Updated monthly by the DYW co-ordinator and the SDS adviser"
    ws.append(["School", "Activity", "Owner", "Status", "Rating", "Notes", "Last updated"])  # row 3
    rows = [
        ("Eyemouth High", OLD_WORDING["M03"], "DYW", "Ongoing", "A", "Booked for Term 2", "15/10/2025"),
        ("Eyemouth High", "Work placements planned with local employers", "DYW", "Not started", None, None,
         None),
        ("Eyemouth High", "S6 leavers' lunch with employers", "School", "Done", "G", "Held", "01/12/2025"),
        ("Jedburgh Grammar", OLD_WORDING["M03"], "DYW", "Done", "G", "Both sessions held", "20/11/2025"),
        ("Jedburgh Grammar", "My World of Work registrations supported in PSE", "SDS", "Ongoing", "R",
         "Only 40% registered", "20/11/2025"),
        ("Coldstream Primary", "Visit from a local farmer", "School", "Done", "G", None, None),
    ]
    for row in rows:
        ws.append(list(row))
    dv = DataValidation(type="list", formula1='"Not started,Ongoing,Done"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add("D4:D100")
    wb.save(path)
    return Expected(master_rows=4, own_rows=1, unmatched_rows=1,
                    schools={"Eyemouth High": "EYE", "Jedburgh Grammar": "JED"})
