"""Patching an existing package: cell types, order, styles, links, notes, sheets, calcChain, the zip."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook

from tests.lossless import MAIN, calamine_grid, cells, zip_parts
from workbook_templates.package import Package, PackageError, ReadOnlyFile, refuse_unwritable
from workbook_templates.winfiles import FileInUse


def made(tmp_path: Path, build: object = None) -> Path:
    """A small workbook saved by openpyxl: two sheets, a formula, a date, some text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"], ws["C1"] = "Name", "Score", "When"
    ws["A3"], ws["B3"], ws["C3"] = "Ann", 7, date(2026, 11, 2)
    ws["D3"] = "=B3*2"
    ws["A5"] = "Bob"
    wb.create_sheet("Other")["A1"] = "x"
    path = tmp_path / "small.xlsx"
    wb.save(path)
    return path


def row_refs(pkg: Package, sheet: str) -> list[list[str]]:
    root = etree.fromstring(pkg.read(pkg.sheet_part(sheet)))
    return [[c.get("r") for c in row.iter(MAIN + "c")] for row in root.iter(MAIN + "row")]


def test_values_of_each_type_read_back_in_every_reader(tmp_path: Path) -> None:
    path = made(tmp_path)
    pkg = Package.open(path)
    pkg.set_value("Data", "B4", 3.25)
    pkg.set_value("Data", "A4", "=SUM(1,1)")  # typed text: stays text
    pkg.set_value("Data", "C4", date(2026, 12, 1))
    pkg.set_value("Data", "E4", datetime(2026, 12, 1, 9, 30))
    pkg.set_value("Data", "F4", True)
    pkg.set_value("Data", "G4", "shared text", shared=True)
    pkg.set_value("Data", "H4", "  padded\nline  ")
    pkg.set_value("Data", "I4", "bad\x01char _x0041_")
    pkg.set_value("Data", "A5", None)
    pkg.save()
    ws = load_workbook(path)["Data"]
    assert [ws[c].value for c in ("A4", "B4", "C4", "E4", "F4", "G4", "H4", "A5")] == [
        "=SUM(1,1)", 3.25, datetime(2026, 12, 1), datetime(2026, 12, 1, 9, 30), True, "shared text",
        "  padded\nline  ", None]
    assert ws["A4"].data_type == "s"
    grid = calamine_grid(path, "Data")
    assert grid[3][:9] == ["=SUM(1,1)", 3.25, date(2026, 12, 1), "", datetime(2026, 12, 1, 9, 30), True,
                           "shared text", "  padded\nline  ", "bad\x01char _x0041_"]
    back = Package.open(path)
    assert back.value("Data", "C4") == datetime(2026, 12, 1) and back.value("Data", "G4") == "shared text"


def test_new_rows_and_cells_go_in_order(tmp_path: Path) -> None:
    pkg = Package.open(made(tmp_path))
    for ref in ("C2", "A2", "Z3", "C3", "AA3", "B9", "B4"):
        pkg.set_value("Data", ref, 1)
    assert row_refs(pkg, "Data") == [["A1", "B1", "C1"], ["A2", "C2"], ["A3", "B3", "C3", "D3", "Z3", "AA3"],
                                     ["B4"], ["A5"], ["B9"]]
    pkg2 = Package(pkg.to_bytes())
    assert pkg2.grid("Data")[8][1] == 1


def test_a_written_cell_keeps_its_style_unless_another_is_asked(tmp_path: Path) -> None:
    pkg = Package.open(made(tmp_path))
    dated = pkg.sheet("Data").cell("C3").get("s")
    pkg.set_value("Data", "C3", date(2027, 1, 5))
    assert pkg.sheet("Data").cell("C3").get("s") == dated  # already a date format: reused
    pkg.set_style("Data", ["A1:C1"], fill="FFC7CE", font={"bold": True, "color": "9C0006"})
    s1 = pkg.sheet("Data").cell("A1").get("s")
    pkg.set_style("Data", ["A5"], fill="FFC7CE", font={"bold": True, "color": "9C0006"})
    assert pkg.sheet("Data").cell("A5").get("s") == s1  # identical formats are reused
    count = len(etree.fromstring(pkg.read("xl/styles.xml")).find(MAIN + "cellXfs"))
    pkg.set_style("Data", ["B5"], fill="FFC7CE", font={"bold": True, "color": "9C0006"})
    assert len(etree.fromstring(pkg.read("xl/styles.xml")).find(MAIN + "cellXfs")) == count
    pkg.set_value("Data", "A1", "Renamed")
    assert pkg.sheet("Data").cell("A1").get("s") == s1
    out = tmp_path / "styled.xlsx"
    out.write_bytes(pkg.to_bytes())
    ws = load_workbook(out)["Data"]
    assert ws["A1"].fill.fgColor.rgb == "FFFFC7CE" and ws["A1"].font.b and ws["A1"].value == "Renamed"
    assert ws["C3"].value == datetime(2027, 1, 5)
    pkg = Package.open(out)
    pkg.set_style("Data", ["A1"], fill=None)
    out.write_bytes(pkg.to_bytes())
    assert load_workbook(out)["Data"]["A1"].fill.fill_type is None


def test_overwriting_a_formula_drops_only_its_own_result_and_the_calc_chain(tmp_path: Path) -> None:
    path = made(tmp_path)
    parts = zip_parts(path)
    sheet = parts["xl/worksheets/sheet1.xml"].replace(b"<f>B3*2</f><v></v>", b"<f>B3*2</f><v>14</v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b'</c></row><row r="5">', b'</c><c r="E3"><f t="shared" ref="E3:E4" si="0">B3+1</f><v>8</v></c></row>'
        b'<row r="4"><c r="E4"><f t="shared" si="0"/><v>1</v></c></row><row r="5">', 1)
    parts["xl/calcChain.xml"] = (f'<calcChain xmlns="{MAIN[1:-1]}"><c r="D3" i="1"/></calcChain>').encode()
    ct = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>')
    parts["[Content_Types].xml"] = ct
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    assert calamine_grid(path, "Data")[2][3] == 14

    pkg = Package.open(path)
    pkg.set_value("Data", "B3", 100)  # a value cell: the formula's cached result is left alone
    assert "xl/calcChain.xml" not in pkg.changed_parts()
    pkg.set_value("Data", "E3", "typed over")  # the shared formula's master
    pkg.save()
    after = zip_parts(path)
    assert "xl/calcChain.xml" not in after and b"calcChain" not in after["[Content_Types].xml"]
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert calamine_grid(path, "Data")[2][3] == 14  # D3 still shows what Excel computed
    back = Package.open(path)
    assert back.formula("Data", "E4") == "=B4+1"  # the cell that shared E3's formula keeps computing
    assert back.value("Data", "E4") == 1
    load_workbook(path)


def test_untouched_members_are_copied_as_stored(tmp_path: Path) -> None:
    path = made(tmp_path)
    with zipfile.ZipFile(path) as zf:
        before = {i.filename: (i.compress_type, i.CRC, i.compress_size) for i in zf.infolist()}
        order = zf.namelist()
    pkg = Package.open(path)
    pkg.set_value("Other", "B2", 5)
    pkg.save()
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == order
        after = {i.filename: (i.compress_type, i.CRC, i.compress_size) for i in zf.infolist()}
    assert {n for n in before if before[n] != after[n]} == {"xl/worksheets/sheet2.xml"}


def test_links_notes_and_sheets(tmp_path: Path) -> None:
    path = made(tmp_path)
    pkg = Package.open(path)
    pkg.add_sheet("Issues", index=0)
    pkg.set_value("Issues", "A2", "A3")
    pkg.set_link("Issues", "A2", "'Data'!A3", "A3")
    pkg.set_note("Data", "A3", "tomsync: check this")
    pkg.set_note("Other", "A1", "tomsync: and this")
    pkg.set_active("Issues")
    pkg.save()
    wb = load_workbook(path)
    assert wb.sheetnames == ["Issues", "Data", "Other"] and wb.active.title == "Issues"
    assert wb["Issues"]["A2"].hyperlink.location == "'Data'!A3"
    assert wb["Data"]["A3"].comment.text == "tomsync: check this"
    assert wb["Other"]["A1"].comment.text == "tomsync: and this"
    vml = [n for n in zip_parts(path) if n.endswith(".vml")]
    blocks = {etree.fromstring(zip_parts(path)[n], etree.XMLParser(recover=True)).find(
        "{urn:schemas-microsoft-com:office:office}shapelayout/{urn:schemas-microsoft-com:office:office}idmap"
    ).get("data") for n in vml}
    assert len(vml) == 2 and len(blocks) == 2  # each drawing has its own shape ids

    pkg = Package.open(path)
    pkg.set_link("Issues", "A2", None)
    pkg.set_note("Data", "A3", None)
    pkg.remove_sheet("Issues")
    pkg.save()
    wb = load_workbook(path)
    assert wb.sheetnames == ["Data", "Other"]
    assert wb["Data"]["A3"].comment is None and wb["Other"]["A1"].comment is not None
    assert not any("sheet3" in n for n in zip_parts(path))


def test_a_threaded_comment_s_note_is_never_changed(tmp_path: Path) -> None:
    from openpyxl.comments import Comment

    path = made(tmp_path)
    wb = load_workbook(path)
    wb["Data"]["A3"].comment = Comment("[Threaded comment]", "tc={0000}")
    wb.save(path)
    pkg = Package.open(path)
    assert pkg.set_note("Data", "A3", "tomsync: mark") is False
    assert pkg.set_note("Data", "A3", None) is False
    assert pkg.note("Data", "A3") == "[Threaded comment]"


def test_clear_sheet_keeps_its_place_and_drops_its_contents(tmp_path: Path) -> None:
    pkg = Package.open(made(tmp_path))
    pkg.set_note("Data", "A1", "x")
    pkg.clear_sheet("Data")
    assert pkg.sheet_names() == ["Data", "Other"] and pkg.grid("Data") == []
    assert not pkg.targets(pkg.sheet_part("Data"))


def test_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError):
        Package(b"PK\x03\x04 not really a zip")
    with pytest.raises(PackageError):
        Package(b"plain text")


def test_read_only_and_open_files_are_refused_before_any_work(tmp_path: Path) -> None:
    path = made(tmp_path)
    os.chmod(path, stat.S_IREAD)
    try:
        with pytest.raises(ReadOnlyFile, match="read-only"):
            refuse_unwritable(path)
        pkg = Package.open(path)
        pkg.set_value("Data", "A1", "x")
        with pytest.raises(ReadOnlyFile):
            pkg.save()
    finally:
        os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    (tmp_path / ("~$" + path.name)).write_bytes(b"owner")
    with pytest.raises(FileInUse):
        refuse_unwritable(path)


def test_cells_helper_sees_a_cell_level_difference(tmp_path: Path) -> None:
    path = made(tmp_path)
    before = zip_parts(path)["xl/worksheets/sheet1.xml"]
    pkg = Package.open(path)
    pkg.set_value("Data", "B3", 8)
    after = pkg.read("xl/worksheets/sheet1.xml")
    assert {r for r in cells(before) if cells(before)[r] != cells(after).get(r)} == {"B3"}


def test_members_written_with_data_descriptors_are_copied_too(tmp_path: Path) -> None:
    """Some producers stream their zip (sizes after the data): such members are copied whole."""

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            data = bytes(b)  # type: ignore[call-overload]
            self.buf += data
            return len(data)

    src = zip_parts(made(tmp_path))
    stream = Stream()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in src.items():
            with zf.open(name, "w") as fh:
                fh.write(data)
    streamed = bytes(stream.buf)
    assert all(i.flag_bits & 0x08 for i in zipfile.ZipFile(io.BytesIO(streamed)).infolist())
    pkg = Package(streamed)
    pkg.set_value("Data", "B2", 1)
    out = pkg.to_bytes()
    assert zipfile.ZipFile(io.BytesIO(out)).testzip() is None
    assert zip_parts(out)["xl/worksheets/sheet2.xml"] == src["xl/worksheets/sheet2.xml"]
    assert Package(out).value("Data", "B2") == 1 and Package(out).value("Data", "A3") == "Ann"


def test_removing_a_note_that_is_not_there_rewrites_nothing(tmp_path: Path) -> None:
    path = made(tmp_path)
    pkg = Package.open(path)
    pkg.set_note("Data", "A3", "tomsync: x")
    pkg.save()
    pkg = Package.open(path)
    pkg.set_note("Data", "B3", None)
    assert pkg.changed_parts() == set()
    assert pkg.to_bytes() == path.read_bytes() or zip_parts(pkg.to_bytes()) == zip_parts(path)
