"""A workbook carrying what staff and other producers add, and the checks that a tomsync write kept it.

`rich_workbook` starts from a real TOM workbook and adds, the way Excel would have saved them:
- a school tab whose RAG cells are formulas WITH cached results (R2 A3 G7), which calamine reads;
- a chart (drawing + chart part) on the Summary tab, an image part, a threaded comment (with its
  legacy note, author ``tc=...``) and a person list, defined names (a workbook-wide one and a tab's
  print titles, which Excel keeps by sheet position), print settings;
- parts tomsync does not know: custom XML, custom document properties with a sensitivity label, the
  newer label part, and a vbaProject.bin.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import python_calamine
from lxml import etree
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName

FORMULA_TAB = "Hawick High"
RATINGS = ["R", "R", "A", "A", "A", "G", "G", "G", "G", "G", "G", "G"]  # rows 2..13: R2 A3 G7
THREADED_CELL = "C3"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c"
                    "63f8cfc0f01f0005000201a5f0cd7d0000000049454e44ae426082")

# Parts every tomsync write must leave byte-identical.
KEPT = ("customXml/item1.xml", "customXml/_rels/item1.xml.rels", "customXml/itemProps1.xml",
        "docProps/custom.xml", "docProps/core.xml", "docProps/app.xml", "docMetadata/LabelInfo.xml",
        "xl/vbaProject.bin", "xl/media/image1.png", "xl/threadedComments/threadedComment1.xml",
        "xl/persons/person.xml", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/theme/theme1.xml")

_OVERRIDES = {
    "/customXml/itemProps1.xml": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
    "/docProps/custom.xml": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "/docMetadata/LabelInfo.xml": "application/vnd.ms-office.classificationlabels+xml",
    "/xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml",
    "/xl/persons/person.xml": "application/vnd.ms-excel.person+xml",
}
_EXTRA = {
    "customXml/item1.xml": b'<?xml version="1.0"?><b:Sources xmlns:b="urn:example:bib" SelectedStyle="x"/>',
    "customXml/itemProps1.xml": (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?><ds:datastoreItem '
                                 b'ds:itemID="{6C1B4C0E-0000-4000-8000-000000000001}" xmlns:ds="http://schemas.'
                                 b'openxmlformats.org/officeDocument/2006/customXml"/>'),
    "customXml/_rels/item1.xml.rels": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/customXmlProps" Target="itemProps1.xml"/>'
        b'</Relationships>'),
    "docProps/custom.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
        b'pid="2" name="MSIP_Label_0f0e_Enabled"><vt:lpwstr>true</vt:lpwstr></property><property '
        b'fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="MSIP_Label_0f0e_Name"><vt:lpwstr>'
        b'OFFICIAL-SENSITIVE</vt:lpwstr></property></Properties>'),
    "docMetadata/LabelInfo.xml": (
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?><clbl:labelList xmlns:clbl="http://schemas.'
        b'microsoft.com/office/2020/mipLabelMetadata"><clbl:label id="{0f0e}" enabled="1" method="Standard" '
        b'siteId="{5a5a}" removed="0" /></clbl:labelList>'),
    "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4,
    "xl/media/image1.png": PNG,
    "xl/threadedComments/threadedComment1.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ThreadedComments xmlns="http://schemas.'
        b'microsoft.com/office/spreadsheetml/2018/threadedcomments"><threadedComment ref="C3" '
        b'dT="2026-11-02T10:00:00.00" personId="{AAAA0000-0000-4000-8000-000000000001}" '
        b'id="{BBBB0000-0000-4000-8000-000000000001}"><text>Can we move this to March?</text>'
        b'</threadedComment></ThreadedComments>'),
    "xl/persons/person.xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><personList xmlns="http://schemas.microsoft'
        b'.com/office/spreadsheetml/2018/threadedcomments"><person displayName="Morag Scott" '
        b'id="{AAAA0000-0000-4000-8000-000000000001}" userId="morag@example.org" providerId="AD"/>'
        b'</personList>'),
}


def zip_parts(data: bytes | Path) -> dict[str, bytes]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rich_workbook(src: Path, dest: Path) -> Path:
    """A copy of ``src`` (a built TOM workbook) with everything in the module docstring added."""
    shutil.copyfile(src, dest)
    wb = load_workbook(dest)
    ws = wb[FORMULA_TAB]
    for row, rag in enumerate(RATINGS, start=2):
        ws[f"I{row}"] = f'=IF(LEN(C{row})>0,"{rag}","")'
    for row in range(14, ws.max_row + 1):
        ws[f"I{row}"] = None  # the school's own rows unrated: the tab rolls up to exactly R2 A3 G7
    ws[THREADED_CELL].comment = Comment("[Threaded comment]\nCan we move this to March?",
                                        "tc={BBBB0000-0000-4000-8000-000000000001}")
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.print_options.gridLines = True
    wb.defined_names["TomRatings"] = DefinedName("TomRatings", attr_text=f"'{FORMULA_TAB}'!$I$2:$I$13")
    summary = wb["Summary"]
    chart = BarChart()
    chart.title = "Ratings"
    chart.add_data(Reference(summary, min_col=2, min_row=1, max_col=4, max_row=10), titles_from_data=True)
    summary.add_chart(chart, "P2")
    wb.save(dest)
    _excel_extras(dest)
    return dest


def _excel_extras(path: Path) -> None:
    """What openpyxl cannot write: cached formula results and the parts it does not know."""
    parts = zip_parts(path)
    order = list(parts)
    sheet = _sheet_part(parts, FORMULA_TAB)
    root = etree.fromstring(parts[sheet])
    for c in root.iter(MAIN + "c"):
        f = c.find(MAIN + "f")
        if f is not None and c.get("r", "").startswith("I") and (f.text or "").startswith("IF(LEN"):
            row = int(c.get("r", "I0")[1:])
            for v in c.findall(MAIN + "v"):
                c.remove(v)
            c.set("t", "str")
            etree.SubElement(c, MAIN + "v").text = RATINGS[row - 2]
    parts[sheet] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    ct = etree.fromstring(parts["[Content_Types].xml"])
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    for name, kind in _OVERRIDES.items():
        etree.SubElement(ct, ns + "Override", PartName=name, ContentType=kind)
    etree.SubElement(ct, ns + "Default", Extension="bin", ContentType="application/vnd.ms-office.vbaProject")
    etree.SubElement(ct, ns + "Default", Extension="png", ContentType="image/png")
    parts["[Content_Types].xml"] = etree.tostring(ct, xml_declaration=True, encoding="UTF-8", standalone=True)
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    _relate(parts, "_rels/.rels", office + "custom-properties", "docProps/custom.xml")
    _relate(parts, "_rels/.rels", "http://schemas.microsoft.com/office/2020/02/relationships/"
                                  "classificationlabels", "docMetadata/LabelInfo.xml")
    _relate(parts, "xl/_rels/workbook.xml.rels", office + "customXml", "../customXml/item1.xml")
    _relate(parts, "xl/_rels/workbook.xml.rels", "http://schemas.microsoft.com/office/2006/relationships/"
                                                 "vbaProject", "vbaProject.bin")
    _relate(parts, "xl/_rels/workbook.xml.rels", "http://schemas.microsoft.com/office/2017/10/relationships/"
                                                 "person", "persons/person.xml")
    sheet_rels = sheet.replace("worksheets/", "worksheets/_rels/") + ".rels"
    _relate(parts, sheet_rels, "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
            "../threadedComments/threadedComment1.xml")
    _relate(parts, "xl/drawings/_rels/drawing1.xml.rels", office + "image", "../media/image1.png")
    parts.update(_EXTRA)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order + [n for n in parts if n not in order]:
            zf.writestr(name, parts[name])
    path.write_bytes(buf.getvalue())


def _relate(parts: dict[str, bytes], rels: str, kind: str, target: str) -> None:
    ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    root = etree.fromstring(parts[rels]) if rels in parts else etree.Element(
        ns + "Relationships", nsmap={None: ns[1:-1]})
    etree.SubElement(root, ns + "Relationship", Id=f"rIdX{len(root) + 1}", Type=kind, Target=target)
    parts[rels] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _sheet_part(parts: dict[str, bytes], name: str) -> str:
    wb = etree.fromstring(parts["xl/workbook.xml"])
    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    for sh in wb.iter(MAIN + "sheet"):
        if sh.get("name") == name:
            target = targets[sh.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")]
            return target.lstrip("/") if target.startswith("/xl/") else "xl/" + target
    raise AssertionError(f"no sheet {name!r}")


def sheet_part(data: bytes | Path, name: str) -> str:
    return _sheet_part(zip_parts(data), name)


def cells(xml: bytes) -> dict[str, bytes]:
    """Each cell of a sheet part as its exact XML (attribute order kept): to compare cell by cell."""
    root = etree.fromstring(xml)
    out = {}
    for c in root.iter(MAIN + "c"):
        c.tail = None
        out[c.get("r", "")] = etree.tostring(c)
    return out


def changed_cells(before: bytes, after: bytes) -> set[str]:
    """Cells whose XML differs (or that exist on one side only) between two versions of a sheet."""
    a, b = cells(before), cells(after)
    return {ref for ref in set(a) | set(b) if a.get(ref) != b.get(ref)}


def calamine_grid(data: bytes | Path, sheet: str) -> list[list[Any]]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def rag_column(data: bytes | Path) -> list[Any]:
    """What calamine reads in the formula tab's RAG cells (I2:I13): the cached results."""
    grid = calamine_grid(data, FORMULA_TAB)
    return [grid[r][8] for r in range(1, 13)]


def defined_names(data: bytes | Path) -> dict[tuple[str, str | None], str]:
    """{(name, the sheet it is local to): formula} of workbook.xml, local ones by sheet NAME."""
    parts = zip_parts(data)
    wb = etree.fromstring(parts["xl/workbook.xml"])
    sheets = [sh.get("name") for sh in wb.iter(MAIN + "sheet")]
    out = {}
    for dn in wb.iter(MAIN + "definedName"):
        local = dn.get("localSheetId")
        out[(dn.get("name", ""), sheets[int(local)] if local is not None else None)] = dn.text or ""
    return out


def assert_kept(before: bytes | Path, after: bytes | Path, allowed: set[str]) -> set[str]:
    """Every part of ``before`` not named by ``allowed`` (names or name prefixes) is in ``after``, byte
    for byte, and so are the parts in `KEPT`; returns the changed
    parts (for the test to check its own expectations)."""
    a, b = zip_parts(before), zip_parts(after)
    changed = {n for n in a if a[n] != b.get(n)} | (set(b) - set(a))
    unexpected = {n for n in changed if not any(n.startswith(p) for p in allowed)}
    assert not unexpected, f"parts changed that should not have: {sorted(unexpected)}"
    for name in KEPT:
        if name in a:
            assert b.get(name) == a[name], name
    return changed
