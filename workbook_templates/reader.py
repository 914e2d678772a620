"""Read a TOM workbook into typed rows, fast.

Values come from python-calamine (Rust; ~10x faster than openpyxl and releases the GIL). Formula cells
are found by scanning the sheet XML for ``<f`` elements, since calamine reports values only.
Types are normalised once, here: whole floats become ints, datetimes become dates, text dates in
ISO or UK form become dates, so every later step sees one type per column kind.

Any failure to open the file raises `WorkbookReadError` with one line saying why (exit status 2 in
the CLI): not an xlsx, corrupt, encrypted, no Master tab, or not built by tomsync.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

import python_calamine

from workbook_templates.layout import CURRENT_RAG, MASTER, META_FORMAT, META_SHEET
from workbook_templates.spec import Spec, SpecError, parse_schools, parse_spec

_FORMULA = re.compile(rb"<f[ >/]")
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


class WorkbookReadError(Exception):
    """The file cannot be read as a TOM workbook; str() is one line naming the file and the reason."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name when the message is empty
    (some libraries raise with no message, or with one that is only blank lines)."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


@dataclass
class Row:
    """One used row of a data tab: values keyed by header, typed by column kind."""

    sheet: str
    row: int  # Excel row number (1-based; the header is row 1)
    values: dict[str, Any]
    is_master: bool = False

    def get(self, header: str) -> Any:
        return self.values.get(header)


@dataclass
class SheetRows:
    name: str
    headers: list[str]
    rows: list[Row]

    def col_index(self, header: str) -> int | None:
        """0-based column index of ``header`` on this tab (None if the column is missing)."""
        try:
            return self.headers.index(header)
        except ValueError:
            return None


@dataclass
class WorkbookData:
    path: Path
    spec: Spec
    meta: dict[str, str]
    sheet_names: list[str]
    master: SheetRows
    schools: dict[str, SheetRows]  # tab name -> rows, for tabs named by the spec's schools
    formula_cells: dict[str, set[str]] = field(default_factory=dict)

    def all_school_rows(self) -> list[Row]:
        return [r for s in self.schools.values() for r in s.rows]

    def to_frame(self, month: str | None = None) -> Any:
        """A tidy pandas DataFrame, one row per used school row: month (``month``, else the workbook's
        cycle stamp), area, school, school_id, sheet, row, id, theme, lead, status, rag, when, due,
        last_updated (`workbook_templates.frame`). pandas is imported only here."""
        from workbook_templates.frame import tidy_rows, to_frame

        return to_frame(tidy_rows(self, month))


def excel_serial_to_date(value: float) -> date:
    """Excel's 1900 date system (with its phantom 29 Feb 1900) to a date."""
    from datetime import timedelta
    return date(1899, 12, 30) + timedelta(days=int(value))


_DATE_FORMS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")


def to_date(value: Any) -> Any:
    """A date if the value is one (or is text spelling one); the value unchanged otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for form in _DATE_FORMS:
            try:
                return datetime.strptime(text, form).date()
            except ValueError:
                continue
    return value


def normalise(value: Any, kind: str) -> Any:
    """Blank -> None; whole floats -> int; kind-specific tidying, never losing what was typed."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if kind == "date":
        return to_date(value)
    if isinstance(value, datetime | date) and kind != "date":
        return value.isoformat()[:10]
    if kind == "rag" and isinstance(value, str):
        return value.strip().upper() or None
    if kind in ("choice", "int") and isinstance(value, str):
        text = value.strip()
        if kind == "int" and text.lstrip("-").isdigit():
            return int(text)
        return text or None
    if kind in ("text", "url", "choice") and not isinstance(value, str):
        return str(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> XML part path, from workbook.xml and its relationships."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for sh in wb.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sh.get(f"{{{_NS['r']}}}id"), "")
        target = target.lstrip("/")
        out[sh.get("name", "")] = target if target.startswith("xl/") else "xl/" + target
    return out


def formula_cells(data: bytes, sheets: list[str]) -> dict[str, set[str]]:
    """A1 addresses of cells holding a formula, per requested sheet."""
    out: dict[str, set[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        paths = _sheet_paths(zf)
        for name in sheets:
            part = paths.get(name)
            if not part:
                continue
            xml = zf.read(part)
            found = set()
            for m in _FORMULA.finditer(xml):  # <formula> of conditional formats does not match
                start = xml.rfind(b'<c r="', 0, m.start()) + 6
                found.add(xml[start:xml.index(b'"', start)].decode())
            if found:
                out[name] = found
    return out


def _open(path: Path) -> tuple[bytes, python_calamine.CalamineWorkbook]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbookReadError(f"{path}: no such file") from None
    except OSError as exc:
        raise WorkbookReadError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data:
        raise WorkbookReadError(f"{path}: the file is empty")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise WorkbookReadError(f"{path}: the workbook is encrypted (password to open) or an old .xls; "
                                "save it unencrypted as .xlsx")
    if data[:2] != b"PK":
        raise WorkbookReadError(f"{path}: not an .xlsx workbook (it is not a zip package)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if "xl/workbook.xml" not in zf.namelist():
                raise WorkbookReadError(f"{path}: not an Excel workbook (no xl/workbook.xml inside)")
    except zipfile.BadZipFile as exc:
        raise WorkbookReadError(f"{path}: the workbook is corrupt or truncated ({exc})") from None
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several types for broken packages
        raise WorkbookReadError(f"{path}: the workbook cannot be read ({first_line(exc)})") from None
    return data, wb


def _values(wb: SheetSource, name: str) -> list[list[Any]]:
    return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def read_meta(wb: SheetSource, path: Path) -> tuple[dict[str, str], Spec]:
    if META_SHEET not in wb.sheet_names:
        raise WorkbookReadError(f"{path}: not a tomsync workbook (no {META_SHEET} sheet); "
                                "build it with 'tomsync template build'")
    meta: dict[str, str] = {}
    for row in _values(wb, META_SHEET):
        if row and row[0]:
            key = str(row[0])
            meta[key] = "".join(str(v) for v in row[1:] if v not in (None, ""))
    if meta.get("format") != META_FORMAT:
        raise WorkbookReadError(f"{path}: unknown workbook format {meta.get('format')!r}")
    try:
        spec = _embedded_spec(meta.get("spec", ""))
    except SpecError as exc:
        raise WorkbookReadError(f"{path} ({META_SHEET} sheet): {exc}") from None
    return meta, spec


def _embedded_spec(text: str) -> Spec:
    """The spec the workbook was built from. Parsing is cached on everything but the school list:
    3,500 one-school workbooks share one shape, and only their schools are checked each time."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SpecError(f"the embedded spec is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("schools"), list):
        raise SpecError("the embedded spec has no schools list")
    schools = data.pop("schools")
    shape = _spec_shape(json.dumps(data, sort_keys=True))
    return replace(shape, schools=parse_schools(schools, "embedded spec"))


@lru_cache(maxsize=64)
def _spec_shape(text: str) -> Spec:
    data = json.loads(text)
    data["schools"] = [{"id": "-", "name": "-"}]
    return parse_spec(data, "embedded spec")


def sheet_rows(grid: list[list[Any]], name: str, spec: Spec, master_ids: set[str]) -> SheetRows:
    """One tab's value grid (row 1 the header) as typed rows; empty rows are skipped."""
    headers = [str(h).strip() if h is not None else "" for h in (grid[0] if grid else [])]
    kinds = {c.header: c.kind for c in spec.columns}
    kinds[CURRENT_RAG] = "rag"
    cols = [(i, h, kinds.get(h, "text")) for i, h in enumerate(headers) if h]
    width = len(headers)
    id_header = spec.id_header
    rows = []
    for r, raw in enumerate(grid[1:], start=2):
        if not any(raw) and all(v == "" or v is None for v in raw):
            continue  # an empty free row: the common case, skipped without a per-cell loop
        if len(raw) < width:
            raw = list(raw) + [""] * (width - len(raw))
        values: dict[str, Any] = {}
        used = False
        for i, h, kind in cols:
            v = raw[i]
            if v == "" or v is None:
                values[h] = None
                continue
            if kind == "text" and type(v) is str:  # the hot path: typed text, kept as typed
                if v.isspace():
                    values[h] = None
                    continue
            else:
                v = normalise(v, kind)
                if v is None:
                    values[h] = None
                    continue
            values[h] = v
            if h != CURRENT_RAG:
                used = True
        if used:
            rid = values.get(id_header)
            rows.append(Row(name, r, values, is_master=rid is not None and str(rid) in master_ids))
    return SheetRows(name, headers, rows)


class SheetSource(Protocol):
    """What the reader asks of a workbook: python-calamine's CalamineWorkbook, or the add-in's view of
    a workbook open in Excel (`workbook_templates.surface.GridBook`), so both paths share every line below."""

    sheet_names: list[str]

    def get_sheet_by_name(self, name: str) -> Any: ...


def workbook_data(book: SheetSource, path: Path,
                  formulas: Callable[[list[str]], dict[str, set[str]]]) -> WorkbookData:
    """Typed rows of every tab the spec knows; ``formulas`` finds formula cells on the given tabs."""
    names = list(book.sheet_names)
    if MASTER not in names:
        raise WorkbookReadError(f"{path}: no Master tab; this is not a TOM workbook")
    meta, spec = read_meta(book, path)
    master_ids = {str(row[spec.id_header]) for row in spec.master}
    tabs = [MASTER, *(s.sheet for s in spec.schools if s.sheet in names)]
    source = (_values(book, name) for name in tabs)
    try:
        rows = {name: sheet_rows(grid, name, spec, master_ids) for name, grid in zip(tabs, source,
                                                                                  strict=True)}
    except Exception as exc:
        raise WorkbookReadError(f"{path}: a sheet cannot be read ({first_line(exc)})") from None
    master = rows.pop(MASTER)
    return WorkbookData(path, spec, meta, names, master, rows, formulas(list(rows)))


def embedded_spec(data: bytes) -> Spec | None:
    """The spec a workbook's bytes were built from, or None if they are not a readable TOM workbook."""
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return read_meta(wb, Path("workbook"))[1]
    except Exception:
        return None


SCAN_AHEAD_FROM = 32  # tabs; below this a second thread costs more than it saves


def read_workbook(path: str | os.PathLike[str]) -> WorkbookData:
    """Every tab the spec knows, as typed rows. Raises WorkbookReadError if the file is unusable."""
    p = Path(path)
    data, wb = _open(p)
    if len(wb.sheet_names) < SCAN_AHEAD_FROM:
        return workbook_data(wb, p, lambda tabs: formula_cells(data, tabs))
    # Many tabs: scan the XML for formulas on a second thread (zlib releases the GIL) while
    # python-calamine parses the values on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(formula_cells, data, list(wb.sheet_names))

        def formulas(tabs: list[str]) -> dict[str, set[str]]:
            wanted = set(tabs)
            return {name: cells for name, cells in scan.result().items() if name in wanted}

        return workbook_data(wb, p, formulas)
