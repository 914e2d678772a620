"""Draft a spec from an existing hand-made workbook, for an area whose columns differ from ours.

    tables (workbook_templates.handmade) -> infer_spec(tables, name) -> Draft -> Draft.toml()

What is read and what is guessed (each guess is written as a comment in the TOML, so the programme
manager checks it before building from it):

- schools: the school tabs (tabs that have a header row and are not a Master, Guide, Lists...
  tab), or the distinct values of a School column on a one-sheet workbook; IDs are made from the
  names (first letters, made unique).
- columns: the headers of the first school tab, in order; each role from the header (the importer's
  synonyms); kind from the content: rag for a rating column (words, letters or RAG colours), date
  when most values are dates, url for links, choice for a column with a dropdown (its list) or a
  role that is a vocabulary (Status, Lead, Theme, When) with few distinct values; the expectation
  columns (ID, Theme, Activity, Lead, Audience, When, Target) locked. An ID and a RAG column are
  added when the workbook has none, as every spec needs both.
- master rows: a Master tab's rows if there is one, else the rows the school tabs share (all of them, or
  a majority of three or more; by the same activity text, else the same ID); with one school tab,
  all its rows. IDs M01, M02... where none exist.
- session: the school year of today (August to June); deadline day 28; the shipped roll-up rule.

The draft must parse: `Draft.toml()` is checked with `loads_spec` before it is written.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import tomli_w

from workbook_templates.handmade import Table, norm
from workbook_templates.importer import NOT_SCHOOL_TABS, SCHOOL_HEADERS, SYNONYMS
from workbook_templates.spec import KINDS, canonical, loads_spec
from workbook_templates.textvalues import read_date, read_rag

LOCKED_ROLES = ("id", "theme", "activity", "lead", "audience", "when", "target", "responsible", "due")
VOCAB_ROLES = ("status", "lead", "theme", "when")
MAX_CHOICES = 12


@dataclass
class Draft:
    data: dict[str, Any]
    guesses: list[str] = field(default_factory=list)  # comments for the top of the file
    column_notes: list[str] = field(default_factory=list)  # one comment per [[columns]]

    def toml(self) -> str:
        """The spec as TOML with the guesses as comments; checked to parse before it is returned."""
        text = tomli_w.dumps(self.data)  # one document, so top-level keys stay above every table
        head = ["# Drafted by 'tomsync spec infer' from an existing workbook. Check every line marked",
                "# 'guessed' before building a workbook from it; add each school's contacts under schools.",
                *(f"# guessed: {g}" for g in self.guesses), ""]
        parts = text.split("[[columns]]\n")
        text = parts[0] + "".join(f"# {note}\n[[columns]]\n{part}"
                                  for note, part in zip(self.column_notes, parts[1:], strict=True))
        text = "\n".join(head) + text
        loads_spec(text, "drafted spec")  # a draft that does not parse is a bug here, not the user's
        return text


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-") or "my-area"


def _school_ids(names: list[str]) -> list[str]:
    ids: list[str] = []
    for name in names:
        letters = re.sub(r"[^A-Za-z]", "", name).upper()
        base = (letters[:3] or "SCH").ljust(3, "X")
        sid, n = base, 1
        while sid in ids:
            n += 1
            sid = f"{base[:2]}{n}"
        ids.append(sid)
    return ids


def _role(header: str, taken: set[str]) -> str | None:
    h = norm(header)
    for role, names in SYNONYMS.items():
        if role not in taken and h in names:
            return role
    for role, names in SYNONYMS.items():  # "RAG (Red/Amber/Green)", "Progress notes and actions"
        if role not in taken and any(h.startswith(n + " ") for n in names if len(n) > 2):
            return role
    return None


def _kind(role: str | None, values: list[Any], fills: int, dropdown: list[str]) -> tuple[str, list[str], str]:
    """(kind, choices, why) for a column from its role, its values and its dropdown."""
    texts = [canonical(v) for v in values if v is not None and canonical(v)]
    n = max(1, len(texts))
    if role == "rag" or (texts and sum(1 for v in values if read_rag(v, ("R", "A", "G", "B"))) / n > 0.6) or (
            fills and fills >= len(texts) and role not in ("activity", "notes", "id")):
        return "rag", [], "rag: its values are ratings or RAG colours"
    if dropdown:
        return "choice", list(dict.fromkeys(dropdown + [t for t in texts if t not in dropdown])), \
            "choice: from the column's dropdown"
    if texts and sum(1 for v in values if read_date(v)) / n > 0.6 or role in ("last_updated", "due"):
        return "date", [], "date: most values are dates"
    if texts and sum(1 for t in texts if t.startswith(("http://", "https://"))) / n > 0.5:
        return "url", [], "url: most values are links"
    distinct = list(dict.fromkeys(texts))
    if role in VOCAB_ROLES and 0 < len(distinct) <= MAX_CHOICES:
        return "choice", distinct, "choice: the distinct values typed (guessed; add any missing)"
    return "text", [], "text"


def _header_of(table: Table) -> list[tuple[int, str]]:
    return [(i, h) for i, h in enumerate(table.headers) if h]


def infer_spec(tables: list[Table], source_name: str, today: date | None = None) -> Draft:
    """A draft spec from a hand-made workbook's tables (see the module note)."""
    today = today or date.today()
    guesses: list[str] = []
    usable = [t for t in tables if t.header_row and t.rows]
    master_tab = next((t for t in usable if norm(t.sheet) == "master"), None)
    school_tabs = [t for t in usable if norm(t.sheet) not in NOT_SCHOOL_TABS]
    school_col: int | None = None
    if len(school_tabs) == 1:
        school_col = next((i for i, h in enumerate(school_tabs[0].headers) if norm(h) in SCHOOL_HEADERS),
                          None)
    if not school_tabs:
        raise ValueError(f"{source_name}: no tab with a header row and data rows: nothing to draft a spec "
                         "from")
    first = school_tabs[0]
    shape = {norm(h) for h in first.headers if h}
    alike = [t for t in school_tabs if len(shape & {norm(h) for h in t.headers if h}) >= 0.6 * len(shape)]
    for t in school_tabs:
        if t not in alike:
            guesses.append(f"tab '{t.sheet}' left out: its columns are not those of '{first.sheet}'")
    school_tabs = alike
    # schools and their rows
    groups: dict[str, list[list[Any]]] = {}
    if school_col is not None:
        for r in first.rows:
            name = canonical(r.value(school_col))
            if name and not r.heading:
                groups.setdefault(name, []).append(r.cells)
        guesses.append(f"schools: the values of the '{first.headers[school_col]}' column on '{first.sheet}'")
    else:
        for t in school_tabs:
            groups[t.sheet] = [r.cells for r in t.rows if not r.heading]
        guesses.append(f"schools: one per tab ({', '.join(groups)})")
    names = list(groups)
    ids = _school_ids(names)
    # columns
    columns: list[dict[str, Any]] = []
    notes: list[str] = []
    taken: set[str] = set()
    source_cols: list[tuple[int, str]] = []  # (source index, spec header)
    for i, header in _header_of(first):
        if i == school_col:
            continue
        role = _role(header, taken)
        values = [r.value(i) for r in first.rows if not r.heading]
        fills = sum(1 for r in first.rows if r.fill(i) and r.value(i) is None)
        kind, choices, why = _kind(role, values, fills, first.lists.get(i, []))
        if kind == "rag" and role is None and "rag" not in taken:
            role = "rag"
        if role == "rag" and kind != "rag":
            kind, choices = "rag", []
        if role == "status" and kind == "choice" and "Not started" not in choices:
            choices = ["Not started", *choices]  # the template starts every master row at Not started
            why += "; 'Not started' added (a new workbook starts each master row there)"
        if role:
            taken.add(role)
        col: dict[str, Any] = {"header": header, "kind": kind}
        if role:
            col["role"] = role
        if choices:
            col["choices"] = choices
        col["required"] = role in ("id", "activity")
        col["locked"] = role in LOCKED_ROLES
        col["width"] = 48 if role in ("activity", "notes") else 9 if kind == "rag" or role == "id" else 16
        columns.append(col)
        source_cols.append((i, header))
        how = "from the header" if role else "no role guessed"
        notes.append(f"'{header}': role {role or '(none)'} ({how}); kind {why}")
    if "id" not in taken:
        columns.insert(0, {"header": "ID", "kind": "text", "role": "id", "required": True, "locked": True,
                           "width": 9})
        notes.insert(0, "'ID': added (the workbook has no ID column); master rows numbered M01, M02...")
    if not any(c["kind"] == "rag" for c in columns):
        columns.append({"header": "RAG", "kind": "rag", "role": "rag", "required": False, "locked": False,
                        "width": 7})
        notes.append("'RAG': added (no rating column was found)")
    for c in columns:
        assert c["kind"] in KINDS
    master = _master(master_tab, groups, source_cols, columns, school_col, first, guesses)
    start_year = today.year if today.month >= 8 else today.year - 1
    area = re.sub(r"[_\-]+", " ", source_name).strip().title() or "My Area"
    guesses.append(f"session: {start_year}/{(start_year + 1) % 100:02d}, August to June (the school year "
                   "of today)")
    guesses.append(f"name and area: from the file name ('{area}')")
    rag_values = ["R", "A", "G"]
    data = {
        "name": _slug(source_name), "title": "DYW / SDS Target Operating Model", "area": area,
        "session": {"label": f"{start_year}/{(start_year + 1) % 100:02d}", "start": f"{start_year}-08",
                    "end": f"{start_year + 1}-06"},
        "rag": {"values": rag_values},
        "rollup": {"rule": "score", "green": 0.75, "red": 0.4, "by": ["school"] + [
            g for g in ("theme", "lead") if g in taken]},
        "cycle": {"deadline_day": 28},
        "layout": {"free_rows": 40},
        "schools": [{"id": sid, "name": name} for sid, name in zip(ids, names, strict=True)],
        "columns": columns,
        "master": master,
    }
    return Draft(data, guesses, notes)


def _master(master_tab: Table | None, groups: dict[str, list[list[Any]]], source_cols: list[tuple[int, str]],
            columns: list[dict[str, Any]], school_col: int | None, first: Table,
            guesses: list[str]) -> list[dict[str, Any]]:
    """Master rows: a Master tab's, else the rows every school shares (by ID, else activity text)."""
    by_header = {c["header"]: c for c in columns}
    locked = [(i, h) for i, h in source_cols if by_header[h]["locked"]]
    id_header = next(c["header"] for c in columns if c.get("role") == "id")
    key_col = next((i for i, h in source_cols if by_header[h].get("role") == "activity"), None)
    if key_col is None:  # the same wording on every tab is the surest sign of a shared row
        key_col = next((i for i, h in source_cols if by_header[h].get("role") == "id"), None)
    if master_tab is not None:
        rows = [r.cells for r in master_tab.rows if not r.heading]
        guesses.append(f"master rows: the rows of the '{master_tab.sheet}' tab")
    elif key_col is None:
        rows = []
        guesses.append("master rows: none (no ID or activity column to find shared rows by)")
    else:
        def key(cells: list[Any]) -> str:
            return norm(cells[key_col].value) if key_col < len(cells) else ""
        counts = Counter(k for rs in groups.values() for k in {key(c) for c in rs} if k)
        need = len(groups) if len(groups) <= 2 else len(groups) // 2 + 1  # all, or a majority of 3 or more
        shared = {k for k, n in counts.items() if n >= need}
        rows = [c for c in next(iter(groups.values())) if key(c) in shared]
        if len(groups) == 1:
            guesses.append("master rows: every row of the only school (delete the school's own ones)")
        elif len(groups) == 2:
            guesses.append("master rows: the rows every school shares")
        else:
            guesses.append(f"master rows: the rows at least {need} of the {len(groups)} schools share")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, cells in enumerate(rows, start=1):
        row: dict[str, Any] = {}
        for i, h in locked:
            v = cells[i].value if i < len(cells) else None
            if v is None:
                continue
            col = by_header[h]
            text = canonical(v)
            if col["kind"] == "choice" and text not in col["choices"]:
                col["choices"].append(text)
            if col["kind"] in ("text", "choice", "url"):
                row[h] = text
            elif col["kind"] == "date":
                d = read_date(v)
                if d:
                    row[h] = d
        rid = canonical(row.get(id_header)) or f"M{n:02d}"
        if rid in seen:
            continue
        seen.add(rid)
        row[id_header] = rid
        for c in columns:  # a required locked value the row lacks would not parse: leave the row out
            if c["required"] and c["locked"] and not canonical(row.get(c["header"])):
                row = {}
                break
        if row:
            out.append(row)
    return out
