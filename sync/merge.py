"""Three-way, cell-level merge of a TOM workbook: base (last pulled), ours (edited), theirs (remote now).

Why this shape: a push that finds the remote changed must not overwrite a colleague's work, and must not
lose ours either. So the merge starts from THEIRS and applies only OUR changes relative to BASE onto it,
patching just the cells that changed in theirs' package (`workbook_templates.package`): every other
byte of the remote is kept, so its formatting, validation, protection, charts, images, comments and the
results Excel cached for formulas all survive the push (an openpyxl round trip lost the last three).

Matching: on sheets whose row 1 has an "ID" header (Master and school tabs) rows are matched by ID, not
position, because a colleague may have inserted a row; data columns are matched by header text, because a
colleague may have inserted a column. Rows without an ID, the header row and every other sheet are matched
by address. Values are compared normalised (None == "", 5 == 5.0, a datetime equals a date on the same day;
formulas by their text).

Outcomes per cell: changed only by us -> ours; only by them -> theirs; both to the same value -> fine;
both to different values -> a ``Conflict`` and no merged workbook. Rows added on both sides both survive;
ours go into the first empty (pre-formatted) rows below theirs' data. Nothing copied from ours is kept as a
formula (unless the sheet is named in ``formula_sheets``): staff-typed "=HYPERLINK(...)" stays text.

Pre-filled IDs: the template numbers a school's free rows ("HAW-01", "HAW-02", ...), so a row holding
only its ID is an empty row, not a row (as for the reader). Two staff may fill the same free row at once
and both keep its ID. When that ID was such an empty row in base and both filled it differently, both
rows are kept: theirs keeps the ID, ours moves to theirs' next free row and takes that row's pre-filled
ID (or, past the last free row, the next unused number), reported as a change, never a conflict: nobody's
edit is lost. Filled the same way on both sides, it merges silently.

Cost: base, ours and theirs are read once each, read-only, into plain dicts of value tuples (a lean cell
loop over openpyxl's own shared strings and date styles). Rows are compared as tuples before any
cell-level work; only the sheets holding a change are parsed for patching, and the other parts of
theirs are copied into the result as they were stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any

from lxml import etree
from openpyxl import load_workbook
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.functions import iterparse  # defusedxml when installed, as openpyxl itself

from workbook_templates.layout import CURRENT_RAG
from workbook_templates.package import M, Package

CONFLICTS_SHEET = "Conflicts"
"""Title of the sheet ``conflict_copy`` adds; a merge never copies a new sheet of this name to the remote."""

ID_HEADER = "ID"

Row = tuple[Any, ...]
Key = tuple[Any, ...]  # ("id", id_text, occurrence) or ("addr", row_number)


@dataclass(frozen=True)
class Conflict:
    """One cell both sides changed differently. ``cell`` is the address in ours (in base for a row we
    cleared; "" for a whole sheet); ``row_id`` the row's ID on ID-keyed sheets, else None."""

    sheet: str
    cell: str
    row_id: str | None
    base: object
    ours: object
    theirs: object


@dataclass
class MergeResult:
    """``merged`` is the .xlsx to push, or None when ``conflicts`` need a person. ``changes`` lists what
    was taken from ours, one short line each, for the sync log."""

    merged: bytes | None
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the merge could not keep (empty since the merge patches theirs' package: nothing is dropped)."""
    partial: bytes | None = None
    """On conflict: theirs with every non-conflicting change of ours applied (conflicting cells keep
    theirs), the starting point for a person to resolve."""

    @property
    def ok(self) -> bool:
        return self.merged is not None


# --------------------------------------------------------------------------------------- values


def _norm(value: object) -> object:
    """The comparable form of a cell value: blanks -> None, numbers -> float, midnight datetimes -> date,
    array formulas -> their text."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date()
        return value
    text = getattr(value, "text", None)  # ArrayFormula
    if isinstance(text, str):
        return text
    return value


def values_equal(a: object, b: object) -> bool:
    """Whether two cell values mean the same thing to a person (see module docstring)."""
    if a is b:
        return True
    na, nb = _norm(a), _norm(b)
    if isinstance(na, bool) or isinstance(nb, bool):
        return type(na) is type(nb) and na == nb
    if na == nb:
        return True
    if isinstance(na, float) and isinstance(nb, float):
        return math.isclose(na, nb, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(na, date) and isinstance(nb, date):
        da = na.date() if isinstance(na, datetime) else na
        db = nb.date() if isinstance(nb, datetime) else nb
        return da == db and (isinstance(na, datetime) != isinstance(nb, datetime))
    return False


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_formula(value: object) -> bool:
    if isinstance(value, str):
        return len(value) > 1 and value.startswith("=")
    return isinstance(getattr(value, "text", None), str)


def _has_content(row: Row) -> bool:
    """Whether a row holds something a person typed: template formulas (e.g. a "Current RAG" column in
    the free rows) do not make a row used."""
    return any(not _blank(v) and not _is_formula(v) for v in row)


def _map(cols: list[int | None], c: int) -> int | None:
    """Column ``c`` through a column map; columns beyond the map keep their position."""
    return cols[c] if c < len(cols) else c


def _at(row: Row, col: int | None) -> object:
    if col is None or col >= len(row):
        return None
    return row[col]


def _show(value: object, limit: int = 40) -> str:
    text = repr(_norm(value) if not isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _addr(row: int, col: int) -> str:
    """A1 address from a 1-based row and a 0-based column."""
    return f"{get_column_letter(col + 1)}{row}"


def write_value(pkg: Package, sheet: str, row: int, col: int, value: object, *,
                allow_formula: bool = False) -> None:
    """Set a cell (1-based row, 0-based column) in the package, keeping its format. A string starting
    with "=" (or a formula object) is stored as text unless ``allow_formula``: what staff typed must
    never run as a formula in the shared workbook."""
    text = getattr(value, "text", None)
    if isinstance(text, str) and not isinstance(value, str):  # ArrayFormula
        value = text
    elif value is not None and not isinstance(value, str | int | float | bool | date | datetime):
        value = str(value)
    pkg.set_value(sheet, _addr(row, col), value, formula=allow_formula)


# ------------------------------------------------------------------------------------ snapshots


@dataclass
class _Sheet:
    """Values of one sheet: 1-based row number -> values (trailing blanks trimmed), non-blank rows only."""

    title: str
    state: str
    rows: dict[int, Row]

    @property
    def header(self) -> Row:
        return self.rows.get(1, ())

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows.values()), default=0)


def _snapshot(ws: Any, *, read_only: bool) -> _Sheet:
    if read_only:
        ws.reset_dimensions()  # a stale <dimension> would otherwise truncate the read
    rows: dict[int, Row] = {}
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        n = len(values)
        while n and _blank(values[n - 1]):
            n -= 1
        if n:
            rows[number] = tuple(values[:n])
    return _Sheet(ws.title, ws.sheet_state, rows)


def _read_values(data: bytes) -> dict[str, _Sheet]:
    """Values of every worksheet (formulas as their text), read once in read-only mode. openpyxl sets up
    the shared strings, date styles and epoch; the cells themselves go through ``_lean_sheet``, which
    gives the same values as ``iter_rows(values_only=True)`` in well under half the time."""
    wb = load_workbook(BytesIO(data), read_only=True, data_only=False)
    try:
        lean = all(hasattr(wb, a) for a in ("_date_formats", "_timedelta_formats", "epoch"))
        out: dict[str, _Sheet] = {}
        for ws in wb.worksheets:
            if lean and hasattr(ws, "_get_source") and hasattr(ws, "_shared_strings"):
                out[ws.title] = _lean_sheet(ws)
            else:  # an openpyxl without those internals: the public, slower way
                out[ws.title] = _snapshot(ws, read_only=True)
        return out
    finally:
        wb.close()


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _V, _F, _IS, _T, _R = (_NS + tag for tag in ("row", "v", "f", "is", "t", "r"))
_COLUMNS: dict[str, int] = {}


def _column_of(coordinate: str) -> int:
    """0-based column of an A1 coordinate, cached per column letters."""
    letters = coordinate.rstrip("0123456789")
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_index_from_string(letters) - 1
    return col


def _lean_sheet(ws: Any) -> _Sheet:
    """One read-only worksheet's values, decoded like openpyxl's ``WorkSheetParser.parse_cell`` (same
    number casts, date styles, shared/array formulas) without building a cell object per cell."""
    wb = ws.parent
    strings, dates, spans, epoch = ws._shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch
    shared: dict[str, Translator] = {}
    rows: dict[int, Row] = {}
    row_n = 0
    with ws._get_source() as src:
        for _, el in iterparse(src):
            if el.tag != _ROW:
                continue
            number = el.get("r")
            row_n = int(number) if number else row_n + 1
            cells: dict[int, object] = {}
            col = -1
            for c in el:
                coordinate = c.get("r")
                col = _column_of(coordinate) if coordinate else col + 1
                f = c.find(_F)
                if f is not None:
                    kind, value = f.get("t"), "=" + (f.text or "")
                    if kind == "array":
                        cells[col] = ArrayFormula(ref=f.get("ref"), text=value)
                    elif kind == "dataTable":
                        cells[col] = DataTableFormula(**f.attrib)
                    elif kind == "shared" and f.get("si") in shared:
                        cells[col] = shared[f.get("si", "")].translate_formula(coordinate)
                    else:
                        if kind == "shared" and value != "=":
                            shared[f.get("si", "")] = Translator(value, coordinate)
                        cells[col] = value
                    continue
                t = c.get("t", "n")
                if t == "inlineStr":
                    node = c.find(_IS)
                    if node is not None:
                        cells[col] = "".join(
                            [node.findtext(_T) or ""] + [r.findtext(_T) or "" for r in node.iterfind(_R)]
                        )
                    continue
                v = c.findtext(_V)
                if not v:
                    continue
                if t == "n":
                    number_value: Any = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                    style = c.get("s")
                    if style and int(style) in dates:
                        try:
                            number_value = from_excel(number_value, epoch, timedelta=int(style) in spans)
                        except (OverflowError, ValueError):
                            number_value = "#VALUE!"
                    cells[col] = number_value
                elif t == "s":
                    cells[col] = strings[int(v)]
                elif t == "b":
                    cells[col] = bool(int(v))
                elif t == "d":
                    cells[col] = from_ISO8601(v)
                else:  # "str", "e"
                    cells[col] = v
            el.clear()
            if cells:
                row = tuple(cells.get(i) for i in range(max(cells) + 1))
                n = len(row)
                while n and _blank(row[n - 1]):
                    n -= 1
                if n:
                    rows[row_n] = row[:n]
    return _Sheet(ws.title, ws.sheet_state, rows)


def _header_key(value: object) -> str | None:
    n = _norm(value)
    return str(n).casefold() if n is not None else None


def _id_col(header: Row, id_header: str = ID_HEADER) -> int | None:
    for i, value in enumerate(header):
        if _header_key(value) == id_header.casefold():
            return i
    return None


def _colmap(src: Row, dst: Row, width: int) -> list[int | None]:
    """Map each column of ``src`` to the column of ``dst`` with the same header (None: no such column).
    Identical headers map by position; unnamed columns map by position where ``dst`` has no header there."""
    if src == dst:
        return list(range(width))
    dst_keys = [_header_key(v) for v in dst]
    src_keys = [_header_key(v) for v in src]
    out: list[int | None] = []
    for c in range(width):
        key = src_keys[c] if c < len(src_keys) else None
        if key is None:
            out.append(c if c >= len(dst_keys) or dst_keys[c] is None else None)
            continue
        hits = [i for i, k in enumerate(dst_keys) if k == key]
        rank = src_keys[:c].count(key)  # duplicated headers pair up in order
        out.append(hits[rank] if rank < len(hits) else None)
    return out


def _id_text(value: object) -> str | None:
    """An ID cell as text: 7 and 7.0 are both "7"."""
    n = _norm(value)
    if n is None:
        return None
    if isinstance(n, float) and n.is_integer():
        return str(int(n))
    return str(n)


def _derived(sheet: _Sheet) -> set[int]:
    """The columns the template fills with formulas on every row ("Current RAG"): not typed content."""
    return {i for i, h in enumerate(sheet.header) if _header_key(h) == CURRENT_RAG.casefold()}


def _only_id(values: Row, id_col: int, derived: Collection[int] = ()) -> str | None:
    """The ID of a row holding nothing else (a free row with its pre-filled ID), else None. A formula
    typed by staff is content; the template's formulas in ``derived`` columns are not."""
    ident = _id_text(_at(values, id_col))
    if ident is None:
        return None
    for c, v in enumerate(values):
        if c != id_col and not _blank(v) and (c not in derived or not _is_formula(v)):
            return None
    return ident


def _free_ids(sheet: _Sheet, id_col: int) -> dict[str, int]:
    """Pre-filled ID -> row number, for the rows that hold only their ID (empty rows)."""
    out: dict[str, int] = {}
    derived = _derived(sheet)
    for number, values in sheet.rows.items():
        ident = _only_id(values, id_col, derived) if number >= 2 else None
        if ident is not None:
            out.setdefault(ident, number)
    return out


def _next_id(ident: str, taken: Collection[str]) -> str:
    """The next unused ID in ``ident``'s numbering: "HAW-01" with HAW-01..HAW-12 taken -> "HAW-13"."""
    m = re.fullmatch(r"(.*?)(\d+)", ident)
    prefix, width = (m.group(1), len(m.group(2))) if m else (ident + "-", 2)
    numbers = [int(x[len(prefix):]) for x in taken if x.startswith(prefix) and x[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def _row_keys(sheet: _Sheet, id_col: int) -> dict[Key, int]:
    """Key each data row (row >= 2) by its ID, or by its address when it has none. A row holding only
    its (pre-filled) ID is empty: not keyed."""
    keys: dict[Key, int] = {}
    seen: dict[str, int] = {}
    derived = _derived(sheet)
    for number, values in sheet.rows.items():
        if number < 2 or not _has_content(values) or _only_id(values, id_col, derived) is not None:
            continue
        ident = _id_text(_at(values, id_col))
        if ident is None:
            keys[("addr", number)] = number
            continue
        n = seen.get(ident, 0)
        seen[ident] = n + 1
        keys[("id", ident, n)] = number
    return keys


def _pair(new: dict[Key, int], base: dict[Key, int]) -> dict[Key, int]:
    """Re-key rows whose ID was edited in place: a key unknown to base, sitting at the address of a base
    key that has vanished, is that base row."""
    at_base = {number: key for key, number in base.items()}
    present = set(new)
    out: dict[Key, int] = {}
    for key, number in new.items():
        if key not in base:
            old = at_base.get(number)
            if old is not None and old not in present:
                present.add(old)
                out[old] = number
                continue
        out[key] = number
    return out


# ---------------------------------------------------------------------------------------- merge


@dataclass(frozen=True)
class _CellEdit:
    """One cell we changed, with what theirs holds there: the input of `_Merger.cell`."""

    ours_at: str  # the cell's address in our workbook (named in a conflict)
    target: tuple[int, int] | None  # (row, col) in theirs, None if the row or column is gone there
    row_id: str | None
    column: object  # the column's header, for the change line
    base: object
    ours: object
    theirs: object


@dataclass(frozen=True)
class _Added:
    """A row we added, to place into theirs: what we typed (our column -> value) and its ID."""

    ours_row: int
    typed: dict[int, object]
    row_id: str | None
    renumber: bool = False  # its pre-filled ID was taken by them: take the next free one


class _Merger:
    """Applies our changes onto THEIRS' package, collecting conflicts and change lines. Sheets are
    named by title (``ws``)."""

    def __init__(self, pkg: Package, formula_sheets: Collection[str], id_header: str = ID_HEADER,
                 styles_from: Package | None = None) -> None:
        self.pkg = pkg
        self.styles_from = styles_from  # ours, when its style indices mean the same in theirs
        self.formula_sheets = set(formula_sheets)
        self.id_header = id_header
        self.conflicts: list[Conflict] = []
        self.changes: list[str] = []

    # one cell ------------------------------------------------------------------------------

    def cell(self, ws: str, edit: _CellEdit) -> None:
        """Decide one cell we changed (base -> ours) against theirs, writing ours at ``edit.target``
        if theirs is unchanged. ``target`` None means the row or column is gone from theirs."""
        target = edit.target
        if target is not None and values_equal(edit.theirs, edit.base):
            allow = ws in self.formula_sheets
            write_value(self.pkg, ws, target[0], target[1], edit.ours, allow_formula=allow)
            where = f"{ws}!{_addr(*target)}"
            label = f" [{edit.row_id}]" if edit.row_id else ""
            name = f" {edit.column}" if not _blank(edit.column) else ""
            self.changes.append(f"{where}{label}{name}: {_show(edit.base)} -> {_show(edit.ours)}")
        elif target is not None and values_equal(edit.theirs, edit.ours):
            return
        else:
            self.conflicts.append(Conflict(ws, edit.ours_at, edit.row_id, edit.base, edit.ours,
                                           edit.theirs))

    # sheets --------------------------------------------------------------------------------

    def by_address(
        self, ws: str, b: _Sheet, o: _Sheet, t: _Sheet, only: Iterable[int] | None = None
    ) -> None:
        numbers = sorted(set(b.rows) | set(o.rows)) if only is None else list(only)
        for r in numbers:
            brow, orow = b.rows.get(r, ()), o.rows.get(r, ())
            if brow == orow:
                continue
            trow = t.rows.get(r, ())
            for c in range(max(len(brow), len(orow))):
                bv, ov = _at(brow, c), _at(orow, c)
                if not values_equal(bv, ov):
                    self.cell(ws, _CellEdit(_addr(r, c), (r, c), None, None, bv, ov, _at(trow, c)))

    def by_id(self, ws: str, b: _Sheet, o: _Sheet, t: _Sheet, ids: tuple[int, int, int]) -> None:
        ib, io, it = ids
        self.by_address(ws, b, o, t, only=[1])  # the header row itself, by position
        width = max(o.width, b.width)
        ob = _colmap(o.header, b.header, width)
        ob_same = ob == list(range(width))
        ot = _colmap(o.header, t.header, width)
        tb = _colmap(t.header, b.header, t.width)
        bkeys = _row_keys(b, ib)
        okeys = _pair(_row_keys(o, io), bkeys)
        tkeys = _pair(_row_keys(t, it), bkeys)
        base_free = _free_ids(b, ib)
        added: list[_Added] = []

        for key, ro in okeys.items():
            orow = o.rows[ro]
            row_id = _id_text(_at(orow, io)) or (key[1] if key[0] == "id" else None)
            rt = tkeys.get(key)
            trow = t.rows[rt] if rt is not None else ()
            rb = bkeys.get(key)
            if rb is None:
                # a new row: what we typed is what differs from the (empty, formatted) base row there
                there = b.rows.get(ro, ())
                typed = {
                    c: ov
                    for c, ov in enumerate(orow)
                    if not _blank(ov) and not values_equal(ov, _at(there, c))
                }
                if rt is not None and key[0] == "id":  # the same new ID on both sides: must agree
                    clash = [(c, ov, _at(trow, _map(ot, c))) for c, ov in typed.items()
                             if not values_equal(ov, _at(trow, _map(ot, c)))]
                    if clash and key[1] in base_free:  # a free row both filled: keep both (docstring)
                        added.append(_Added(ro, typed, row_id, renumber=True))
                        continue
                    for c, ov, theirs_new in clash:
                        self.conflicts.append(Conflict(ws, _addr(ro, c), row_id, None, ov, theirs_new))
                elif not self._added_by_them_too(typed, ot, t, tkeys, bkeys):
                    added.append(_Added(ro, typed, row_id))
                continue
            brow = b.rows[rb]
            if ob_same and brow == orow:
                continue
            for c in range(max(len(orow), width)):
                bv, ov = _at(brow, _map(ob, c)), _at(orow, c)
                if values_equal(bv, ov):
                    continue
                tc = _map(ot, c)
                target = (rt, tc) if rt is not None and tc is not None else None
                if rt is not None and tc is None:
                    tv: object = f"(no column {_at(o.header, c)!r} in the remote)"
                else:
                    tv = _at(trow, tc)
                self.cell(ws, _CellEdit(_addr(ro, c), target, row_id, _at(o.header, c), bv, ov, tv))

        for key, rb in bkeys.items():
            if key not in okeys:
                self._cleared_by_us(ws, key, rb, b, t, tkeys.get(key), tb)

        if added:
            self._place(ws, t, added, ot, o.header, (io, it))

    def _added_by_them_too(
        self,
        typed: dict[int, object],
        ot: list[int | None],
        t: _Sheet,
        tkeys: dict[Key, int],
        bkeys: dict[Key, int],
    ) -> bool:
        """Whether theirs already added an ID-less row holding exactly what we typed."""
        for key, rt in tkeys.items():
            if key in bkeys or key[0] != "addr":
                continue
            trow = t.rows[rt]
            if all(values_equal(ov, _at(trow, _map(ot, c))) for c, ov in typed.items()):
                return True
        return False

    def _cleared_by_us(
        self, ws: str, key: Key, rb: int, b: _Sheet, t: _Sheet, rt: int | None, tb: list[int | None]
    ) -> None:
        """A base row we cleared or deleted: clear it in theirs, unless they edited it (-> conflicts).
        Formula cells are neither compared nor cleared: they are the template's, not the row's data."""
        if rt is None:
            return  # gone on both sides
        brow, trow = b.rows[rb], t.rows[rt]
        row_id = key[1] if key[0] == "id" else None
        edited = False
        for ct, tv in enumerate(trow):
            cb = _map(tb, ct)
            bv = _at(brow, cb)
            if _is_formula(tv) or _is_formula(bv) or values_equal(bv, tv):
                continue
            edited = True
            at = _addr(rb, cb) if cb is not None else _addr(rt, ct)
            self.conflicts.append(Conflict(ws, at, row_id, bv, None, tv))
        if edited:
            return
        for ct, tv in enumerate(trow):
            if not _blank(tv) and not _is_formula(tv):
                self.pkg.set_value(ws, _addr(rt, ct), None)
        self.changes.append(f"{ws}: cleared row {rt}" + (f" [{row_id}]" if row_id else ""))

    def _place(
        self,
        ws: str,
        t: _Sheet,
        added: list[_Added],
        ot: list[int | None],
        header: Row,
        ids: tuple[int, int],
    ) -> None:
        """Put our new rows into theirs' empty rows: the free row pre-filled with our row's ID when theirs
        still has it, else the first empty rows below theirs' data, appending when none are left. A row
        to renumber (its free row was filled by them too) takes the next free row's pre-filled ID, or the
        next unused number."""
        io, it = ids
        free = _free_ids(t, it)
        derived = _derived(t)
        used = {i for r, v in t.rows.items() if r >= 2 and (i := _id_text(_at(v, it))) is not None
                and _only_id(v, it, derived) is None}
        last = max((r for r, v in t.rows.items()
                    if r >= 2 and _has_content(v) and _only_id(v, it, derived) is None), default=1)
        taken: set[int] = set()
        given: set[str] = set()
        following = last + 1
        last_formatted = self.pkg.sheet(ws).last_row()
        for row in added:
            ident = row.row_id
            if ident is not None and not row.renumber and free.get(ident) not in (None, *taken):
                target = free[ident]
            else:
                while following in taken:
                    following += 1
                target = following
                if row.renumber and ident is not None:
                    pre = _only_id(t.rows.get(target, ()), it, derived)
                    ident = pre if pre is not None and pre not in used | given else (
                        _next_id(ident, used | given | set(free)))
            taken.add(target)
            if ident is not None:
                given.add(ident)
            if target > last_formatted:
                self.pkg.extend_formats(ws, target)
            for c, ov in row.typed.items():
                if c == io:
                    continue  # the ID is written below, as placed
                tc = _map(ot, c)
                if tc is None:
                    note = f"(no column {_at(header, c)!r} in the remote)"
                    self.conflicts.append(Conflict(ws, _addr(row.ours_row, c), ident, None, ov, note))
                    continue
                write_value(self.pkg, ws, target, tc, ov, allow_formula=ws in self.formula_sheets)
            if ident is not None:
                write_value(self.pkg, ws, target, it, ident)
            self._carry_formats(ws, row.ours_row, target, ot)
            moved = f" (was {row.row_id}, filled in the library too)" if ident != row.row_id else ""
            self.changes.append(f"{ws}: added row {target}" + (f" [{ident}]" if ident else "") + moved)

    def _carry_formats(self, ws: str, ours_row: int, target: int, ot: list[int | None]) -> None:
        """A row we added (e.g. a master row an upgrade wrote, locked and grey) placed in theirs' empty
        row takes our cells' formats and our row height too, not only our values; only when
        ``styles_from`` is set (ours' style indices mean the same in theirs)."""
        if self.styles_from is None or ws not in self.styles_from.sheet_names():
            return
        src = self.styles_from.sheet(ws).rows.get(ours_row)
        if src is None:
            return
        sh = self.pkg.sheet(ws)
        dst = sh.row(target)
        for attr in ("ht", "customHeight"):
            if src.get(attr) is not None:
                dst.set(attr, src.get(attr))
        for c in src.iterfind(f"{M}c"):
            style = c.get("s")
            tc = _map(ot, _column_of(c.get("r", "")))
            if style is not None and tc is not None:
                sh.cell(_addr(target, tc)).set("s", style)

    def merge_sheet(self, b: _Sheet, o: _Sheet, t: _Sheet) -> None:
        ws = t.title
        io, it = _id_col(o.header, self.id_header), _id_col(t.header, self.id_header)
        ib = _id_col(b.header, self.id_header) if b.rows else io
        if io is not None and it is not None and ib is not None:
            self.by_id(ws, b, o, t, (ib, io, it))
        else:
            self.by_address(ws, b, o, t)

    def add_sheet(self, o: _Sheet, after: str | None) -> None:
        """A sheet only we have: create it in theirs next to where it sits in ours, values only."""
        names = self.pkg.sheet_names()
        index = names.index(after) + 1 if after is not None else 0
        self.pkg.add_sheet(o.title, index, o.state)
        allow = o.title in self.formula_sheets
        cells = 0
        for r, values in o.rows.items():
            for c, value in enumerate(values):
                if not _blank(value):
                    write_value(self.pkg, o.title, r, c, value, allow_formula=allow)
                    cells += 1
        self.changes.append(f"added sheet {o.title!r} ({cells} cells, values only)")


_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs")


def _same_styles(ours: Package, theirs: Package) -> bool:
    """Whether every style index of ours means the same format in theirs: each list of ours' styles
    part is, entry for entry, the start of theirs' (Excel or tomsync may have appended formats)."""
    def lists(pkg: Package) -> dict[str, list[bytes]] | None:
        if not pkg.has("xl/styles.xml"):  # styles elsewhere (rare): formats are not carried
            return None
        root = etree.fromstring(pkg.read("xl/styles.xml"), etree.XMLParser(resolve_entities=False))
        out = {}
        for tag in _STYLE_LISTS:
            block = root.find(f"{M}{tag}")
            out[tag] = [etree.tostring(el, method="c14n") for el in (block if block is not None else [])]
        return out

    a, b = lists(ours), lists(theirs)
    return a is not None and b is not None and all(b[t][:len(a[t])] == a[t] for t in _STYLE_LISTS)


def _differs(b: _Sheet, o: _Sheet) -> int:
    """How many cells differ between two snapshots of one sheet (by address)."""
    n = 0
    for r in set(b.rows) | set(o.rows):
        brow, orow = b.rows.get(r, ()), o.rows.get(r, ())
        if brow != orow:
            n += sum(not values_equal(_at(brow, c), _at(orow, c)) for c in range(max(len(brow), len(orow))))
    return n


def cells_changed(before: bytes, after: bytes) -> dict[str, int]:
    """How many cells of each sheet differ between two versions of a workbook, by address (a sheet in
    only one of them counts all its cells); sheets with no difference are left out. Used to find the
    version a copy came from and to see which tabs a copy changes (the hosted Save to library)."""
    b_s, a_s = _read_values(before), _read_values(after)
    out = {}
    for title in dict.fromkeys([*b_s, *a_s]):
        empty = _Sheet(title, "visible", {})
        n = _differs(b_s.get(title, empty), a_s.get(title, empty))
        if n:
            out[title] = n
    return out


def merge_workbooks(
    base: bytes, ours: bytes, theirs: bytes, *, formula_sheets: Collection[str] = (),
    id_header: str = ID_HEADER,
) -> MergeResult:
    """Apply our changes (base -> ours) onto theirs. ``formula_sheets``: titles of sheets whose formulas
    from ours stay formulas (e.g. a regenerated "Summary"); everywhere else "=..." from ours is text.
    ``id_header``: the header of the column identifying rows (the spec's id column).
    On conflict, ``partial`` holds theirs with every non-conflicting change of ours applied."""
    base_s = _read_values(base)
    ours_s = _read_values(ours)
    theirs_s = _read_values(theirs)
    pkg = Package(theirs)
    mine = Package(ours)
    m = _Merger(pkg, formula_sheets, id_header, mine if _same_styles(mine, pkg) else None)

    previous: str | None = None
    for title, o in ours_s.items():
        b, t = base_s.get(title), theirs_s.get(title)
        if b is None and t is None:
            if title == CONFLICTS_SHEET:
                m.changes.append(f"ignored our {CONFLICTS_SHEET!r} sheet (from a conflict copy)")
                continue
            m.add_sheet(o, previous)
        elif t is None:
            assert b is not None
            n = _differs(b, o)
            if n:
                m.conflicts.append(
                    Conflict(title, "", None, "(sheet)", f"({n} cells edited)", "(sheet deleted)")
                )
        else:
            m.merge_sheet(b if b is not None else _Sheet(title, "visible", {}), o, t)
        if title in theirs_s or title in pkg.sheet_names():
            previous = title

    for title in base_s:
        if title not in ours_s and title in theirs_s:
            # never delete a school's tab silently: Summary formulas and colleagues depend on it
            m.conflicts.append(Conflict(title, "", None, "(sheet)", "(sheet deleted)", "(sheet kept)"))

    out = pkg.to_bytes()
    if m.conflicts:
        return MergeResult(None, m.conflicts, m.changes, [], partial=out)
    return MergeResult(out, [], m.changes, [])


def conflict_copy(ours: bytes, conflicts: list[Conflict]) -> bytes:
    """Ours plus a "Conflicts" sheet (made active) listing each conflict for a person to resolve, added
    by patching ours' package (everything else kept as it is). Every listed value is text-safe: a
    formula shows as its text."""
    pkg = Package(ours)
    if CONFLICTS_SHEET in pkg.sheet_names():
        pkg.remove_sheet(CONFLICTS_SHEET)
    pkg.add_sheet(CONFLICTS_SHEET)
    for col, title in enumerate(("Sheet", "Cell", "Row ID", "Base", "Ours", "Theirs")):
        write_value(pkg, CONFLICTS_SHEET, 1, col, title)
    pkg.set_style(CONFLICTS_SHEET, ["A1:F1"], font={"bold": True})
    for i, c in enumerate(conflicts, start=2):
        for col, value in enumerate((c.sheet, c.cell, c.row_id, c.base, c.ours, c.theirs)):
            write_value(pkg, CONFLICTS_SHEET, i, col, value)
    pkg.freeze_top_row(CONFLICTS_SHEET)
    pkg.set_widths(CONFLICTS_SHEET, dict(zip("ABCDEF", (24, 8, 12, 30, 30, 30), strict=True)))
    pkg.set_active(CONFLICTS_SHEET)
    return pkg.to_bytes()
