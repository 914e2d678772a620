"""Read a TOM workbook into typed rows, fast.

Values come from python-calamine (Rust; ~10x faster than openpyxl and releases the GIL). Formula cells
are found by scanning the sheet XML for ``<f`` elements, since calamine reports values only.
Types are normalised once, here: whole floats become ints, datetimes become dates, text dates in
ISO or UK form become dates, so every later step sees one type per column kind.

Any failure to open the file raises `WorkbookReadError` with one line saying why (exit status 2 in
the CLI): not an xlsx, corrupt, encrypted, no Master tab, or not built by tomsync.

Bounded resources: before calamine parses anything, `check_package` looks at the zip's directory and
refuses a part whose uncompressed size or compression ratio is over the `Limits` (a "zip bomb": 4 MB
on disk, 4 GiB inflated), a part whose declared sizes cannot be true, and a tab with more rows than
the limit (rows counted by streaming the sheet XML in 1 MB pieces, only for parts big enough to hold
that many). The defaults leave real workbooks room to spare (the 400-tab benchmark's largest part is
0.3 MB at a ratio of 12); set them per call, or with TOMSYNC_MAX_PART_MB, TOMSYNC_MAX_RATIO and
TOMSYNC_MAX_ROWS.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from xml.etree import ElementTree

import python_calamine

from workbook_templates.layout import (
    COMPASS,
    CURRENT_RAG,
    MASTER,
    MASTER_HISTORY,
    META_FORMAT,
    META_SHEET,
    PLAN,
)
from workbook_templates.plan import PlanData, read_plan
from workbook_templates.spec import Spec, SpecError, parse_schools, parse_spec

_FORMULA = re.compile(rb"<f[ >/]")
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


class WorkbookReadError(Exception):
    """The file cannot be read as a TOM workbook; str() is one line naming the file and the reason."""


MB = 1024 * 1024
LIMIT_ENV = {"max_part_mb": "TOMSYNC_MAX_PART_MB", "max_ratio": "TOMSYNC_MAX_RATIO",
             "max_rows": "TOMSYNC_MAX_ROWS"}
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[ >/]")
_MIN_ROW_BYTES = 12  # '<row r="1"/>': a part smaller than max_rows * this cannot hold too many rows


@dataclass(frozen=True)
class Limits:
    """What one workbook may cost to read. ``ratio_from_bytes``: small parts (styles, shared strings)
    compress very well legitimately, so the ratio is only checked for parts inflating beyond it."""

    max_part_bytes: int = 200 * MB
    max_ratio: float = 100.0
    max_rows: int = 20_000
    ratio_from_bytes: int = 1 * MB

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, settings: Mapping[str, Any] | None = None
                 ) -> Limits:
        """The defaults, overridden by ``settings`` (tomsync.toml's [limits]), overridden in turn by
        TOMSYNC_MAX_PART_MB, TOMSYNC_MAX_RATIO, TOMSYNC_MAX_ROWS."""
        env = os.environ if env is None else env
        given = {k: env[v] for k, v in LIMIT_ENV.items() if env.get(v, "").strip()}
        return cls.from_settings({**(settings or {}), **given})

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """From a mapping such as tomsync.toml's [limits]: max_part_mb, max_ratio, max_rows (or the
        field names); ValueError with one line for a value that is not a positive number."""
        base = cls()
        values: dict[str, Any] = {}
        for key, raw in settings.items():
            name = "max_part_bytes" if key in ("max_part_mb", "max_part_bytes") else key
            if name not in ("max_part_bytes", "max_ratio", "max_rows"):
                raise ValueError(f"unknown limit {key!r} (known: max_part_mb, max_ratio, max_rows)")
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"limit {key} must be a number, not {raw!r}") from None
            if not number > 0:
                raise ValueError(f"limit {key} must be more than 0, not {raw!r}")
            values[name] = int(number * MB) if name == "max_part_bytes" and key != "max_part_bytes" \
                else number if name == "max_ratio" else int(number)
        return replace(base, **values)


def _count_rows(zf: zipfile.ZipFile, info: zipfile.ZipInfo, stop_after: int) -> int:
    """Row elements in a sheet part, streamed in 1 MB pieces; stops counting past ``stop_after``."""
    count, tail, keep = 0, b"", 16  # a tag cut by a piece boundary is counted with the next piece
    with zf.open(info) as stream:
        while count <= stop_after:
            chunk = stream.read(MB)
            if not chunk:
                return count + len(_ROW_TAG.findall(tail))
            block = tail + chunk
            cut = max(0, len(block) - keep)
            count += sum(1 for m in _ROW_TAG.finditer(block) if m.start() < cut)
            tail = block[cut:]
    return count


def _tab_names(zf: zipfile.ZipFile) -> dict[str, str]:
    try:
        return {part: name for name, part in _sheet_paths(zf).items()}
    except (KeyError, ElementTree.ParseError):
        return {}


def check_package(zf: zipfile.ZipFile, label: object, limits: Limits | None = None) -> None:
    """Refuse, with one line, a package that would cost more to read than ``limits`` allow."""
    limits = limits or Limits.from_env()
    tabs: dict[str, str] | None = None
    for info in zf.infolist():
        size, packed = info.file_size, info.compress_size
        if size > limits.max_part_bytes:
            raise WorkbookReadError(f"{label}: part {info.filename} inflates to {size / MB:,.0f} MB, over "
                                    f"the limit of {limits.max_part_bytes / MB:,.0f} MB; not read")
        if info.compress_type != zipfile.ZIP_STORED and packed > size + 1024 + size // 100:
            raise WorkbookReadError(f"{label}: part {info.filename} has impossible sizes (packed "
                                    f"{packed} bytes, unpacked {size}): the package is corrupt; not read")
        if size > limits.ratio_from_bytes and size > limits.max_ratio * max(packed, 1):
            raise WorkbookReadError(f"{label}: part {info.filename} inflates {size / max(packed, 1):,.0f} "
                                    f"times ({packed / MB:,.1f} MB to {size / MB:,.0f} MB), over the limit "
                                    f"of {limits.max_ratio:,.0f}; not read")
        if info.filename.startswith("xl/worksheets/") and size > limits.max_rows * _MIN_ROW_BYTES:
            rows = _count_rows(zf, info, limits.max_rows)
            if rows > limits.max_rows:
                tabs = _tab_names(zf) if tabs is None else tabs
                tab = tabs.get(info.filename)
                where = f"tab '{tab}'" if tab else f"part {info.filename}"
                raise WorkbookReadError(f"{label}: {where} has more than {limits.max_rows:,} used rows, "
                                        "over the limit; delete the empty rows below the data (or raise "
                                        "TOMSYNC_MAX_ROWS); not read")


def package_problem(data: bytes, label: object = "workbook", limits: Limits | None = None) -> str | None:
    """Why ``data`` cannot be opened as an .xlsx package (one line), or None when it can: the check
    the sync makes before a library copy replaces a local one, or before a merge."""
    try:
        _check_bytes(data, label, limits)
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except WorkbookReadError as exc:
        return str(exc)
    except Exception as exc:  # calamine raises several types for broken packages
        return f"{label}: the workbook cannot be read ({first_line(exc)})"
    return None


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
    error_cells: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> address -> "#N/A"
    plan: PlanData | None = None  # a Strategic Careers Plan's Plan and Compass sheets (spec [plan])
    master_history: list[list[Any]] = field(default_factory=list)  # "Master history" rows, header first

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


RAG_WORDS = {"GREEN": "G", "AMBER": "A", "RED": "R", "BLUE": "B"}


class RagWord(str):
    """A rating typed as a word ("Green", "amber"): equal to its letter, so every check and count takes
    it as the rating it clearly means, and remembering what was typed, so validation can ask for the
    letter."""

    typed: str

    def __new__(cls, letter: str, typed: str) -> RagWord:
        word = super().__new__(cls, letter)
        word.typed = typed
        return word

    def __reduce__(self) -> tuple[Any, ...]:  # to worker processes and back, typed text included
        return (RagWord, (str(self), self.typed))


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
        text = value.strip().upper()
        letter = RAG_WORDS.get(text)
        return RagWord(letter, value.strip()) if letter else text or None
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
    return scan_cells(data, sheets)[0]


_ERROR_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*? t="e"[^>]*>(?:<f[^>]*(?:/>|>.*?</f>))?<v>([^<]*)</v>',
                         re.DOTALL)


def scan_cells(data: bytes, sheets: list[str]) -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
    """Per requested sheet: the A1 addresses of cells holding a formula, and the cells showing an
    Excel error (``#N/A``, ``#REF!``...) with that error: calamine reads both as blank."""
    out: dict[str, set[str]] = {}
    errors: dict[str, dict[str, str]] = {}
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
            if b't="e"' in xml:
                errors[name] = {m.group(1).decode(): m.group(2).decode(errors="replace")
                                for m in _ERROR_CELL.finditer(xml)}
    return out, errors


def _open(path: Path, limits: Limits | None = None) -> tuple[bytes, python_calamine.CalamineWorkbook]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbookReadError(f"{path}: no such file") from None
    except OSError as exc:
        raise WorkbookReadError(f"{path}: cannot be read ({exc.strerror})") from None
    _check_bytes(data, path, limits)
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several types for broken packages
        raise WorkbookReadError(f"{path}: the workbook cannot be read ({first_line(exc)})") from None
    return data, wb


def _check_bytes(data: bytes, path: object, limits: Limits | None) -> None:
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
            check_package(zf, path, limits)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise WorkbookReadError(f"{path}: the workbook is corrupt or truncated ({first_line(exc)})") from None


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
            if h != CURRENT_RAG and h != id_header:
                used = True
        if not used and values.get(id_header) is not None:  # only an ID: the template pre-fills own
            used = str(values[id_header]) in master_ids      # rows' IDs, so such a row is not used yet
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
                  formulas: Callable[[list[str]], dict[str, set[str]]],
                  errors: Callable[[list[str]], dict[str, dict[str, str]]] | None = None) -> WorkbookData:
    """Typed rows of every tab the spec knows; ``formulas`` finds formula cells on the given tabs,
    ``errors`` the cells showing an Excel error."""
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
    history = _values(book, MASTER_HISTORY) if MASTER_HISTORY in names else []
    plan = None
    if spec.plan is not None:
        try:
            plan = read_plan({n: _values(book, n) for n in (PLAN, COMPASS) if n in names}, spec)
        except Exception as exc:
            raise WorkbookReadError(f"{path}: the plan's sheets cannot be read ({first_line(exc)})") from None
    return WorkbookData(path, spec, meta, names, master, rows, formulas(list(rows)),
                        errors(list(rows)) if errors is not None else {}, plan, history)


def embedded_spec(data: bytes) -> Spec | None:
    """The spec a workbook's bytes were built from, or None if they are not a readable TOM workbook."""
    try:
        _check_bytes(data, "workbook", None)
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return read_meta(wb, Path("workbook"))[1]
    except Exception:
        return None


SCAN_AHEAD_FROM = 32  # tabs; below this a second thread costs more than it saves


def read_workbook(path: str | os.PathLike[str], limits: Limits | None = None) -> WorkbookData:
    """Every tab the spec knows, as typed rows. Raises WorkbookReadError if the file is unusable or
    over ``limits`` (default: `Limits.from_env`)."""
    p = Path(path)
    data, wb = _open(p, limits)
    if len(wb.sheet_names) < SCAN_AHEAD_FROM:
        scanned: dict[str, tuple[dict[str, set[str]], dict[str, dict[str, str]]]] = {}

        def scan_once(tabs: list[str]) -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
            key = "\0".join(tabs)
            if key not in scanned:
                scanned[key] = scan_cells(data, tabs)
            return scanned[key]

        return workbook_data(wb, p, lambda tabs: scan_once(tabs)[0], lambda tabs: scan_once(tabs)[1])
    # Many tabs: scan the XML for formulas on a second thread (zlib releases the GIL) while
    # python-calamine parses the values on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(scan_cells, data, list(wb.sheet_names))

        def formulas(tabs: list[str]) -> dict[str, set[str]]:
            wanted = set(tabs)
            return {name: cells for name, cells in scan.result()[0].items() if name in wanted}

        def errors(tabs: list[str]) -> dict[str, dict[str, str]]:
            wanted = set(tabs)
            return {name: cells for name, cells in scan.result()[1].items() if name in wanted}

        return workbook_data(wb, p, formulas, errors)
