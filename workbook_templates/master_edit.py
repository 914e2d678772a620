"""`tomsync master add|edit|retire`: one master row changed in the workbook's own spec.

Thin conveniences over `workbook_templates.upgrade`: each takes the spec embedded in the workbook,
changes one master row, checks the result as any spec is checked (`parse_spec`) and returns it for
`upgrade_file` to roll into every school tab.
"""

from __future__ import annotations

from typing import Any

from workbook_templates.spec import OPTIONAL, TIER, Spec, SpecError, canonical, parse_spec, spec_to_dict


def parse_sets(items: list[str]) -> dict[str, str]:
    """``["Activity=College visits", "Lead=Joint"]`` -> a dict; SpecError for an item without "="."""
    out = {}
    for item in items:
        header, sep, value = item.partition("=")
        if not sep or not header.strip():
            raise SpecError(f"--set {item!r}: give HEADER=VALUE, e.g. --set \"Target=By 31 March\"")
        out[header.strip()] = value.strip()
    return out


def _with(spec: Spec, master: list[dict[str, Any]]) -> Spec:
    data = spec_to_dict(spec)
    data["master"] = master
    return parse_spec(data, "the workbook's spec")


def _rows(spec: Spec) -> list[dict[str, Any]]:
    return [dict(r) for r in spec_to_dict(spec)["master"]]


def _extras(row: dict[str, Any], tier: str | None, optional: bool | None) -> None:
    if tier is not None:
        row[TIER] = tier
    if optional is not None:
        row[OPTIONAL] = optional


def check_values(spec: Spec, values: dict[str, str], prefill: bool) -> dict[str, str]:
    """SpecError, naming what to do instead, for a header a change would otherwise drop without a word:
    no such column (a typo), or, in an edit (``prefill`` false), a column the schools fill (Status:
    a new row may pre-fill it, as a plan's Responsible, but an edit never reaches what a school typed);
    and for a value not among a choice column's choices (a new partner goes into the choices first).
    Returns the values with a choice typed in another case spelt as the spec spells it ("joint")."""
    columns = {c.header: c for c in spec.columns}
    master = [c.header for c in spec.master_columns]
    out = dict(values)
    for header, value in values.items():
        col = columns.get(header)
        if col is None or (not prefill and header not in master):
            why = "no such column" if col is None else "the schools fill it on their tabs"
            raise SpecError(f"--set {header}=...: '{header}' is not a master column ({why}); the master "
                            f"columns are {', '.join(master)}")
        if col.kind == "choice" and col.choices and value and value.casefold() not in {
                c.casefold() for c in col.choices}:
            raise SpecError(f"--set {header}={value}: '{value}' is not one of {', '.join(col.choices)}; "
                            f"add it to the {header} choices first: 'tomsync template spec FILE -o "
                            f"area.toml', add it there, 'tomsync template upgrade FILE --spec area.toml'")
        if col.kind == "choice" and value:
            out[header] = next((c for c in col.choices if c.casefold() == value.casefold()), value)
    return out


def add_row(spec: Spec, values: dict[str, str], tier: str | None = None,
            optional: bool | None = None) -> Spec:
    """The spec with a new master row at the end (its ID given in ``values``)."""
    values = check_values(spec, values, prefill=True)
    rid = canonical(values.get(spec.id_header))
    if rid in spec.master_by_id:
        raise SpecError(f"master row {rid} is there already: 'tomsync master edit FILE {rid} --set ...' "
                        "changes it")
    row: dict[str, Any] = dict(values)
    _extras(row, tier, optional)
    return _with(spec, [*_rows(spec), row])


def edit_row(spec: Spec, rid: str, values: dict[str, str], tier: str | None = None,
             optional: bool | None = None) -> Spec:
    """The spec with master row ``rid``'s wording (or tier) changed; the ID itself cannot change."""
    rows = _rows(spec)
    row = next((r for r in rows if canonical(r.get(spec.id_header)) == rid), None)
    if row is None:
        raise SpecError(f"no master row {rid!r} (master rows: {', '.join(spec.master_by_id)})")
    if spec.id_header in values and values[spec.id_header] != rid:
        raise SpecError(f"an ID cannot change: retire {rid} and add the new row instead")
    values = check_values(spec, values, prefill=False)
    row.update({k: v for k, v in values.items() if v != ""})
    for k in [k for k, v in values.items() if v == ""]:
        row.pop(k, None)
    _extras(row, tier, optional)
    return _with(spec, rows)


def retire_row(spec: Spec, rid: str) -> Spec:
    """The spec without master row ``rid`` (the workbook keeps it in its Retired sheet)."""
    rows = _rows(spec)
    kept = [r for r in rows if canonical(r.get(spec.id_header)) != rid]
    if len(kept) == len(rows):
        raise SpecError(f"no master row {rid!r} (master rows: {', '.join(spec.master_by_id)})")
    exemptions = [e for e in spec_to_dict(spec).get("exemptions", []) if e["ids"] != [rid]]
    for e in exemptions:
        e["ids"] = [i for i in e["ids"] if i != rid]
    data = spec_to_dict(spec)
    data["master"] = kept
    if exemptions or "exemptions" in data:
        data["exemptions"] = exemptions
    return parse_spec(data, "the workbook's spec")
