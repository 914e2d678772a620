"""Master changes rolled into a workbook whose schools typed data: nothing typed is lost, the rest of the
package is byte-identical beyond the changed rows, the master's versions are kept, tiers and schools."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl.utils import get_column_letter

from sync.consolidate import area_result, consolidate
from sync.exceptions import REMOVED
from tests.lossless import assert_kept, changed_cells, defined_names, rich_workbook, sheet_part, zip_parts
from tests.workbook_templates.helpers import SCOT, TODAY, fill
from workbook_templates.layout import CURRENT_RAG, MASTER, MASTER_HISTORY, RETIRED
from workbook_templates.master_edit import add_row, edit_row, retire_row
from workbook_templates.package import Package
from workbook_templates.reader import read_workbook
from workbook_templates.spec import Spec, canonical, load_spec, parse_spec, spec_to_dict
from workbook_templates.upgrade import UpgradeError, upgrade_file
from workbook_templates.validate import validate

M13 = {"ID": "M13", "Theme": "Employer engagement",
       "Activity": "College taster days for S3 with Borders College",
       "Lead": "Joint", "When": "Term 3", "Target": "Every S3 pupil offered a taster day"}
NEW_TARGET = "At least 3 employer-led group sessions per year group"


def typed(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """What schools typed: (tab, ID) -> the unlocked cells of every used row."""
    data = read_workbook(path)
    heads = [c.header for c in data.spec.columns if not c.locked]
    out = {}
    for sheet, tab in data.schools.items():
        for row in tab.rows:
            out[(sheet, canonical(row.get(data.spec.id_header)))] = {h: row.get(h) for h in heads}
    return out


def changed_master(spec: Spec) -> Spec:
    s = add_row(spec, M13, tier="wagjll")
    s = edit_row(s, "M03", {"Target": NEW_TARGET})
    return retire_row(s, "M05")


@pytest.fixture
def rich(demo: Path, tmp_path: Path) -> Path:
    """The demo workbook (schools' typed data, deliberate mistakes) with what Excel and staff add:
    formula RAG cells with cached results, a chart, a threaded comment, VBA, custom XML, labels."""
    path = rich_workbook(demo, tmp_path / "rich.xlsx")
    # a school note that looks like a formula, and an own row: both must survive as typed
    return fill(path, {"Kelso High": {"J4": "'=HYPERLINK(\"http://x\")", "J3": "call the college"}})


def test_master_change_keeps_everything_a_school_typed_and_every_other_byte(rich: Path) -> None:
    before_bytes = rich.read_bytes()
    before = typed(rich)
    spec = read_workbook(rich).spec
    rows_before = {s.sheet: {canonical(r.get("ID")): r.row for r in read_workbook(rich).schools[s.sheet].rows}
                   for s in spec.schools}

    result = upgrade_file(rich, changed_master(spec), "Pat Programme", today=date(2026, 12, 1))

    assert result.written and result.version == 2
    after = typed(rich)
    for (sheet, rid), values in before.items():
        if rid == "M05":
            assert (sheet, rid) not in after
            continue
        assert after[(sheet, rid)] == values, (sheet, rid)  # Status, RAG, notes, evidence, dates
    for s in spec.schools:
        assert after[(s.sheet, "M13")]["Status"] == "Not started"
    # only the rows that changed changed: M03's Target, the retired M05, the row M13 took
    changed = assert_kept(before_bytes, rich, {
        "xl/worksheets/", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
        "xl/styles.xml", "xl/calcChain.xml"})
    parts = zip_parts(before_bytes)
    for tab in ("Guide", "Summary", "Lists"):
        assert zip_parts(rich)[sheet_part(before_bytes, tab)] == parts[sheet_part(before_bytes, tab)], tab
    new_rows = {canonical(r.get("ID")): r.row for r in read_workbook(rich).schools["Hawick High"].rows}
    for s in spec.schools:
        part = sheet_part(before_bytes, s.sheet)
        cells = changed_cells(parts[part], zip_parts(rich)[part])
        r03, r05 = rows_before[s.sheet]["M03"], rows_before[s.sheet]["M05"]
        r13 = {canonical(r.get("ID")): r.row for r in read_workbook(rich).schools[s.sheet].rows}["M13"]
        allowed = {f"{SCOT['Target']}{r03}"} | {f"{c}{r}" for c in SCOT.values() for r in (r05, r13)}
        assert cells and cells <= allowed, (s.sheet, sorted(cells - allowed))
    assert new_rows["M13"] > max(r for rid, r in new_rows.items() if rid.startswith("HAW-")) or \
        new_rows["M13"] >= 14
    assert changed  # the school tabs, the Master, _tom and the two new sheets


def test_the_new_row_looks_like_a_master_row_and_validate_is_clean(rich: Path) -> None:
    spec = read_workbook(rich).spec
    before = {(f.sheet, f.cell, f.rule) for f in validate(read_workbook(rich), today=TODAY)}
    upgrade_file(rich, changed_master(spec), "Pat Programme")
    data = read_workbook(rich)
    after = validate(data, today=TODAY)
    master = {(f.sheet, f.cell, f.rule) for f in after if f.rule.startswith("master")}
    assert master <= before  # only the demo's own deliberate mistakes
    assert {(f.sheet, f.rule) for f in after if f.row_id not in ("M05", "M13", "M03")} <= {
        (s, r) for s, _, r in before}
    pkg = Package.open(rich)
    row = next(r.row for r in data.schools["Peebles High"].rows if r.get("ID") == "M13")
    m01 = next(r.row for r in data.schools["Peebles High"].rows if r.get("ID") == "M01")
    for letter in SCOT.values():  # locked grey wording, unlocked inputs: the formats of M01's row
        assert pkg.sheet("Peebles High").cell(f"{letter}{row}").get("s") == \
            pkg.sheet("Peebles High").cell(f"{letter}{m01}").get("s")
    assert [canonical(r.get("ID")) for r in data.master.rows][-1] == "M13"
    assert data.spec.tier("M13") == "wagjll" and data.spec.tier("M01") == "minimum"


def test_retired_rows_are_kept_on_the_retired_sheet_as_each_school_left_them(rich: Path) -> None:
    kelso = typed(rich)[("Kelso High", "M05")]
    upgrade_file(rich, retire_row(read_workbook(rich).spec, "M05"), "Pat", today=date(2026, 12, 1))
    pkg = Package.open(rich)
    grid = pkg.grid(RETIRED)
    head = grid[0]
    row = next(r for r in grid[1:] if r[head.index("Tab")] == "Kelso High")
    assert row[:3] == [2, "2026-12-01", "KEL"]
    for h in ("Status", "RAG", "Progress notes"):
        assert canonical(row[head.index(h)]) == canonical(kelso[h])
    assert 'state="hidden"' in pkg.read("xl/workbook.xml").decode().split(f'name="{RETIRED}"')[1][:120]


def test_history_versions_and_tampering_told_apart(rich: Path, tmp_path: Path) -> None:
    old_copy = tmp_path / "old.xlsx"
    old_copy.write_bytes(rich.read_bytes())
    spec = read_workbook(rich).spec
    upgrade_file(rich, edit_row(spec, "M03", {"Target": NEW_TARGET}), "Pat Programme", "board asked")
    history = Package.open(rich).grid(MASTER_HISTORY)
    assert history[0][:4] == ["Version", "Date", "By", "Change"]
    assert [r[0] for r in history[1:]] == [1, 2]
    assert history[2][2:4] == ["Pat Programme", "edited master row M03 (Target) (board asked)"]
    # a Master tab that still reads version 1's wording: an old copy, told as such
    pkg = Package.open(rich)
    pkg.set_value(MASTER, "G4", spec.master_by_id["M03"]["Target"])
    pkg.save()
    found = [f for f in validate(read_workbook(rich), today=TODAY) if f.sheet == MASTER]
    assert [f.rule for f in found] == ["master-outdated"]
    assert "version 2" in found[0].message and "Pat Programme" in found[0].message
    # anyone else's change to the Master tab is tampering
    pkg = Package.open(rich)
    pkg.set_value(MASTER, "G4", "Whatever we manage")
    pkg.set_value(MASTER, "A20", "M99")
    pkg.set_value(MASTER, "C20", "A row nobody agreed")
    pkg.save()
    rules = [f.rule for f in validate(read_workbook(rich), today=TODAY) if f.sheet == MASTER]
    assert rules == ["master-tampered", "master-tampered"]
    # and without the upgrade (the report): M13 typed on the Master tab is tampering
    pkg = Package.open(old_copy)
    pkg.set_value(MASTER, "A14", "M13")
    pkg.set_value(MASTER, "C14", "College taster days")
    pkg.save()
    assert "master-tampered" in {f.rule for f in validate(read_workbook(old_copy), today=TODAY)}


def test_a_spec_with_new_columns_is_refused(scottish: Path) -> None:
    d = spec_to_dict(read_workbook(scottish).spec)
    d["columns"].append({"header": "Cost", "kind": "int"})
    with pytest.raises(UpgradeError, match="columns differ"):
        upgrade_file(scottish, parse_spec(d), "Pat")


# -- roll-up history, tiers ------------------------------------------------------------------------

def test_retire_keeps_the_trend_and_row_history_readable(demo: Path) -> None:
    october = area_result("b.xlsx", read_workbook(demo), "2026-10", TODAY, False)
    earlier = consolidate([october], "2026-10")
    upgrade_file(demo, retire_row(read_workbook(demo).spec, "M05"), "Pat")
    november = area_result("b.xlsx", read_workbook(demo), "2026-11", TODAY, False)
    c = consolidate([november], "2026-11", {"2026-10": earlier.snapshot()["schools"]},
                    row_history={"2026-10": october.row_states})
    assert c.months == ["2026-10", "2026-11"]
    assert all(c.trend[s]["2026-10"] == earlier.trend[s]["2026-10"] for s in earlier.trend)
    assert not [ch for ch in c.changes if ch.kind == REMOVED and ch.row.id == "M05"]


def test_tiers_roll_up_apart_and_only_minimum_rows_cap_and_forbid_opt_outs(scottish: Path) -> None:
    spec = read_workbook(scottish).spec
    upgrade_file(scottish, add_row(spec, M13, tier="wagjll"), "Pat")
    row = next(r.row for r in read_workbook(scottish).schools["Hawick High"].rows if r.get("ID") == "M13")
    g = {f"{SCOT['Status']}{r}": "Complete" for r in range(2, 14)}
    g |= {f"{SCOT['RAG']}{r}": "G" for r in range(2, 14)}
    fill(scottish, {"Hawick High": {**g, f"H{row}": "In progress", f"I{row}": "R", f"J{row}": "not yet"},
                    "Kelso High": {f"H{row}": "Not applicable"}})
    data = read_workbook(scottish)
    from workbook_templates.rollup import rollup_workbook

    tiers = {tuple(gr.key.values()): (gr.R, gr.G) for gr in rollup_workbook(data, ["tier"]).groups}
    assert tiers[("minimum",)] == (0, 12) and tiers[("wagjll",)] == (1, 0)
    found = validate(data, today=TODAY)
    assert not [f for f in found if f.rule == "opt-out" and f.sheet == "Kelso High"]
    c = consolidate([area_result("b.xlsx", data, "2026-11", TODAY, False)], "2026-11")
    hawick = next(gr for gr in c.by_school.groups if gr.key["school"] == "Hawick High")
    assert hawick.rag == "G" and "Hawick High" not in c.capped  # a WAGJLL Red does not cap
    assert c.by_tier is not None and [gr.key["tier"] for gr in c.by_tier.groups][:2] == ["minimum", "wagjll"]


# -- schools and partners --------------------------------------------------------------------------

def _schools_changed(spec: Spec) -> Spec:
    d = spec_to_dict(spec)
    next(c for c in d["columns"] if c["header"] == "Lead")["choices"].append("College")
    d["schools"] = [s for s in d["schools"] if s["id"] != "SEL"]
    next(s for s in d["schools"] if s["id"] == "HAW")["name"] = "Hawick Academy"
    d["schools"].append({"id": "BCL", "name": "Borders College"})
    return parse_spec(d)


def test_schools_added_renamed_closed_and_a_new_lead(demo: Path) -> None:
    before = typed(demo)
    upgrade_file(demo, _schools_changed(read_workbook(demo).spec), "Pat")
    data = read_workbook(demo)
    assert [s.sheet for s in data.spec.schools][-1] == "Borders College"
    assert "College" in data.spec.column("lead").choices  # type: ignore[union-attr]
    after = typed(demo)
    assert {rid: v for (t, rid), v in after.items() if t == "Hawick Academy"} == \
        {rid: v for (t, rid), v in before.items() if t == "Hawick High"}
    assert not [f for f in validate(data, today=TODAY) if f.sheet in ("Selkirk High", "Borders College")
                or f.rule in ("master-tampered", "master-outdated", "unknown-tab")]
    pkg = Package.open(demo)
    lists = pkg.grid("Lists")
    assert "College" in [r[1] for r in lists] and "Borders College" in [r[-1] for r in lists]
    assert [r[0] for r in pkg.grid("Summary")[4:13]][-1] == "Borders College"
    assert "'Hawick Academy'!" in (pkg.formula("Summary", "B9") or "")
    names = defined_names(demo)  # the renamed tab's print titles name it
    assert names[("_xlnm.Print_Titles", "Hawick Academy")] == "'Hawick Academy'!$1:$1"
    assert not [t for t in names.values() if "Hawick High" in t]
    college = [r for r in pkg.grid("Borders College")[13:16]]
    assert [r[0] for r in college] == ["BCL-01", "BCL-02", "BCL-03"]
    assert all(v is None for v in college[0][1:])


def test_a_renamed_school_keeps_its_trend(demo: Path) -> None:
    october = consolidate([area_result("b.xlsx", read_workbook(demo), "2026-10", TODAY, False)], "2026-10")
    upgrade_file(demo, _schools_changed(read_workbook(demo).spec), "Pat")
    history = {"2026-10": {**october.snapshot()["schools"], **october.snapshot()["schools_by_id"]}}
    c = consolidate([area_result("b.xlsx", read_workbook(demo), "2026-11", TODAY, False)], "2026-11", history)
    assert c.trend["Hawick Academy"]["2026-10"] == october.trend["Hawick High"]["2026-10"] != ""


def test_the_demo_extends_the_scottish_tom_with_wagjll_rows(tmp_path: Path) -> None:
    from sync.folder import FolderLibrary
    from tomsync.demo.run import WORKBOOK, extend_with_wagjll

    library = FolderLibrary(tmp_path)
    spec = extend_with_wagjll(library, load_spec("scottish-tom"), WORKBOOK)
    data = read_workbook(tmp_path / WORKBOOK)
    assert data.spec == spec and {spec.tier(r) for r in spec.master_by_id} == {"minimum", "wagjll"}
    rows = [canonical(r.get("ID")) for r in data.schools["Hawick High"].rows]
    assert rows == [*(f"M{i:02d}" for i in range(1, 13)), "W01", "W02", "W03"]  # where a build puts them
    assert not [f for f in validate(data, today=TODAY) if f.severity == "error"]


def test_validate_annotate_gives_an_added_master_row_its_grey_back(scottish: Path) -> None:
    from openpyxl import load_workbook

    from workbook_templates.annotate import annotate_file
    from workbook_templates.layout import LOCKED_COLOUR

    fill(scottish, {"Hawick High": {"A14": "HAW-01", "C14": "Our own careers fair", "D14": "School"}})
    upgrade_file(scottish, add_row(read_workbook(scottish).spec, M13), "Pat")
    r13 = next(r.row for r in read_workbook(scottish).schools["Hawick High"].rows if r.get("ID") == "M13")
    pkg = Package.open(scottish)
    pkg.set_value("Hawick High", f"C{r13}", "Our wording instead")  # master-text-changed: marked
    pkg.save()
    found = {(f.cell, f.rule) for f in annotate_file(scottish, today=TODAY) if f.sheet == "Hawick High"}
    assert (f"C{r13}", "master-text-changed") in found and ("B14", "required") in found
    pkg = Package.open(scottish)
    pkg.set_value("Hawick High", f"C{r13}", M13["Activity"])
    pkg.set_value("Hawick High", "B14", "Career guidance")
    pkg.save()
    annotate_file(scottish, today=TODAY)
    ws = load_workbook(scottish)["Hawick High"]
    assert ws[f"C{r13}"].fill.fgColor.rgb[-6:] == LOCKED_COLOUR  # the master wording's grey, back
    assert ws["B14"].fill.fill_type is None  # an own row: no fill


def test_a_termly_plan_takes_a_new_action_with_its_responsible_and_current_rag(gatsby: Path) -> None:
    spec = read_workbook(gatsby).spec
    row = {"ID": "G9-01", "Benchmark": spec.master[0]["Benchmark"], "Objective": "Alumni are not in touch",
           "Action": "Alumni network launched",
           "Responsible": "Careers Leader"}
    upgrade_file(gatsby, add_row(spec, row), "Hub lead")
    data = read_workbook(gatsby)
    assert not [f for f in validate(data, today=TODAY) if f.severity == "error"]
    school = data.spec.schools[0].sheet
    new = next(r for r in data.schools[school].rows if r.get("ID") == "G9-01")
    assert new.get("Responsible") == "Careers Leader" and new.get("Status") == "Not started"
    headers = data.schools[school].headers
    current = get_column_letter(headers.index(CURRENT_RAG) + 1)  # the derived column, after the entered ones
    assert (Package.open(gatsby).formula(school, f"{current}{new.row}") or "").startswith("=IFERROR(LOOKUP(")


def test_a_school_tab_with_an_earlier_versions_wording_is_outdated_not_tampered(scottish: Path) -> None:
    old = read_workbook(scottish).spec.master_by_id["M03"]["Target"]
    upgrade_file(scottish, edit_row(read_workbook(scottish).spec, "M03", {"Target": NEW_TARGET}), "Pat")
    pkg = Package.open(scottish)
    pkg.set_value("Kelso High", "G4", old)  # e.g. pasted back from last month's copy
    pkg.set_value("Selkirk High", "G4", "Our own target")
    pkg.save()
    found = {(f.sheet, f.rule) for f in validate(read_workbook(scottish), today=TODAY) if f.row_id == "M03"}
    assert found == {("Kelso High", "master-outdated"), ("Selkirk High", "master-text-changed")}


def test_rows_added_one_after_another_fill_the_free_rows_in_order(scottish: Path) -> None:
    fill(scottish, {"Hawick High": {"A14": "HAW-01", "B14": "Career guidance", "C14": "Own",
                                    "D14": "School"}})
    upgrade_file(scottish, add_row(read_workbook(scottish).spec, M13), "Pat")
    upgrade_file(scottish, add_row(read_workbook(scottish).spec, {**M13, "ID": "M14"}), "Pat")
    rows = {canonical(r.get("ID")): r.row for r in read_workbook(scottish).schools["Hawick High"].rows}
    assert (rows["HAW-01"], rows["M13"], rows["M14"]) == (14, 15, 16)
    kelso = {canonical(r.get("ID")): r.row for r in read_workbook(scottish).schools["Kelso High"].rows}
    assert (kelso["M13"], kelso["M14"]) == (14, 15)
    assert [r[0] for r in Package.open(scottish).grid(MASTER_HISTORY)[1:]] == [1, 2, 3]


def test_a_new_school_tab_carries_nothing_the_source_school_typed(rich: Path) -> None:
    from openpyxl import load_workbook

    fill(rich, {"Berwickshire High": {"J3": "=1+1", "K2": "https://example.org/bhs.pdf"}})
    spec = read_workbook(rich).spec
    d = spec_to_dict(spec)
    d["schools"].append({"id": "BCL", "name": "Borders College"})
    upgrade_file(rich, parse_spec(d), "Pat")
    pkg = Package.open(rich)
    assert not pkg.formula_cells("Borders College")
    tab = read_workbook(rich).schools["Borders College"]
    typed_cols = [c.header for c in spec.columns if not c.locked and c.role != "status"]
    assert all(r.get(h) is None for r in tab.rows for h in typed_cols)
    assert {r.get("Status") for r in tab.rows} == {"Not started"}
    assert load_workbook(rich)["Borders College"]["A14"].value == "BCL-01"  # openpyxl opens it too


def test_a_closed_school_reopened_gets_its_tab_back(scottish: Path) -> None:
    spec = read_workbook(scottish).spec
    d = spec_to_dict(spec)
    d["schools"] = [s for s in d["schools"] if s["id"] != "SEL"]
    upgrade_file(scottish, parse_spec(d), "Pat")
    assert "Selkirk High" not in read_workbook(scottish).schools
    upgrade_file(scottish, spec, "Pat")
    data = read_workbook(scottish)
    assert "Selkirk High" in data.schools and data.meta.get("closed_tabs") == "[]"
    assert 'name="Selkirk High"' in Package.open(scottish).read("xl/workbook.xml").decode()
    assert not [f for f in validate(data, today=TODAY) if f.severity == "error"]


def test_a_new_theme_reaches_the_dropdown_and_the_summary(scottish: Path) -> None:
    d = spec_to_dict(read_workbook(scottish).spec)
    next(c for c in d["columns"] if c["header"] == "Theme")["choices"].append("College partnership")
    upgrade_file(scottish, parse_spec(d), "Pat")
    pkg = Package.open(scottish)
    assert "College partnership" in [r[0] for r in pkg.grid("Lists")]
    assert "College partnership" in [r[0] for r in pkg.grid("Summary")]
    assert not [f for f in validate(read_workbook(scottish), today=TODAY) if f.severity == "error"]


def test_a_reopened_school_catches_up_with_the_master_changed_while_it_was_closed(scottish: Path) -> None:
    fill(scottish, {"Selkirk High": {"J2": "met the college", "H4": "In progress", "I4": "Amber",
                                     "J6": "work on the retired row", "B14": "Career guidance",
                                     "C14": "Our own event", "D14": "School"}})
    before = typed(scottish)
    d = spec_to_dict(read_workbook(scottish).spec)
    index = next(i for i, s in enumerate(d["schools"]) if s["id"] == "SEL")
    sel = d["schools"].pop(index)
    upgrade_file(scottish, parse_spec(d), "Pat")  # closed
    upgrade_file(scottish, changed_master(read_workbook(scottish).spec), "Pat", today=date(2026, 12, 1))
    parts = zip_parts(scottish.read_bytes())
    d = spec_to_dict(read_workbook(scottish).spec)
    d["schools"].insert(index, sel)
    upgrade_file(scottish, parse_spec(d), "Pat", today=date(2026, 12, 2))  # re-opened

    data = read_workbook(scottish)
    after = typed(scottish)
    for (sheet, rid), values in before.items():
        if sheet == "Selkirk High" and rid != "M05":
            assert after[(sheet, rid)] == values, rid  # what Selkirk typed stays with its row
    rows = {canonical(r.get("ID")): r for r in data.schools["Selkirk High"].rows}
    assert "M05" not in rows and rows["M13"].get("Status") == "Not started"
    assert rows["M03"].get("Target") == NEW_TARGET and rows["SEL-01"].row == 14 and rows["M13"].row == 15
    assert not [f for f in validate(data, today=TODAY) if f.sheet == "Selkirk High" and f.rule.startswith(
        "master")]
    pkg = Package.open(scottish)
    for letter in SCOT.values():  # the added row has the locked grey wording of a master row
        assert pkg.sheet("Selkirk High").cell(f"{letter}15").get("s") == \
            pkg.sheet("Selkirk High").cell(f"{letter}2").get("s")
    grid = pkg.grid(RETIRED)
    head = grid[0]
    sel_rows = [r for r in grid[1:] if r[head.index("School ID")] == "SEL"]
    assert len(sel_rows) == 1 and sel_rows[0][head.index("Progress notes")] == "work on the retired row"
    assert sel_rows[0][:2] == [4, "2026-12-02"]  # retired in Selkirk's tab at the re-opening version
    now = zip_parts(scottish.read_bytes())  # the other schools' tabs are not touched by the re-opening
    for tab in ("Kelso High", "Hawick High", "Master"):
        part = sheet_part(scottish, tab)
        assert now[part] == parts[part], tab


def test_a_new_school_tab_prints_and_filters_as_a_built_tab(scottish: Path) -> None:
    from openpyxl import load_workbook

    d = spec_to_dict(read_workbook(scottish).spec)
    d["schools"].append({"id": "BCL", "name": "Borders College"})
    upgrade_file(scottish, parse_spec(d), "Pat")
    names = defined_names(scottish)
    assert names[("_xlnm.Print_Titles", "Borders College")] == "'Borders College'!$1:$1"
    source = names[("_xlnm._FilterDatabase", "Berwickshire High")]
    assert names[("_xlnm._FilterDatabase", "Borders College")] == source.replace(
        "'Berwickshire High'!", "'Borders College'!")
    assert names[("_xlnm.Print_Titles", "Berwickshire High")] == "'Berwickshire High'!$1:$1"  # kept
    wb = load_workbook(scottish)  # openpyxl reads them as it reads a built tab's
    assert wb["Borders College"].print_title_rows == wb["Berwickshire High"].print_title_rows == "$1:$1"
