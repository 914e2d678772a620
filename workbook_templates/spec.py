"""The workbook spec: what a TOM (or Gatsby plan) workbook holds, loaded from TOML and checked.

A spec is the single source of truth for a workbook's shape. The template writes it into the workbook
(hidden `_tom` sheet), so validation and roll-ups read the workbook alone and cannot use a different
spec than the one it was built from. A spec with a mistake is refused with `SpecError` naming the key.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from workbook_templates.calendar import CalendarError, Term, parse_terms
from workbook_templates.layout import (
    COMPASS,
    GUIDE,
    ISSUES,
    LISTS,
    MASTER,
    MASTER_HISTORY,
    META_SHEET,
    PLAN,
    RETIRED,
    SUMMARY,
)
from workbook_templates.plan import PlanSpec, parse_plan, plan_to_dict

KINDS = ("text", "choice", "date", "rag", "url", "int")
ROLES = (
    "id", "theme", "activity", "lead", "audience", "when", "target", "status", "rag", "notes",
    "evidence", "last_updated", "updated_by", "responsible", "due", "objective",
)
RULES = ("score", "worst", "majority")
GROUPS = ("school", "theme", "lead", "tier")  # tier: minimum, wagjll, own rows
SHIPPED = ("scottish-tom", "gatsby-plan")
# "Conflicts": sync.merge's copy for a person; "xlwings.conf": the classic add-in's sheet in older workbooks
RESERVED_SHEETS = (GUIDE, MASTER, SUMMARY, LISTS, META_SHEET, ISSUES, "Conflicts", "xlwings.conf", RETIRED,
                   MASTER_HISTORY, PLAN, COMPASS)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")  # YYYY-MM, the cycle's unit


class SpecError(ValueError):
    """A spec that cannot be used; the message names the key at fault."""


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    role: str | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    locked: bool = False  # locked on school tabs for master rows (the expectation itself)
    width: float = 14
    term: str | None = None  # for rag columns of termly plans: the term this rating belongs to
    suggestions: tuple[str, ...] = ()  # text columns: a drop-down that still lets any text in


@dataclass(frozen=True)
class Contact:
    """A school's staff contact for reminders: a role ("DYW co-ordinator", "SDS adviser") and a work
    e-mail address. Staff work contacts only: never a pupil's, never a personal mailbox."""

    role: str
    email: str
    name: str = ""


@dataclass(frozen=True)
class School:
    id: str
    name: str
    contacts: tuple[Contact, ...] = ()

    @property
    def sheet(self) -> str:
        """Excel tab name: the school name, cleaned to Excel's rules (31 chars, no []:*?/\\)."""
        return _SHEET_BAD.sub("-", self.name)[:31].strip()


@dataclass(frozen=True)
class Rollup:
    rule: str = "score"
    green: float = 0.75
    red: float = 0.4
    by: tuple[str, ...] = ("school",)
    red_caps: str = ""  # "A": any R among a school's rated master rows caps the school at Amber


@dataclass(frozen=True)
class Exemption:
    """Master rows one school may mark Not applicable, and why (the report shows the reason)."""

    school: str  # school id
    ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    area: str
    session: str
    months: tuple[str, ...]
    schools: tuple[School, ...]
    columns: tuple[Column, ...]
    master: tuple[dict[str, Any], ...]
    rollup: Rollup = field(default_factory=Rollup)
    deadline_day: int = 28
    free_rows: int = 40
    rag_values: tuple[str, ...] = ("R", "A", "G")
    guide: str = ""
    terms: tuple[Term, ...] = ()  # [calendar]: the area's term dates, for When / Target
    exemptions: tuple[Exemption, ...] = ()
    plan: PlanSpec | None = None  # [plan]: the Plan and Compass sheets of a Strategic Careers Plan

    # -- lookups used everywhere -------------------------------------------------------------
    def column(self, role: str) -> Column | None:
        """The column playing ``role`` (e.g. "status"), or None if the spec has none."""
        for col in self.columns:
            if col.role == role:
                return col
        return None

    @cached_property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @cached_property
    def rag_columns(self) -> list[Column]:
        """Rating columns in order; for termly plans the last rated one is the current rating."""
        return [c for c in self.columns if c.kind == "rag"]

    @cached_property
    def master_columns(self) -> list[Column]:
        """The expectation columns: shown on the Master tab and locked on school tabs."""
        return [c for c in self.columns if c.locked]

    @property
    def id_header(self) -> str:
        col = self.column("id")
        assert col is not None  # guaranteed by parse_spec
        return col.header

    def school_by_sheet(self) -> dict[str, School]:
        return {s.sheet: s for s in self.schools}

    @cached_property
    def master_by_id(self) -> dict[str, dict[str, Any]]:
        """Master rows by their canonical ID, in spec order."""
        return {canonical(row[self.id_header]): row for row in self.master}

    def tier(self, rid: str) -> str:
        """The tier of master row ``rid``: "minimum" (the default) or "wagjll" (what a good job looks
        like); "" for a school's own row."""
        row = self.master_by_id.get(rid)
        return "" if row is None else str(row.get(TIER) or MINIMUM)

    def is_minimum(self, rid: str) -> bool:
        """A minimum expectation: the rows the red cap and the opt-out rule look at."""
        return self.tier(rid) == MINIMUM

    def master_fingerprint(self) -> str:
        """SHA-256 of the master rows' expectation cells (and a WAGJLL row's tier): lets validation
        detect tampering. A minimum row adds nothing for its tier, so older workbooks keep theirs."""
        rows = [[canonical(row.get(c.header)) for c in self.master_columns]
                + ([str(row[TIER])] if row.get(TIER, MINIMUM) != MINIMUM else []) for row in self.master]
        return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()

    def opt_out_allowed(self, school_id: str, rid: str) -> str | None:
        """Why ``school_id`` may mark master row ``rid`` Not applicable ("optional" for every school,
        else its exemption's reason); None when it may not."""
        row = self.master_by_id.get(rid)
        if row is not None and row.get(OPTIONAL) is True:
            return "optional for every school"
        if row is not None and row.get(TIER, MINIMUM) != MINIMUM:
            return "a WAGJLL row (what a good job looks like), not a minimum expectation"
        for e in self.exemptions:
            if e.school == school_id and rid in e.ids:
                return e.reason
        return None

    def to_toml(self) -> str:
        return tomli_w.dumps(spec_to_dict(self))


def canonical(value: Any) -> str:
    """One text form per value, so 5, 5.0 and "5" or a date and its datetime compare equal."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()


# -- loading ---------------------------------------------------------------------------------

def shipped_spec_path(name: str) -> Path:
    return Path(str(resources.files("workbook_templates") / "specs" / f"{name}.toml"))


def load_spec(name_or_path: str | Path) -> Spec:
    """Load a spec from a TOML path, or a shipped spec by name ("scottish-tom", "gatsby-plan")."""
    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in SHIPPED:
        path = shipped_spec_path(str(name_or_path))
    if not path.exists():
        raise SpecError(f"{name_or_path}: no such spec file (shipped specs: {', '.join(SHIPPED)})")
    return loads_spec(path.read_text(encoding="utf-8"), source=str(path))


def loads_spec(text: str, source: str = "<spec>") -> Spec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    return parse_spec(data, source)


def _months(start: str, end: str, source: str) -> tuple[str, ...]:
    if not (MONTH.fullmatch(start) and MONTH.fullmatch(end)):
        raise SpecError(f"{source}: session.start / session.end must be YYYY-MM (month 01-12)")
    y, m = (int(x) for x in start.split("-"))
    ey, em = (int(x) for x in end.split("-"))
    out = []
    while (y, m) <= (ey, em):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not out or len(out) > 48:
        raise SpecError(f"{source}: session.start..session.end must span 1 to 48 months")
    return tuple(out)


def _get(d: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in d:
        if default is ...:
            raise SpecError(f"{where}: missing key '{key}'")
        return default
    value = d[key]
    if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool) and bool not in
                                      (typ if isinstance(typ, tuple) else (typ,))):
        raise SpecError(f"{where}: key '{key}' has the wrong type ({type(value).__name__})")
    return value


SECTIONS = ("name", "title", "area", "session", "schools", "columns", "master", "rollup", "cycle",
            "layout", "rag", "guide", "calendar", "exemptions", "plan")
OPTIONAL = "optional"  # a master row's key (not a column): Not applicable is allowed there
TIER = "tier"  # a master row's key (not a column): "minimum" (default) or "wagjll"
MINIMUM, WAGJLL = "minimum", "wagjll"
TIERS = (MINIMUM, WAGJLL)


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Check every key of a spec dict and build the Spec; the first mistake raises SpecError.
    One function per section, in the order a mistake is reported."""
    for key in data:
        if key not in SECTIONS:
            raise SpecError(f"{source}: unknown key '{key}'")
    name = _get(data, "name", str, source)
    title = _get(data, "title", str, source)
    area = _get(data, "area", str, source)
    label, months = parse_session(_get(data, "session", dict, source), source)
    rag_values = parse_rag(_get(data, "rag", dict, source, {}), source)
    schools = parse_schools(_get(data, "schools", list, source), source)
    columns = parse_columns(_get(data, "columns", list, source), rag_values, source)
    master = parse_master(_get(data, "master", list, source, []), columns, source)
    rollup = parse_rollup(_get(data, "rollup", dict, source, {}), source)
    deadline = parse_cycle(_get(data, "cycle", dict, source, {}), source)
    free_rows = parse_layout(_get(data, "layout", dict, source, {}), source)
    terms = parse_calendar(_get(data, "calendar", dict, source, {}), source)
    exemptions = parse_exemptions(_get(data, "exemptions", list, source, []), master, columns, source)
    plan = parse_plan(_get(data, "plan", dict, source, None), columns, source) if "plan" in data else None
    return Spec(name, title, area, label, months, schools, columns, master, rollup, deadline, free_rows,
                rag_values, _get(data, "guide", str, source, ""), terms, exemptions, plan)


def parse_calendar(cal: dict[str, Any], source: str) -> tuple[Term, ...]:
    """[calendar]: the area's terms (name, start, end, aliases), read by When and Target."""
    for key in cal:
        if key != "terms":
            raise SpecError(f"{source}: calendar: unknown key '{key}'")
    try:
        return parse_terms(cal.get("terms", []), f"{source}: calendar")
    except CalendarError as exc:
        raise SpecError(str(exc)) from None


def parse_exemptions(items: list[Any], master: tuple[dict[str, Any], ...],
                     columns: tuple[Column, ...], source: str) -> tuple[Exemption, ...]:
    """[[exemptions]]: school (id), ids (master row IDs) and a reason, each checked."""
    id_header = next(c.header for c in columns if c.role == "id")
    master_ids = {canonical(r.get(id_header)) for r in master}
    out = []  # the school id is not checked here: a workbook's embedded spec is parsed once per shape
    for i, e in enumerate(items):
        where = f"{source}: exemptions[{i}]"
        if not isinstance(e, dict):
            raise SpecError(f"{where}: must be a table with school, ids and reason")
        school = _get(e, "school", str, where)
        ids = tuple(canonical(x) for x in _get(e, "ids", list, where))
        reason = _get(e, "reason", str, where).strip()
        for rid in ids:
            if rid not in master_ids:
                raise SpecError(f"{where}: '{rid}' is not a master row ID")
        if not reason:
            raise SpecError(f"{where}: a reason is needed")
        out.append(Exemption(school, ids, reason))
    return tuple(out)


def parse_session(session: dict[str, Any], source: str) -> tuple[str, tuple[str, ...]]:
    """[session]: its label and the months from start to end (YYYY-MM)."""
    where = f"{source}: session"
    label = _get(session, "label", str, where)
    return label, _months(_get(session, "start", str, where), _get(session, "end", str, where), source)


def parse_rag(rag: dict[str, Any], source: str) -> tuple[str, ...]:
    """[rag]: the ratings offered: R, A, G and optionally B."""
    values = tuple(_get(rag, "values", list, f"{source}: rag", ["R", "A", "G"]))
    if not set(values) <= {"R", "A", "G", "B"} or not {"R", "A", "G"} <= set(values):
        raise SpecError(f"{source}: rag.values must hold R, A, G and optionally B")
    return values


_COLUMN_KEYS = frozenset({"header", "kind", "role", "choices", "required", "locked", "width", "term",
                          "suggestions"})


def parse_column(c: Any, i: int, rag_values: tuple[str, ...], source: str,
                 seen_headers: set[str], seen_roles: set[str]) -> Column:
    """One [[columns]] table; ``seen_headers`` (lower case) and ``seen_roles`` hold what the columns
    before it took, and are updated."""
    where = f"{source}: columns[{i}]"
    if not isinstance(c, dict):
        raise SpecError(f"{where}: must be a table")
    for key in c:
        if key not in _COLUMN_KEYS:
            raise SpecError(f"{where}: unknown key '{key}'")
    header = _get(c, "header", str, where).strip()
    where = f"{source}: columns[{i}] ('{header}')"
    if not header:
        raise SpecError(f"{where}: header is empty")
    if header.lower() in seen_headers:
        raise SpecError(f"{where}: duplicate column '{header}'")
    kind = _get(c, "kind", str, where, "text")
    if kind not in KINDS:
        raise SpecError(f"{where}: unknown kind '{kind}' (kinds: {', '.join(KINDS)})")
    role = _get(c, "role", str, where, None)
    if role is not None:
        if role not in ROLES:
            raise SpecError(f"{where}: unknown role '{role}' (roles: {', '.join(ROLES)})")
        if role in seen_roles and role != "rag":
            raise SpecError(f"{where}: role '{role}' is given to two columns")
        seen_roles.add(role)
    choices = tuple(str(x) for x in _get(c, "choices", list, where, []))
    if kind == "choice" and not choices:
        raise SpecError(f"{where}: kind 'choice' needs a non-empty 'choices' list")
    if kind == "rag":
        choices = rag_values
    width = _get(c, "width", (int, float), where, 14)
    suggestions = tuple(str(x) for x in _get(c, "suggestions", list, where, []))
    if suggestions and kind != "text":
        raise SpecError(f"{where}: 'suggestions' is for text columns (a list that lets other text in)")
    column = Column(header, kind, role, choices, _get(c, "required", bool, where, False),
                    _get(c, "locked", bool, where, False), float(width), _get(c, "term", str, where, None),
                    suggestions)
    seen_headers.add(header.lower())
    return column


def parse_columns(items: list[Any], rag_values: tuple[str, ...], source: str) -> tuple[Column, ...]:
    """[[columns]]: unique headers, each role once (rag may repeat), an ID and a rag column."""
    seen_headers: set[str] = set()
    seen_roles: set[str] = set()
    columns = [parse_column(c, i, rag_values, source, seen_headers, seen_roles) for i, c in enumerate(items)]
    if "id" not in seen_roles:
        raise SpecError(f"{source}: columns: one column needs role = \"id\"")
    if not any(c.kind == "rag" for c in columns):
        raise SpecError(f"{source}: columns: at least one column of kind \"rag\" is needed")
    return tuple(columns)


def parse_master(items: list[Any], columns: tuple[Column, ...], source: str) -> tuple[dict[str, Any], ...]:
    """[[master]]: rows of known columns, listed values, required locked values, unique IDs."""
    by_header = {c.header: c for c in columns}
    id_header = next(c.header for c in columns if c.role == "id")
    master: list[dict[str, Any]] = []
    master_ids: set[str] = set()
    for i, row in enumerate(items):
        where = f"{source}: master[{i}]"
        if not isinstance(row, dict):
            raise SpecError(f"{where}: must be a table of column header = value")
        for key, value in row.items():
            if key == OPTIONAL and key not in by_header:
                if not isinstance(value, bool):
                    raise SpecError(f"{where}: '{OPTIONAL}' must be true or false")
                continue
            if key == TIER and key not in by_header:
                if value not in TIERS:
                    raise SpecError(f"{where}: '{TIER}' = '{value}' is not one of {', '.join(TIERS)}")
                continue
            if key not in by_header:
                raise SpecError(f"{where}: unknown column '{key}'")
            col = by_header[key]
            if col.kind in ("choice", "rag") and str(value) not in col.choices:
                raise SpecError(f"{where}: '{key}' = '{value}' is not one of {', '.join(col.choices)}")
        for col in columns:
            if (col.required or col.role == "id") and col.locked and canonical(row.get(col.header)) == "":
                raise SpecError(f"{where}: required value '{col.header}' is missing")
        rid = canonical(row.get(id_header))
        if not rid:
            raise SpecError(f"{where}: required value '{id_header}' is missing")
        if rid in master_ids:
            raise SpecError(f"{where}: '{id_header}' = '{rid}' is used twice")
        master_ids.add(rid)
        master.append(dict(row))
    return tuple(master)


def parse_rollup(ru: dict[str, Any], source: str) -> Rollup:
    """[rollup]: the rule, its thresholds and the default groupings."""
    where = f"{source}: rollup"
    rule = _get(ru, "rule", str, where, "score")
    if rule not in RULES:
        raise SpecError(f"{source}: rollup.rule '{rule}' is not one of {', '.join(RULES)}")
    green = float(_get(ru, "green", (int, float), where, 0.75))
    red = float(_get(ru, "red", (int, float), where, 0.4))
    if not 0 <= red <= green <= 1:
        raise SpecError(f"{source}: rollup thresholds need 0 <= red <= green <= 1")
    by = tuple(_get(ru, "by", list, where, ["school"]))
    for b in by:
        if b not in GROUPS:
            raise SpecError(f"{source}: rollup.by '{b}' is not one of {', '.join(GROUPS)}")
    red_caps = _get(ru, "red_caps", str, where, "")
    if red_caps not in ("", "A"):
        raise SpecError(f"{source}: rollup.red_caps must be \"A\" (or left out)")
    return Rollup(rule, green, red, by, red_caps)


def parse_cycle(cycle: dict[str, Any], source: str) -> int:
    """[cycle]: the day of the month updates are due by."""
    deadline = _get(cycle, "deadline_day", int, f"{source}: cycle", 28)
    if not 1 <= deadline <= 31:
        raise SpecError(f"{source}: cycle.deadline_day must be 1..31")
    return deadline


def parse_layout(layout: dict[str, Any], source: str) -> int:
    """[layout]: how many free rows each school tab gets below the master rows."""
    free_rows = _get(layout, "free_rows", int, f"{source}: layout", 40)
    if not 0 <= free_rows <= 5000:
        raise SpecError(f"{source}: layout.free_rows must be 0..5000")
    return free_rows


def parse_schools(items: list[Any], source: str) -> tuple[School, ...]:
    """Schools with unique ids and tab names that clash with nothing."""
    schools: list[School] = []
    seen_ids: set[str] = set()
    seen_sheets: set[str] = set()
    for i, s in enumerate(items):
        where = f"{source}: schools[{i}]"
        if not isinstance(s, dict):
            raise SpecError(f"{where}: must be a table with id and name")
        school = School(_get(s, "id", str, where), _get(s, "name", str, where),
                        parse_contacts(_get(s, "contacts", list, where, []), where))
        if school.id in seen_ids:
            raise SpecError(f"{where}: school id '{school.id}' is used twice")
        if not school.sheet or school.sheet in seen_sheets or school.sheet in RESERVED_SHEETS:
            raise SpecError(f"{where}: tab name '{school.sheet}' clashes with another tab")
        seen_ids.add(school.id)
        seen_sheets.add(school.sheet)
        schools.append(school)
    if not schools:
        raise SpecError(f"{source}: schools: at least one school is needed")
    return tuple(schools)


EMAIL_SHAPE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
PERSONAL_MAIL = ("gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com",
                 "live.co.uk", "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "aol.com",
                 "btinternet.com", "sky.com", "proton.me", "protonmail.com")


def parse_contacts(items: list[Any], where: str) -> tuple[Contact, ...]:
    """A school's ``contacts``: tables of role, email (a work address) and an optional name."""
    out = []
    for i, c in enumerate(items):
        at = f"{where}: contacts[{i}]"
        if not isinstance(c, dict):
            raise SpecError(f"{at}: must be a table with role and email")
        for key in c:
            if key not in ("role", "email", "name"):
                raise SpecError(f"{at}: unknown key '{key}' (role, email, name)")
        role = _get(c, "role", str, at).strip()
        email = _get(c, "email", str, at).strip()
        if not role:
            raise SpecError(f"{at}: role is empty (e.g. \"DYW co-ordinator\", \"SDS adviser\")")
        if not EMAIL_SHAPE.fullmatch(email):
            raise SpecError(f"{at}: '{email}' is not an e-mail address")
        if email.lower().rsplit("@", 1)[1] in PERSONAL_MAIL:
            raise SpecError(f"{at}: '{email}' is a personal mailbox: give the staff member's work address")
        out.append(Contact(role, email, _get(c, "name", str, at, "").strip()))
    return tuple(out)


def _school_dict(s: School) -> dict[str, Any]:
    contacts = [{"role": c.role, "email": c.email, **({"name": c.name} if c.name else {})}
                for c in s.contacts]
    return {"id": s.id, "name": s.name, **({"contacts": contacts} if contacts else {})}


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """The inverse of parse_spec (used to embed the spec in the workbook it builds)."""
    cols = []
    for c in spec.columns:
        d: dict[str, Any] = {"header": c.header, "kind": c.kind}
        if c.role:
            d["role"] = c.role
        if c.kind == "choice":
            d["choices"] = list(c.choices)
        d.update(required=c.required, locked=c.locked, width=c.width)
        if c.term:
            d["term"] = c.term
        if c.suggestions:
            d["suggestions"] = list(c.suggestions)
        cols.append(d)
    master = [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if v is not None}
              for row in spec.master]
    return {
        "name": spec.name, "title": spec.title, "area": spec.area,
        "session": {"label": spec.session, "start": spec.months[0], "end": spec.months[-1]},
        "rag": {"values": list(spec.rag_values)},
        "schools": [_school_dict(s) for s in spec.schools],
        "columns": cols,
        "master": master,
        "rollup": {"rule": spec.rollup.rule, "green": spec.rollup.green, "red": spec.rollup.red,
                   "by": list(spec.rollup.by), **({"red_caps": spec.rollup.red_caps} if spec.rollup.red_caps
                                                  else {})},
        **({"calendar": {"terms": [{"name": t.name, "start": t.start.isoformat(), "end": t.end.isoformat(),
                                    **({"aliases": list(t.aliases)} if t.aliases else {})}
                                   for t in spec.terms]}} if spec.terms else {}),
        **({"exemptions": [{"school": e.school, "ids": list(e.ids), "reason": e.reason}
                           for e in spec.exemptions]} if spec.exemptions else {}),
        "cycle": {"deadline_day": spec.deadline_day},
        "layout": {"free_rows": spec.free_rows},
        "guide": spec.guide,
        **({"plan": plan_to_dict(spec.plan)} if spec.plan else {}),
    }
