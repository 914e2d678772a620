"""Lossless edits of an EXISTING .xlsx/.xlsm package: change the cells asked for, keep every other byte.

Why not openpyxl: its load + save of a workbook somebody else made drops the results Excel cached for
formulas (calamine then reads RAG formulas as blank), charts, images, threaded comments, slicers,
sensitivity labels and any part it does not know, and takes seconds on a big workbook. Here the zip is
opened, only the parts that must change are parsed (with lxml) and patched, and every other member is
copied as it was stored (same name, order, compression, even the same compressed bytes). The result
replaces the file atomically (`workbook_templates.atomic`). openpyxl stays for NEW workbooks.

What a write touches:
- the sheet's XML, only in the cells written (a written cell loses its own formula and cached value;
  no other cell's ``<v>`` is touched); rows and cells are inserted in order, as Excel requires;
- styles.xml: new fills, fonts and cell formats are appended (identical ones reused), never changed;
- sharedStrings.xml only when asked (text goes in as inline strings by default);
- for a note: the sheet's legacy comments part, its VML drawing, their relationships;
- for a new sheet: workbook.xml, its relationships and [Content_Types].xml (docProps/app.xml is left
  as it is: Excel does not read it and rewrites it on its next save).

calcChain.xml: when a formula cell is overwritten with a value, calcChain.xml is dropped (with its
relationship and content type) rather than edited; Excel rebuilds it on the next calculation, and a
calcChain naming a cell that has no formula is what makes Excel report the file as damaged.
"""

from __future__ import annotations

import copy
import functools
import io
import math
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from workbook_templates.atomic import atomic_write_bytes
from workbook_templates.winfiles import refuse_if_open

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
M = f"{{{MAIN}}}"
R = f"{{{REL}}}"
P = f"{{{PKG_REL}}}"
C = f"{{{CT}}}"

T_WORKSHEET = REL + "/worksheet"
T_SST = REL + "/sharedStrings"
T_STYLES = REL + "/styles"
T_CALCCHAIN = REL + "/calcChain"
T_COMMENTS = REL + "/comments"
T_VML = REL + "/vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"

NOTE_AUTHOR = "tomsync"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_LENIENT = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)  # VML from old producers

# The order of a worksheet's children (CT_Worksheet): a new child must go in its place.
_SHEET_ORDER = [M + t for t in (
    "sheetPr dimension sheetViews sheetFormatPr cols sheetData sheetCalcPr sheetProtection protectedRanges "
    "scenarios autoFilter sortState dataConsolidate customSheetViews mergeCells phoneticPr "
    "conditionalFormatting dataValidations hyperlinks printOptions pageMargins pageSetup headerFooter "
    "rowBreaks colBreaks customProperties cellWatches ignoredErrors smartTags drawing legacyDrawing "
    "legacyDrawingHF drawingHF picture oleObjects controls webPublishItems tableParts extLst").split()]
_FONT_ORDER = [M + t for t in ("b i strike condense extend outline shadow u vertAlign sz color name family "
                               "charset scheme").split()]
_STYLES_ORDER = [M + t for t in ("numFmts fonts fills borders cellStyleXfs cellXfs cellStyles dxfs "
                                 "tableStyles colors extLst").split()]
_DATE_IDS = set(range(14, 23)) | {45, 46, 47}
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)$")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)

EMPTY_SHEET = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
    '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
    '<sheetData/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</worksheet>").encode()


class PackageError(ValueError):
    """The file is not a workbook package this module can patch (not a zip, or a part is missing)."""


class ReadOnlyFile(PermissionError):
    """The workbook is read-only (no write permission, or the read-only attribute): nothing was written."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(13, "the file is read-only: clear its read-only attribute (Properties) "
                             "or copy it first", str(path))


def refuse_unwritable(path: str | os.PathLike[str]) -> None:
    """Before any work on an existing workbook: `FileInUse` if Excel has it open, `ReadOnlyFile` if it
    is read-only (the mode bits, so it also holds for an administrator, and the Windows attribute)."""
    refuse_if_open(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not st.st_mode & stat.S_IWUSR or getattr(st, "st_file_attributes", 0) & 1:  # FILE_ATTRIBUTE_READONLY
        raise ReadOnlyFile(path)


# -- A1 helpers ------------------------------------------------------------------------------------

def col_index(letters: str) -> int:
    """1-based column number of column letters ("A" -> 1)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@functools.lru_cache(maxsize=1 << 16)
def split_ref(ref: str) -> tuple[int, int]:
    """(row, column), both 1-based, of an A1 reference."""
    m = _REF.match(ref.upper())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), col_index(m.group(1))


def expand(refs: Iterable[str]) -> Iterator[str]:
    """Every cell of a list of cells and ranges ("H1:O9")."""
    for ref in refs:
        if ":" in ref:
            a, b = ref.split(":", 1)
            (r1, c1), (r2, c2) = split_ref(a), split_ref(b)
            for r in range(min(r1, r2), max(r1, r2) + 1):
                for c in range(min(c1, c2), max(c1, c2) + 1):
                    yield f"{col_letters(c)}{r}"
        else:
            yield ref.upper()


def _in_sqref(sqref: str, row: int, col: int) -> bool:
    for part in sqref.split():
        a, _, b = part.partition(":")
        (r1, c1), (r2, c2) = split_ref(a), split_ref(b or a)
        if r1 <= row <= r2 and c1 <= col <= c2:
            return True
    return False


def _escape_text(text: str) -> str:
    """Text as Excel stores it: ``_xHHHH_`` for characters XML cannot hold (and for a literal escape)."""
    text = _ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def _unescape_text(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(0)[2:6], 16)), text) if "_x" in text else text


def _text_of(node: Any) -> str:
    """The text of a string item (<si> or <is>): plain <t> or rich-text runs, phonetic runs left out."""
    t = node.find(M + "t")
    parts = [t.text or ""] if t is not None else []
    parts += [r.findtext(M + "t") or "" for r in node.iterfind(M + "r")]
    return _unescape_text("".join(parts))


def _set_t(parent: Any, text: str) -> None:
    t = etree.SubElement(parent, M + "t")
    t.text = _escape_text(text)
    if text != text.strip() or "\n" in text:
        t.set(f"{{{XML_NS}}}space", "preserve")


def _insert_ordered(parent: Any, child: Any, order: list[str]) -> Any:
    """Put ``child`` among ``parent``'s children where the schema's sequence wants it."""
    rank = order.index(child.tag)
    for i, sibling in enumerate(parent):
        if sibling.tag in order and order.index(sibling.tag) > rank:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a part name ("xl/worksheets/sheet1.xml")."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


# -- one sheet being edited --------------------------------------------------------------------------

class _Sheet:
    """A worksheet part parsed for editing, with its rows indexed (inserted in order)."""

    def __init__(self, part: str, root: Any) -> None:
        self.part = part
        self.root = root
        data = root.find(M + "sheetData")
        if data is None:
            data = _insert_ordered(root, etree.Element(M + "sheetData"), _SHEET_ORDER)
        self.data = data
        self.rows: dict[int, Any] = {}
        last = 0
        for row in data.iterfind(M + "row"):
            r = row.get("r")
            last = int(r) if r else last + 1
            if not r:
                row.set("r", str(last))
            self.rows[last] = row
            col = 0
            for c in row.iterfind(M + "c"):
                ref = c.get("r")
                col = split_ref(ref)[1] if ref else col + 1
                if not ref:
                    c.set("r", f"{col_letters(col)}{last}")
        self.max_cell = (0, 0)

    def row(self, r: int, create: bool = True) -> Any:
        row = self.rows.get(r)
        if row is None and create:
            row = etree.Element(M + "row", r=str(r))
            after = [n for n in self.rows if n > r]
            if after:
                self.rows[min(after)].addprevious(row)
            else:
                self.data.append(row)
            self.rows[r] = row
        return row

    def cell(self, ref: str, create: bool = True) -> Any:
        r, c = split_ref(ref)
        row = self.row(r, create)
        if row is None:
            return None
        for cell in row.iterfind(M + "c"):
            cc = split_ref(cell.get("r"))[1]
            if cc == c:
                return cell
            if cc > c:
                if not create:
                    return None
                new = etree.Element(M + "c", r=f"{col_letters(c)}{r}")
                cell.addprevious(new)
                return self._new_cell(row, new, c)
        if not create:
            return None
        new = etree.Element(M + "c", r=f"{col_letters(c)}{r}")
        ext = row.find(M + "extLst")
        if ext is not None:
            ext.addprevious(new)
        else:
            row.append(new)
        return self._new_cell(row, new, c)

    def _new_cell(self, row: Any, cell: Any, col: int) -> Any:
        """A new cell takes the row's style, else its column's, as Excel shows it; the row's spans
        (an optional hint) go when they no longer cover it."""
        spans = row.get("spans")
        if spans and ":" in spans and not int(spans.split(":")[0]) <= col <= int(spans.split(":")[1]):
            del row.attrib["spans"]
        style = row.get("s") if row.get("customFormat") in ("1", "true") else None
        if style is None:
            for c in self.root.iterfind(f"{M}cols/{M}col"):
                if int(c.get("min", "0")) <= col <= int(c.get("max", "0")) and c.get("style"):
                    style = c.get("style")
        if style and style != "0":
            cell.set("s", style)
        r = int(row.get("r"))
        self.max_cell = (max(self.max_cell[0], r), max(self.max_cell[1], col))
        return cell

    def last_row(self) -> int:
        """The last row holding a cell (openpyxl's max_row)."""
        return max((r for r, row in self.rows.items() if row.find(M + "c") is not None), default=1)

    def fix_dimension(self) -> None:
        """Widen the <dimension> hint to cover new cells (readers size their grid by it)."""
        if self.max_cell == (0, 0):
            return
        dim = self.root.find(M + "dimension")
        if dim is None:
            return
        ref = dim.get("ref", "A1")
        a, _, b = ref.partition(":")
        (r1, c1), (r2, c2) = split_ref(a), split_ref(b or a)
        r2, c2 = max(r2, self.max_cell[0]), max(c2, self.max_cell[1])
        dim.set("ref", f"{col_letters(c1)}{r1}:{col_letters(c2)}{r2}")


# -- the package -------------------------------------------------------------------------------------

class Package:
    """An existing workbook package, patched in memory part by part; `to_bytes` / `save` write it."""

    def __init__(self, data: bytes, path: Path | None = None) -> None:
        self.path = path
        self._data = data
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            self._infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise PackageError(f"not a workbook package ({exc})") from None
        self._names = {i.filename for i in self._infos}
        self._new: dict[str, bytes] = {}  # replaced or added parts, by name
        self._gone: set[str] = set()
        self._trees: dict[str, Any] = {}  # parsed parts that will be written back
        self._peeked: dict[str, Any] = {}  # parsed parts only read so far
        self._sheet_list: list[tuple[str, str, str]] | None = None
        self._parts: dict[str, str] = {}
        self._parts_of: list[tuple[str, str, str]] | None = None
        self._sheets: dict[str, _Sheet] = {}
        self._main = self._workbook_part()
        if self._main not in self._names:
            raise PackageError("not a workbook package (no workbook part)")
        self._styles_name: str | None = None
        self._sst: list[str] | None = None
        self._sst_index: dict[str, int] | None = None
        self._date_styles: set[int] | None = None
        self._xf_keys: dict[tuple[Any, ...], int] | None = None
        self._xf_len = -1

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Package:
        p = Path(path)
        return cls(p.read_bytes(), p)

    # parts ---------------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name not in self._gone and (name in self._new or name in self._trees or name in self._names)

    def read(self, name: str) -> bytes:
        """A part's current bytes (patched or original)."""
        if name in self._gone:
            raise KeyError(name)
        if name in self._trees:
            return self._serialize(self._trees[name])
        if name in self._new:
            return self._new[name]
        return self._zip.read(name)

    def _head(self, name: str, size: int = 8192) -> bytes:
        """The first bytes of an untouched part, inflating no more than that."""
        with self._zip.open(name) as fh:
            return fh.read(size)

    def tree(self, name: str, lenient: bool = False) -> Any:
        """A part parsed for editing: it is written back on save. Call it only for a part that changes:
        lxml writes the same XML, but not the same bytes."""
        if name not in self._trees:
            peeked = self._peeked.pop(name, None)
            self._trees[name] = peeked if peeked is not None and not lenient else etree.fromstring(
                self.read(name), _LENIENT if lenient else _PARSER)
            self._new.pop(name, None)
        return self._trees[name]

    def _peek(self, name: str) -> Any:
        """A part parsed for reading only (the edited tree when there is one)."""
        if name in self._trees:
            return self._trees[name]
        if name not in self._peeked:
            self._peeked[name] = etree.fromstring(self.read(name), _PARSER)
        return self._peeked[name]

    def write_part(self, name: str, data: bytes) -> None:
        self._trees.pop(name, None)
        self._peeked.pop(name, None)
        self._gone.discard(name)
        self._new[name] = data

    def delete_part(self, name: str) -> None:
        self._trees.pop(name, None)
        self._peeked.pop(name, None)
        self._new.pop(name, None)
        self._gone.add(name)

    @staticmethod
    def _serialize(root: Any) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def changed_parts(self) -> set[str]:
        """Names of the parts this session added, replaced, patched or removed."""
        return set(self._new) | set(self._trees) | self._gone

    # relationships and content types ---------------------------------------------------------

    def _workbook_part(self) -> str:
        try:
            root = etree.fromstring(self._zip.read("_rels/.rels"), _PARSER)
        except KeyError:
            return "xl/workbook.xml"
        for rel in root.iterfind(P + "Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                return _resolve("", rel.get("Target", ""))
        return "xl/workbook.xml"

    def rels(self, part: str) -> Any:
        name = rels_name(part)
        if not self.has(name):
            self.write_part(name, self._serialize(etree.Element(P + "Relationships", nsmap={None: PKG_REL})))
        return self.tree(name)

    def targets(self, part: str, rel_type: str | None = None) -> dict[str, str]:
        """rId -> part name of ``part``'s relationships (internal ones), optionally of one type."""
        name = rels_name(part)
        if not self.has(name):
            return {}
        out = {}
        for rel in self._peek(name).iterfind(P + "Relationship"):
            if rel.get("TargetMode") == "External" or (rel_type and rel.get("Type") != rel_type):
                continue
            out[rel.get("Id")] = _resolve(part, rel.get("Target", ""))
        return out

    def add_rel(self, part: str, rel_type: str, target: str) -> str:
        """Relate ``part`` to the part ``target``; returns the new rId."""
        root = self.rels(part)
        ids = {rel.get("Id") for rel in root}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        rel_target = posixpath.relpath(target, posixpath.dirname(part) or ".")
        etree.SubElement(root, P + "Relationship", Id=rid, Type=rel_type, Target=rel_target)
        return rid

    def drop_rels(self, part: str, rel_type: str | None = None, rid: str | None = None) -> None:
        name = rels_name(part)
        if not self.has(name):
            return
        root = self.tree(name)
        for rel in list(root):
            if (rel_type is None or rel.get("Type") == rel_type) and (rid is None or rel.get("Id") == rid):
                root.remove(rel)

    def content_type(self, part: str, ctype: str | None) -> None:
        """Set (or with None remove) the Override content type of ``part``."""
        root = self.tree("[Content_Types].xml")
        for o in root.iterfind(C + "Override"):
            if o.get("PartName") == "/" + part:
                if ctype is None:
                    root.remove(o)
                else:
                    o.set("ContentType", ctype)
                return
        if ctype is not None:
            etree.SubElement(root, C + "Override", PartName="/" + part, ContentType=ctype)

    def default_type(self, ext: str, ctype: str) -> None:
        root = self.tree("[Content_Types].xml")
        if any(d.get("Extension", "").lower() == ext for d in root.iterfind(C + "Default")):
            return
        root.insert(0, etree.Element(C + "Default", Extension=ext, ContentType=ctype))

    def _free_name(self, pattern: str) -> str:
        n = 1
        while self.has(pattern.format(n)) or any(p.lower() == pattern.format(n).lower() for p in self._new):
            n += 1
        return pattern.format(n)

    # workbook and sheets -----------------------------------------------------------------------

    @property
    def workbook_part(self) -> str:
        return self._main

    def _wb(self, edit: bool = False) -> Any:
        return self.tree(self.workbook_part) if edit else self._peek(self.workbook_part)

    def sheet_list(self) -> list[tuple[str, str, str]]:
        """(name, rId, part) of every sheet, in tab order (chartsheets included)."""
        if self._sheet_list is None:
            targets = self.targets(self.workbook_part)
            sheets = self._wb().iterfind(f"{M}sheets/{M}sheet")
            ids = [(sh.get("name", ""), sh.get(R + "id", "")) for sh in sheets]
            self._sheet_list = [(name, rid, targets.get(rid, "")) for name, rid in ids]
        return list(self._sheet_list)

    def sheet_names(self) -> list[str]:
        return [name for name, _, _ in self.sheet_list()]

    def visible_sheets(self) -> list[str]:
        """Names of the sheets a person sees as tabs (not hidden or very hidden)."""
        return [sh.get("name", "") for sh in self._wb().iterfind(f"{M}sheets/{M}sheet")
                if sh.get("state", "visible") == "visible"] or self.sheet_names()[:1]

    def sheet_part(self, sheet: str) -> str:
        self.sheet_list()
        listed = self._sheet_list
        if self._parts_of is not listed:  # a name -> part index, rebuilt when the sheet list changes
            self._parts = {}
            for name, _, part in listed or []:
                self._parts.setdefault(name, part)
            self._parts_of = listed
        found = self._parts.get(sheet)
        if found is None:
            raise KeyError(f"no sheet {sheet!r} in the workbook")
        return found

    def sheet(self, sheet: str) -> _Sheet:
        """A worksheet, parsed for editing."""
        part = self.sheet_part(sheet)
        if part not in self._sheets:
            self._sheets[part] = _Sheet(part, self.tree(part))
        return self._sheets[part]

    def date1904(self) -> bool:
        pr = self._wb().find(M + "workbookPr")
        return pr is not None and pr.get("date1904") in ("1", "true")

    def _shift_sheet_indexes(self, at: int, delta: int) -> None:
        """Keep what refers to sheets by position (defined names' localSheetId, the active and first
        tab) pointing at the same sheets when one is inserted (+1) or removed (-1) at ``at``."""
        wb = self._wb(edit=True)
        names = wb.find(M + "definedNames")
        for dn in list(names) if names is not None else []:
            local = dn.get("localSheetId")
            if local is None:
                continue
            i = int(local)
            if delta < 0 and i == at:
                names.remove(dn)
            elif i >= at:
                dn.set("localSheetId", str(i + delta))
        if names is not None and len(names) == 0:
            wb.remove(names)
        remaining = len(wb.findall(f"{M}sheets/{M}sheet"))
        for view in wb.iterfind(f"{M}bookViews/{M}workbookView"):
            for attr in ("activeTab", "firstSheet"):
                v = view.get(attr)
                if v is None:
                    continue
                i = int(v)
                if delta > 0 and i >= at:
                    view.set(attr, str(i + 1))
                elif delta < 0 and i > at:
                    view.set(attr, str(i - 1))
                elif delta < 0 and i == at:
                    view.set(attr, str(max(0, min(at, remaining - 1))))

    def add_sheet(self, name: str, index: int | None = None, state: str | None = None) -> str:
        """A new empty worksheet ``name`` at tab position ``index`` (default: last); returns its part."""
        if name in self.sheet_names():
            raise ValueError(f"the workbook already has a sheet {name!r}")
        part = self._free_name("xl/worksheets/sheet{}.xml")
        self.write_part(part, EMPTY_SHEET)
        self.content_type(part, CT_WORKSHEET)
        rid = self.add_rel(self.workbook_part, T_WORKSHEET, part)
        self._sheet_list = None
        wb = self._wb(edit=True)
        sheets = wb.find(M + "sheets")
        ids = [int(s.get("sheetId", "0")) for s in sheets]
        el = etree.Element(M + "sheet", name=name, sheetId=str(max(ids, default=0) + 1))
        el.set(R + "id", rid)
        if state and state != "visible":
            el.set("state", state)
        count = len(sheets)
        index = count if index is None or index > count else index
        if index < count:
            self._shift_sheet_indexes(index, +1)
        sheets.insert(index, el)
        return part

    def remove_sheet(self, name: str) -> None:
        """Remove a worksheet, its relationships and the parts only it used (comments, VML)."""
        part = self.sheet_part(name)
        wb = self._wb(edit=True)
        sheets = wb.find(M + "sheets")
        index = self.sheet_names().index(name)
        rid = sheets[index].get(R + "id")
        sheets.remove(sheets[index])
        self._sheet_list = None
        self._shift_sheet_indexes(index, -1)
        self.drop_rels(self.workbook_part, rid=rid)
        self._drop_part(part)
        self._sheets.pop(part, None)

    def _drop_part(self, part: str) -> None:
        """Remove a part, its content type, and the parts only it relates to."""
        owned = self.targets(part)
        self.delete_part(part)
        self.content_type(part, None)
        if self.has(rels_name(part)):
            self.delete_part(rels_name(part))
        for target in owned.values():
            if self.has(target) and not self._referenced(target):
                self._drop_part(target)

    def _referenced(self, target: str) -> bool:
        names = (set(self._names) | set(self._new) | set(self._trees)) - self._gone
        for name in names:
            if name.endswith(".rels") and target in self.targets(_rels_owner(name)).values():
                return True
        return False

    def clear_sheet(self, name: str) -> None:
        """Replace a worksheet's contents with an empty sheet, keeping its place, name and state."""
        part = self.sheet_part(name)
        owned = self.targets(part)
        if self.has(rels_name(part)):
            self.delete_part(rels_name(part))
        for target in owned.values():
            if self.has(target) and not self._referenced(target):
                self._drop_part(target)
        self._sheets.pop(part, None)
        self.write_part(part, EMPTY_SHEET)

    def rename_sheet(self, old: str, new: str) -> None:
        """Rename a tab, and the defined names (print titles, filters, ranges) that name it; formulas
        on other sheets are the caller's to rewrite (tomsync's own Summary is rebuilt by its writer)."""
        if new in self.sheet_names():
            raise ValueError(f"the workbook already has a sheet {new!r}")
        wb = self._wb(edit=True)
        for sh in wb.iterfind(f"{M}sheets/{M}sheet"):
            if sh.get("name") == old:
                sh.set("name", new)
        self._sheet_list = None
        quoted_new = "'" + new.replace("'", "''") + "'!"
        plain = re.compile(rf"(?<![\w'.]){re.escape(old)}!") if re.fullmatch(r"\w+", old) else None
        for dn in wb.iterfind(f"{M}definedNames/{M}definedName"):
            text = (dn.text or "").replace("'" + old.replace("'", "''") + "'!", quoted_new)
            dn.text = plain.sub(quoted_new, text) if plain is not None else text

    def copy_local_names(self, source: str, target: str) -> None:
        """Give tab ``target`` the sheet-local defined names ``source`` has (print titles, the filter
        range), naming ``target``: a tab copied from another prints and filters as the built tabs do.
        Names ``target`` already has are kept."""
        names = self.sheet_names()
        src, dst = str(names.index(source)), str(names.index(target))
        wb = self._wb(edit=True)
        block = wb.find(M + "definedNames")
        if block is None:
            return
        have = {dn.get("name") for dn in block if dn.get("localSheetId") == dst}
        quoted_old = "'" + source.replace("'", "''") + "'!"
        quoted_new = "'" + target.replace("'", "''") + "'!"
        plain = re.compile(rf"(?<![\w'.]){re.escape(source)}!") if re.fullmatch(r"\w+", source) else None
        for dn in [d for d in block if d.get("localSheetId") == src and d.get("name") not in have]:
            twin = copy.deepcopy(dn)
            twin.set("localSheetId", dst)
            text = (twin.text or "").replace(quoted_old, quoted_new)
            twin.text = plain.sub(quoted_new, text) if plain is not None else text
            dn.addnext(twin)

    def set_sheet_state(self, name: str, state: str) -> None:
        """Show a tab ("visible") or hide it ("hidden", "veryHidden")."""
        for sh in self._wb(edit=True).iterfind(f"{M}sheets/{M}sheet"):
            if sh.get("name") == name:
                if state == "visible":
                    sh.attrib.pop("state", None)
                else:
                    sh.set("state", state)

    def set_active(self, name: str) -> None:
        """Make ``name`` the tab Excel opens on (and the only selected one)."""
        index = self.sheet_names().index(name)
        wb = self._wb(edit=True)
        views = wb.find(M + "bookViews")
        if views is None:
            views = etree.Element(M + "bookViews")
            sheets = wb.find(M + "sheets")
            sheets.addprevious(views)
        view = views.find(M + "workbookView")
        if view is None:
            view = etree.SubElement(views, M + "workbookView")
        view.set("activeTab", str(index))
        for sheet_name, _, part in self.sheet_list():
            if not part.startswith("xl/worksheets/"):
                continue
            selected = part in self._trees or part in self._new or b"tabSelected" in self._head(part)
            if sheet_name != name and not selected:
                continue  # not selected: left as it is (most tabs, on a big workbook)
            for sv in self.sheet(sheet_name).root.iterfind(f"{M}sheetViews/{M}sheetView"):
                if sheet_name == name:
                    sv.set("tabSelected", "1")
                elif "tabSelected" in sv.attrib:
                    del sv.attrib["tabSelected"]

    # styles ----------------------------------------------------------------------------------

    def _styles_part(self) -> str:
        if self._styles_name is None:
            for part in self.targets(self.workbook_part, T_STYLES).values():
                self._styles_name = part
                break
            else:
                raise PackageError("the workbook has no styles part")
        return self._styles_name

    def _styles(self) -> Any:
        return self.tree(self._styles_part())

    def _list(self, tag: str) -> Any:
        styles = self._styles()
        node = styles.find(M + tag)
        if node is None:
            node = _insert_ordered(styles, etree.Element(M + tag, count="0"), _STYLES_ORDER)
        return node

    @staticmethod
    def _key(el: Any) -> tuple[Any, ...]:
        """What makes two style items the same, whatever namespace prefixes they were written with."""
        return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
                tuple(Package._key(child) for child in el if isinstance(child.tag, str)))

    def _intern(self, tag: str, el: Any) -> int:
        """The index of an item equal to ``el`` in the styles list ``tag`` (appended when new)."""
        node = self._list(tag)
        key = self._key(el)
        for i, item in enumerate(node):
            if self._key(item) == key:
                return i
        node.append(el)
        node.set("count", str(len(node)))
        return len(node) - 1

    def _xf(self, style: int) -> Any:
        xfs = self._list("cellXfs")
        if style < len(xfs):
            return copy.deepcopy(xfs[style])
        return etree.Element(M + "xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")

    def _xf_index(self, xf: Any) -> int:
        xfs = self._list("cellXfs")
        if self._xf_keys is None or self._xf_len != len(xfs):
            self._xf_keys = {}
            for i, item in enumerate(xfs):
                self._xf_keys.setdefault(self._key(item), i)
            self._xf_len = len(xfs)
        key = self._key(xf)
        if key in self._xf_keys:
            return self._xf_keys[key]
        xfs.append(xf)
        xfs.set("count", str(len(xfs)))
        self._xf_keys[key] = len(xfs) - 1
        self._xf_len = len(xfs)
        return len(xfs) - 1

    def style_with(self, style: int, *, fill: str | None | bool = False, font: dict[str, Any] | None = None,
                   num_fmt: int | None = None) -> int:
        """Cell format ``style`` with a new fill (hex RGB, None: no fill; False: unchanged), font
        changes ({"color": rgb|None, "bold": bool, "underline": bool}) or number format."""
        xf = self._xf(style)
        if fill is not False:
            if fill is None:
                fill_id = 0
            else:
                f = etree.Element(M + "fill")
                pf = etree.SubElement(f, M + "patternFill", patternType="solid")
                etree.SubElement(pf, M + "fgColor", rgb="FF" + str(fill).upper()[-6:])
                etree.SubElement(pf, M + "bgColor", indexed="64")
                fill_id = self._intern("fills", f)
            xf.set("fillId", str(fill_id))
            xf.set("applyFill", "1")
        if font is not None:
            fonts = self._list("fonts")
            font_id = int(xf.get("fontId", "0"))
            el = copy.deepcopy(fonts[font_id]) if font_id < len(fonts) else etree.Element(M + "font")
            if "bold" in font:
                _toggle(el, "b", bool(font["bold"]))
            if "underline" in font:
                _toggle(el, "u", bool(font["underline"]))
            if "color" in font:
                for old in el.findall(M + "color"):
                    el.remove(old)
                if font["color"]:
                    colour = etree.Element(M + "color", rgb="FF" + str(font["color"]).upper()[-6:])
                    _insert_ordered(el, colour, _FONT_ORDER)
            xf.set("fontId", str(self._intern("fonts", el)))
            xf.set("applyFont", "1")
        if num_fmt is not None:
            xf.set("numFmtId", str(num_fmt))
            xf.set("applyNumberFormat", "1")
        if _plain(xf) == _plain(self._xf(style)):
            return style  # the same look: the cell keeps its format
        return self._xf_index(xf)

    def date_styles(self) -> set[int]:
        """Indexes of the cell formats that show a number as a date or time."""
        if self._date_styles is None:
            styles = self._peek(self._styles_part())
            custom = {int(n.get("numFmtId", "0")) for n in styles.iterfind(f"{M}numFmts/{M}numFmt")
                      if _is_date_format(n.get("formatCode", ""))}
            xfs = styles.find(M + "cellXfs")
            self._date_styles = {i for i, xf in enumerate(xfs if xfs is not None else [])
                                 if int(xf.get("numFmtId", "0")) in _DATE_IDS | custom}
        return self._date_styles

    # shared strings ----------------------------------------------------------------------------

    def _sst_part(self, create: bool = False) -> str | None:
        for part in self.targets(self.workbook_part, T_SST).values():
            return part
        if not create:
            return None
        part = "xl/sharedStrings.xml"
        self.write_part(part, self._serialize(etree.Element(M + "sst", nsmap={None: MAIN}, count="0",
                                                            uniqueCount="0")))
        self.content_type(part, CT_SST)
        self.add_rel(self.workbook_part, T_SST, part)
        return part

    def shared_strings(self) -> list[str]:
        if self._sst is None:
            part = self._sst_part()
            self._sst = [_text_of(si) for si in self._peek(part).iterfind(M + "si")] if part else []
        return self._sst

    def _share(self, text: str) -> int:
        strings = self.shared_strings()
        if self._sst_index is None:
            self._sst_index = {}
            for i, s in enumerate(strings):
                self._sst_index.setdefault(s, i)
        if text in self._sst_index:
            return self._sst_index[text]
        root = self.tree(self._sst_part(create=True) or "")
        si = etree.SubElement(root, M + "si")
        _set_t(si, text)
        strings.append(text)
        self._sst_index[text] = len(strings) - 1
        root.set("uniqueCount", str(len(strings)))
        return len(strings) - 1

    # cells ---------------------------------------------------------------------------------------

    def set_value(self, sheet: str, ref: str, value: Any, *, style: int | None = None,
                  formula: bool = False, shared: bool = False) -> None:
        """Write one cell: numbers, text (inline, or through the shared-string table with ``shared``),
        dates and datetimes (as serials with a date format unless the cell already shows dates),
        booleans; None (or "") clears it. The cell keeps its format unless ``style`` is given. Text starting
        with "=" stays text unless ``formula``."""
        sh = self.sheet(sheet)
        clearing = value is None or value == ""
        c = sh.cell(ref, create=not (clearing and style is None))
        if c is None:
            return  # clearing a cell that is not there: nothing to write
        self._drop_value(sh, c)
        if style is not None:
            if style:
                c.set("s", str(style))
            elif "s" in c.attrib:
                del c.attrib["s"]
        current = int(c.get("s", "0"))
        if value is None or value == "":  # an empty text cell is a blank to every reader
            return
        if isinstance(value, str) and formula and value.startswith("=") and len(value) > 1:
            etree.SubElement(c, M + "f").text = value[1:]
            return
        if isinstance(value, bool):
            c.set("t", "b")
            etree.SubElement(c, M + "v").text = "1" if value else "0"
        elif isinstance(value, int | float) and not (isinstance(value, float) and not math.isfinite(value)):
            etree.SubElement(c, M + "v").text = repr(value) if isinstance(value, float) else str(value)
        elif isinstance(value, datetime | date | time | timedelta):
            serial, fmt = self._serial(value)
            if current not in self.date_styles():
                c.set("s", str(self.style_with(current, num_fmt=fmt)))
                self._date_styles = None
            etree.SubElement(c, M + "v").text = repr(serial)
        else:
            text = str(value)
            if shared:
                c.set("t", "s")
                etree.SubElement(c, M + "v").text = str(self._share(text))
            else:
                c.set("t", "inlineStr")
                _set_t(etree.SubElement(c, M + "is"), text)

    def _serial(self, value: datetime | date | time | timedelta) -> tuple[float, int]:
        if isinstance(value, timedelta):
            return value.total_seconds() / 86400, 46
        if isinstance(value, time):
            return (value.hour * 3600 + value.minute * 60 + value.second) / 86400, 21
        epoch = _EPOCH_1904 if self.date1904() else _EPOCH_1900
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        days = (moment.replace(tzinfo=None) - epoch).total_seconds() / 86400
        if not self.date1904() and days < 61:  # Excel's phantom 29 Feb 1900
            days -= 1
        whole = isinstance(value, date) and not isinstance(value, datetime) or days == int(days)
        return (int(days) if days == int(days) else days), (14 if whole else 22)

    def _drop_value(self, sh: _Sheet, c: Any) -> None:
        """Remove a cell's value, formula and cached result (its own only)."""
        f = c.find(M + "f")
        if f is not None:
            if f.get("t") == "shared" and f.get("ref") and f.text:
                self._unshare(sh, f, c.get("r"))
            self._drop_calc_chain()
        for child in list(c):
            if child.tag in (M + "f", M + "v", M + "is"):
                c.remove(child)
        for attr in ("t", "cm", "vm"):
            c.attrib.pop(attr, None)

    def _unshare(self, sh: _Sheet, master: Any, origin: str) -> None:
        """The master cell of a shared formula is being overwritten: give each cell that shared it its
        own formula text, so they keep computing what they did."""
        from openpyxl.formula.translate import Translator

        si = master.get("si")
        translator = Translator("=" + (master.text or ""), origin)
        for row in sh.data.iterfind(M + "row"):
            for cell in row.iterfind(M + "c"):
                f = cell.find(M + "f")
                if f is not None and f is not master and f.get("t") == "shared" and f.get("si") == si:
                    f.text = translator.translate_formula(cell.get("r"))[1:]
                    for attr in ("t", "si", "ref"):
                        f.attrib.pop(attr, None)

    def _drop_calc_chain(self) -> None:
        for rid, part in self.targets(self.workbook_part, T_CALCCHAIN).items():
            self.drop_rels(self.workbook_part, rid=rid)
            self.delete_part(part)
            self.content_type(part, None)

    def set_style(self, sheet: str, refs: Iterable[str], **changes: Any) -> None:
        """Apply `style_with` changes (fill=, font=, num_fmt=) to cells and ranges, creating empty
        cells where needed (a fill on an empty cell is a cell)."""
        sh = self.sheet(sheet)
        memo: dict[int, int] = {}
        create = not _resets(changes)  # taking a format off a cell that is not there changes nothing
        for ref in expand(refs):
            c = sh.cell(ref, create=create)
            if c is None:
                continue
            current = int(c.get("s", "0"))
            if current not in memo:
                memo[current] = self.style_with(current, **changes)
            if memo[current]:
                c.set("s", str(memo[current]))
            else:
                c.attrib.pop("s", None)

    def value(self, sheet: str, ref: str) -> Any:
        """A cell's value as the file holds it: the cached result for a formula, dates as datetime."""
        c = self.sheet(sheet).cell(ref, create=False) if self._editing(sheet) else self._find(sheet, ref)
        return None if c is None else self._decode(c)

    def formula(self, sheet: str, ref: str) -> str | None:
        c = self.sheet(sheet).cell(ref, create=False) if self._editing(sheet) else self._find(sheet, ref)
        f = None if c is None else c.find(M + "f")
        return None if f is None else "=" + (f.text or "")

    def _editing(self, sheet: str) -> bool:
        return self.sheet_part(sheet) in self._sheets

    def _find(self, sheet: str, ref: str) -> Any:
        root = self._peek(self.sheet_part(sheet))
        r, col = split_ref(ref)
        for c in root.iterfind(f"{M}sheetData/{M}row/{M}c"):
            if c.get("r") == f"{col_letters(col)}{r}":
                return c
        return None

    def grid(self, sheet: str) -> list[list[Any]]:
        """The sheet's values from A1 to its last cell holding a value (as `value` gives them)."""
        root = self.sheet(sheet).root if self._editing(sheet) else self._peek(self.sheet_part(sheet))
        cells: dict[tuple[int, int], Any] = {}
        for c in root.iterfind(f"{M}sheetData/{M}row/{M}c"):
            v = self._decode(c)
            if v is not None and v != "":
                cells[split_ref(c.get("r"))] = v
        rows = max((r for r, _ in cells), default=0)
        cols = max((c for _, c in cells), default=0)
        out: list[list[Any]] = [[None] * cols for _ in range(rows)]
        for (r, c), v in cells.items():
            out[r - 1][c - 1] = v
        return out

    def formula_cells(self, sheet: str) -> set[str]:
        root = self.sheet(sheet).root if self._editing(sheet) else self._peek(self.sheet_part(sheet))
        return {c.get("r") for c in root.iterfind(f"{M}sheetData/{M}row/{M}c") if c.find(M + "f") is not None}

    def _decode(self, c: Any) -> Any:
        t = c.get("t", "n")
        if t == "inlineStr":
            node = c.find(M + "is")
            return _text_of(node) if node is not None else None
        v = c.findtext(M + "v")
        if v is None or v == "":
            return None
        if t == "s":
            return self.shared_strings()[int(v)]
        if t == "b":
            return v not in ("0", "false")
        if t in ("str", "e"):
            return _unescape_text(v)
        number = float(v)
        if int(c.get("s", "0")) in self.date_styles():
            epoch = _EPOCH_1904 if self.date1904() else _EPOCH_1900
            if not self.date1904() and number < 61:
                number += 1
            return epoch + timedelta(days=number)
        return int(number) if number.is_integer() and "." not in v and "E" not in v.upper() else number

    # hyperlinks ----------------------------------------------------------------------------------

    def set_link(self, sheet: str, ref: str, location: str | None, display: str | None = None) -> None:
        """Link a cell to an internal location ('Tab'!A1); None removes the cell's link."""
        root = self.sheet(sheet).root
        links = root.find(M + "hyperlinks")
        if links is not None:
            for h in list(links):
                if h.get("ref", "").upper() == ref.upper():
                    if h.get(R + "id"):
                        self.drop_rels(self.sheet_part(sheet), rid=h.get(R + "id"))
                    links.remove(h)
        if location is None:
            if links is not None and len(links) == 0:
                root.remove(links)
            return
        if links is None:
            links = _insert_ordered(root, etree.Element(M + "hyperlinks"), _SHEET_ORDER)
        h = etree.SubElement(links, M + "hyperlink", ref=ref, location=location)
        if display:
            h.set("display", display)

    # notes (legacy comments) --------------------------------------------------------------------

    def set_note(self, sheet: str, ref: str, text: str | None, author: str = NOTE_AUTHOR) -> bool:
        """Put a note on a cell (None removes it). A cell whose note belongs to a threaded comment is
        left alone (Excel pairs them): returns False then."""
        part = self.sheet_part(sheet)
        ref = ref.upper()
        comments_part = next(iter(self.targets(part, T_COMMENTS).values()), None)
        if text is None and (comments_part is None or self.note(sheet, ref) is None):
            return True  # no note to remove: nothing is rewritten
        if comments_part is None:
            comments_part = self._free_name("xl/comments{}.xml")
            root = etree.Element(M + "comments", nsmap={None: MAIN})
            etree.SubElement(root, M + "authors")
            etree.SubElement(root, M + "commentList")
            self.write_part(comments_part, self._serialize(root))
            self.content_type(comments_part, CT_COMMENTS)
            self.add_rel(part, T_COMMENTS, comments_part)
        root = self.tree(comments_part)
        authors, clist = root.find(M + "authors"), root.find(M + "commentList")
        if authors is None:
            authors = etree.Element(M + "authors")
            root.insert(0, authors)
        if clist is None:
            clist = etree.SubElement(root, M + "commentList")
        for cm in list(clist):
            if cm.get("ref", "").upper() == ref:
                author_id = int(cm.get("authorId", "0"))
                name = authors[author_id].text if authors is not None and author_id < len(authors) else ""
                if cm.get("{http://schemas.microsoft.com/office/spreadsheetml/2014/revision}uid") or (
                        name or "").startswith("tc="):
                    return False  # a threaded comment's note: never ours to change
                clist.remove(cm)
        if text is not None:
            names = [a.text or "" for a in authors] if authors is not None else []
            if author not in names:
                etree.SubElement(authors, M + "author").text = author
                names.append(author)
            cm = etree.SubElement(clist, M + "comment", ref=ref, authorId=str(names.index(author)))
            run = etree.SubElement(etree.SubElement(cm, M + "text"), M + "r")
            _set_t(run, text)
        self._note_shape(sheet, part, ref, text is not None)
        return True

    def _note_shape(self, sheet: str, part: str, ref: str, show: bool) -> None:
        """The note's box in the sheet's VML drawing (Excel draws legacy notes from it)."""
        v, o, x = ("urn:schemas-microsoft-com:vml", "urn:schemas-microsoft-com:office:office",
                   "urn:schemas-microsoft-com:office:excel")
        vml_part = next(iter(self.targets(part, T_VML).values()), None)
        if vml_part is None:
            if not show:
                return
            vml_part = self._free_name("xl/drawings/vmlDrawing{}.vml")
            self.write_part(vml_part, _new_vml(self._free_block()))
            self.default_type("vml", CT_VML)
            rid = self.add_rel(part, T_VML, vml_part)
            root = self.sheet(sheet).root
            legacy = root.find(M + "legacyDrawing")
            if legacy is None:
                legacy = _insert_ordered(root, etree.Element(M + "legacyDrawing"), _SHEET_ORDER)
            legacy.set(R + "id", rid)
        try:
            vml = self.tree(vml_part)
        except etree.XMLSyntaxError:  # VML from old producers is not always well-formed XML
            vml = self.tree(vml_part, lenient=True)
        row, col = split_ref(ref)
        for shape in list(vml.iter(f"{{{v}}}shape")):
            data = shape.find(f"{{{x}}}ClientData")
            if data is None or data.get("ObjectType") != "Note":
                continue
            at = (data.findtext(f"{{{x}}}Row"), data.findtext(f"{{{x}}}Column"))
            if at == (str(row - 1), str(col - 1)):
                shape.getparent().remove(shape)
        if not show:
            return
        idmap = next(vml.iter(f"{{{o}}}idmap"), None)
        block = int((re.findall(r"\d+", idmap.get("data", "1")) or ["1"])[0]) if idmap is not None else 1
        ids = [int(m) for s in vml.iter(f"{{{v}}}shape") for m in re.findall(r"_s(\d+)", s.get("id", ""))]
        shape = etree.SubElement(vml, f"{{{v}}}shape", id=f"_x0000_s{max(ids, default=block * 1024) + 1}",
                                 type="#_x0000_t202",
                                 style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:225pt;"
                                       "height:90pt;z-index:1;visibility:hidden",
                                 fillcolor="#ffffe1")
        shape.set(f"{{{o}}}insetmode", "auto")
        etree.SubElement(shape, f"{{{v}}}fill", color2="#ffffe1")
        etree.SubElement(shape, f"{{{v}}}shadow", on="t", color="black", obscured="t")
        etree.SubElement(shape, f"{{{v}}}path").set(f"{{{o}}}connecttype", "none")
        box = etree.SubElement(shape, f"{{{v}}}textbox", style="mso-direction-alt:auto")
        etree.SubElement(box, "div", style="text-align:left")
        data = etree.SubElement(shape, f"{{{x}}}ClientData", ObjectType="Note")
        etree.SubElement(data, f"{{{x}}}MoveWithCells")
        etree.SubElement(data, f"{{{x}}}SizeWithCells")
        anchor = f"{col}, 15, {max(row - 2, 0)}, 2, {col + 3}, 15, {row + 3}, 16"
        etree.SubElement(data, f"{{{x}}}Anchor").text = anchor
        etree.SubElement(data, f"{{{x}}}AutoFill").text = "False"
        etree.SubElement(data, f"{{{x}}}Row").text = str(row - 1)
        etree.SubElement(data, f"{{{x}}}Column").text = str(col - 1)

    def _free_block(self) -> int:
        """A VML shape-id block (o:idmap) no other drawing of the workbook uses."""
        used: set[int] = set()
        names = (set(self._names) | set(self._new) | set(self._trees)) - self._gone
        for name in names:
            if name.endswith(".vml"):
                used.update(int(d) for d in re.findall(rb'idmap[^>]*data="([0-9,]+)"', self.read(name))
                            for d in d.split(b","))
        return max(used, default=0) + 1

    def note(self, sheet: str, ref: str) -> str | None:
        """A cell's legacy note text, or None."""
        part = self.sheet_part(sheet)
        comments_part = next(iter(self.targets(part, T_COMMENTS).values()), None)
        if comments_part is None:
            return None
        for cm in self._peek(comments_part).iterfind(f"{M}commentList/{M}comment"):
            if cm.get("ref", "").upper() == ref.upper():
                node = cm.find(M + "text")
                return _text_of(node) if node is not None else ""
        return None

    # sheet furniture (for sheets tomsync adds) ---------------------------------------------------

    def set_widths(self, sheet: str, widths: dict[str, float]) -> None:
        root = self.sheet(sheet).root
        cols = root.find(M + "cols")
        if cols is None:
            cols = _insert_ordered(root, etree.Element(M + "cols"), _SHEET_ORDER)
        for letters, width in sorted(widths.items(), key=lambda kv: col_index(kv[0])):
            n = str(col_index(letters))
            etree.SubElement(cols, M + "col", min=n, max=n, width=str(width), customWidth="1")

    def freeze_top_row(self, sheet: str) -> None:
        root = self.sheet(sheet).root
        view = root.find(f"{M}sheetViews/{M}sheetView")
        if view is None:
            return
        for child in list(view):
            view.remove(child)
        etree.SubElement(view, M + "pane", ySplit="1", topLeftCell="A2", activePane="bottomLeft",
                         state="frozen")
        etree.SubElement(view, M + "selection", pane="bottomLeft", activeCell="A2", sqref="A2")

    # appended rows take the formats of the row above (the merge) -------------------------------

    def extend_formats(self, sheet: str, row: int) -> None:
        """Give a new row what the row above has: cell formats, height, data validation, conditional
        formatting, and the auto-filter range when it ended just above."""
        sh = self.sheet(sheet)
        above = sh.rows.get(row - 1)
        if above is None:
            return
        new = sh.row(row)
        for attr in ("ht", "customHeight", "s", "customFormat"):
            if above.get(attr) is not None and new.get(attr) is None:
                new.set(attr, above.get(attr))
        cols = []
        for c in above.iterfind(M + "c"):
            col = split_ref(c.get("r"))[1]
            cols.append(col)
            if c.get("s"):
                target = sh.cell(f"{col_letters(col)}{row}")
                if not target.get("s"):
                    target.set("s", c.get("s"))
        root = sh.root
        for el in [*root.iterfind(f"{M}dataValidations/{M}dataValidation"),
                   *root.iterfind(f"{M}conditionalFormatting")]:
            sqref = el.get("sqref", "")
            add = [f"{col_letters(c)}{row}" for c in cols
                   if _in_sqref(sqref, row - 1, c) and not _in_sqref(sqref, row, c)]
            if add:
                el.set("sqref", " ".join([sqref, *add]).strip())
        auto = root.find(M + "autoFilter")
        if auto is not None and ":" in auto.get("ref", ""):
            a, b = auto.get("ref", "").split(":")
            (r2, c2) = split_ref(b)
            if r2 == row - 1:
                auto.set("ref", f"{a}:{col_letters(c2)}{row}")

    # writing -------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The patched package: untouched members copied as stored (same compressed bytes), in order."""
        for sh in self._sheets.values():
            sh.fix_dimension()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            written: set[str] = set()
            for info in self._infos:
                name = info.filename
                written.add(name)
                if name in self._gone:
                    continue
                if name in self._trees or name in self._new:
                    clone = zipfile.ZipInfo(name, info.date_time)
                    clone.external_attr, clone.create_system = info.external_attr, info.create_system
                    method = info.compress_type
                    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                        method = zipfile.ZIP_DEFLATED
                    zf.writestr(clone, self.read(name), compress_type=method)
                    continue
                _copy_raw(self._data, info, zf)
            for name in list(self._new) + list(self._trees):
                if name not in written and name not in self._gone:
                    written.add(name)
                    clone = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                    zf.writestr(clone, self.read(name), compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue()

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Replace the file atomically (refusing one open in Excel or read-only, before writing)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no file to save to")
        refuse_unwritable(target)
        atomic_write_bytes(target, self.to_bytes())


def _copy_raw(data: bytes, info: zipfile.ZipInfo, zf: zipfile.ZipFile) -> None:
    """Append a member to ``zf`` exactly as stored in ``data``: local header, compressed bytes and data
    descriptor, then list it in the central directory at its new offset."""
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        raise PackageError(f"damaged zip entry {info.filename}")
    n, m = int.from_bytes(data[start + 26:start + 28], "little"), int.from_bytes(data[start + 28:start + 30],
                                                                                  "little")
    end = start + 30 + n + m + info.compress_size
    if info.flag_bits & 0x08:
        zip64 = info.compress_size >= 0xFFFFFFFF or info.file_size >= 0xFFFFFFFF
        size = 24 if zip64 else 16
        end += size if data[end:end + 4] == b"PK\x07\x08" else size - 4
    fp = zf.fp
    assert fp is not None
    clone = copy.copy(info)
    clone.header_offset = fp.tell()
    fp.write(data[start:end])
    zf.filelist.append(clone)
    zf.NameToInfo[clone.filename] = clone
    zf.start_dir = fp.tell()  # where zipfile writes next (it writes the central directory there)


def _rels_owner(rels_part: str) -> str:
    folder, name = posixpath.split(rels_part)
    return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")])


def _plain(xf: Any) -> tuple[Any, ...]:
    """An xf without its apply* flags (they do not change how a cell looks)."""
    bare = copy.deepcopy(xf)
    for attr in [a for a in bare.attrib if a.startswith("apply")]:
        del bare.attrib[attr]
    return Package._key(bare)


def _resets(changes: dict[str, Any]) -> bool:
    """Whether style changes only take formats off (no fill, automatic plain font)."""
    font = changes.get("font")
    plain_font = font is None or not (font.get("color") or font.get("bold") or font.get("underline"))
    return changes.get("fill", False) in (None, False) and changes.get("num_fmt") is None and plain_font


def _toggle(font: Any, tag: str, on: bool) -> None:
    for old in font.findall(M + tag):
        font.remove(old)
    if on:
        _insert_ordered(font, etree.Element(M + tag), _FONT_ORDER)


def _is_date_format(code: str) -> bool:
    code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code.split(";")[0]).lower()
    return bool(re.search(r"[dmyhs]", code)) and "general" not in code


def _new_vml(block: int) -> bytes:
    return (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            b'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
            b'<o:idmap v:ext="edit" data="%d"/></o:shapelayout>'
            b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" '
            b'o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
            b'<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype></xml>') % block
