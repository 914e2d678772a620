"""RAG roll-ups: the pure rules (../shared/DESIGN.md examples), and a real workbook counted by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.workbook_templates.helpers import SCOT_FIRST_FREE, copy_to, fill, set_cells
from workbook_templates.reader import WorkbookData, read_workbook
from workbook_templates.rollup import (
    RatedRow,
    clean,
    current_rating,
    group_rows,
    majority,
    rag_from_score,
    roll,
    roll_up_by,
    rollup_table,
    rollup_workbook,
    score,
    worst,
)
from workbook_templates.spec import Rollup, load_spec

F = SCOT_FIRST_FREE

# -- the rules, as pure functions ----------------------------------------------------------------------


@pytest.mark.parametrize("ratings,expected_score,expected", [
    (["G", "G", "G", "A"], 0.875, "G"),
    (["G", "A", "R"], 0.5, "A"),
    (["R", "R", "A"], 1 / 6, "R"),
    ([], None, ""),
])
def test_design_examples_under_the_score_rule(ratings: list[str], expected_score: float | None,
                                               expected: str) -> None:
    assert score(ratings) == (pytest.approx(expected_score) if expected_score is not None else None)
    assert roll(ratings) == expected  # score is the default rule
    assert roll(ratings, "score") == expected


def test_score_of_r_r_a_is_about_0_17() -> None:
    assert round(score(["R", "R", "A"]), 2) == 0.17


def test_score_thresholds_are_inclusive_for_green_and_exclusive_for_red() -> None:
    assert roll(["G", "A"]) == "G"  # 0.75 >= green 0.75
    assert rag_from_score(0.4) == "A"  # not < red 0.4
    assert rag_from_score(0.3999) == "R"
    assert rag_from_score(0.7499) == "A"
    assert rag_from_score(None) == ""


def test_thresholds_are_settings() -> None:
    ratings = ["G", "G", "G", "A"]  # 0.875
    assert roll(ratings, "score", green=0.9) == "A"
    assert roll(ratings, "score", green=0.8) == "G"
    assert roll(["G", "A", "R"], "score", green=0.9, red=0.6) == "R"
    assert roll(["G", "A", "R"], "score", green=0.5, red=0.1) == "G"


@pytest.mark.parametrize("ratings,expected", [
    (["G", "G", "A", "R"], "R"), (["G", "A", "G"], "A"), (["G", "G"], "G"), ([], ""), ([None, ""], ""),
    (["B", "G"], "G"),
])
def test_worst(ratings: list[Any], expected: str) -> None:
    assert worst(ratings) == expected
    assert roll(ratings, "worst") == expected


@pytest.mark.parametrize("ratings,expected", [
    (["G", "G", "A"], "G"),
    (["G", "A", "A", "R"], "A"),
    (["G", "R"], "R"),  # a tie goes to the worse
    (["G", "G", "A", "A"], "A"),
    (["G", "A", "R"], "R"),
    (["A", "A", "R", "R", "G"], "R"),
    (["B", "B", "A"], "G"),  # B counts as G
    ([], ""),
])
def test_majority(ratings: list[str], expected: str) -> None:
    assert majority(ratings) == expected
    assert roll(ratings, "majority") == expected


def test_b_counts_as_g_in_every_rule() -> None:
    assert clean(["B"]) == ["G"]
    assert score(["B", "A"]) == score(["G", "A"]) == 0.75
    assert worst(["B"]) == majority(["B"]) == roll(["B"]) == "G"


def test_blanks_and_garbage_are_ignored() -> None:
    ratings = [None, "", "  ", "X", "Red", 3, "G", " a ", "g", "r "]
    assert clean(ratings) == ["G", "A", "G", "R"]
    assert score(ratings) == pytest.approx(2.5 / 4)
    assert roll([None, "", "N/A"]) == ""
    assert worst(["X", "A"]) == "A"


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown roll-up rule 'best'"):
        roll(["G"], "best")


def test_group_rows_refuses_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="cannot group by 'region'"):
        group_rows([], ["region"])


def test_group_rows_counts_and_keeps_first_seen_order() -> None:
    rows = [RatedRow("S2", "T", "L", "R"), RatedRow("S1", "T", "L", "B"), RatedRow("S2", "(none)", "L", ""),
            RatedRow("S1", "T", "L", "G")]
    result = group_rows(rows, ["school"])
    assert [(g.key, g.R, g.A, g.G, g.unrated, g.rag) for g in result.groups] == [
        ({"school": "S2"}, 1, 0, 0, 1, "R"),
        ({"school": "S1"}, 0, 0, 2, 0, "G"),
    ]
    assert (result.overall.key, result.overall.R, result.overall.G, result.overall.unrated) == ({}, 1, 2, 1)
    assert result.overall.rag == "A"  # (0 + 1 + 1) / 3 = 0.67
    assert group_rows(rows, ["theme"], order={"theme": ["T"]}).groups[-1].key == {"theme": "(none)"}


# -- a real workbook with known ratings ---------------------------------------------------------------
#
# Hand count (scottish-tom: 9 schools x 12 master rows; themes and leads of M01..M04 from the spec):
#   Berwickshire High  M01 G, M02 G, M03 G, M04 A                  -> G3 A1, 8 unrated, 0.875 -> G
#   Earlston High      M01 G, M02 A, M03 R                         -> R1 A1 G1, 9 unrated, 0.5 -> A
#   Eyemouth High      M01 R, M02 R, M03 A                         -> R2 A1, 9 unrated, 0.17 -> R
#   Galashiels Academy M01 R but Not applicable (left out), M02 G, own row GAL-01 G (Employer, School)
#                                                                  -> G2, 10 unrated -> G
#   Hawick High        M05 rated "X" (garbage, ignored)            -> 12 unrated -> no rating
#   Jedburgh Grammar   M01 "g" (read as G)                         -> G1, 11 unrated -> G
#   Kelso, Peebles, Selkirk: nothing rated                         -> 12 unrated each -> no rating
# Overall: R3 A3 G7, 108 rows (108 master - 1 not applicable + 1 own) -> 95 unrated; 8.5/13 = 0.65 -> A

RATINGS: dict[str, dict[str, Any]] = {
    "Berwickshire High": {"H2": "Complete", "I2": "G", "H3": "In progress", "I3": "G", "H4": "In progress",
                          "I4": "G", "H5": "In progress", "I5": "A"},
    "Earlston High": {"H2": "In progress", "I2": "G", "H3": "In progress", "I3": "A", "H4": "In progress",
                      "I4": "R", "J4": "Employer withdrew; replacement being sourced."},
    "Eyemouth High": {"H2": "In progress", "I2": "R", "J2": "Not agreed yet: SLT meeting moved.",
                      "H3": "Not started", "I3": "R", "J3": "No update since September.",
                      "H4": "In progress", "I4": "A"},
    "Galashiels Academy": {"H2": "Not applicable", "I2": "R", "J2": "Agreed at cluster level instead.",
                           "H3": "Complete", "I3": "G",
                           f"A{F}": "GAL-01", f"B{F}": "Employer engagement", f"C{F}": "Careers fair",
                           f"D{F}": "School", f"H{F}": "In progress", f"I{F}": "G"},
    "Hawick High": {"I6": "X"},
    "Jedburgh Grammar": {"H2": "Complete", "I2": "g"},
}


@pytest.fixture(scope="module")
def rated(scottish_master: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkbookData:
    path = copy_to(scottish_master, tmp_path_factory.mktemp("rated"))
    return read_workbook(fill(path, RATINGS))


def table(result: Any) -> list[tuple[Any, ...]]:
    return [(*g.key.values(), g.R, g.A, g.G, g.unrated, g.rag) for g in result.groups]


def test_rollup_by_school(rated: WorkbookData) -> None:
    result = rollup_workbook(rated, ["school"])
    assert (result.rule, result.by) == ("score", ["school"])
    assert table(result) == [
        ("Berwickshire High", 0, 1, 3, 8, "G"),
        ("Earlston High", 1, 1, 1, 9, "A"),
        ("Eyemouth High", 2, 1, 0, 9, "R"),
        ("Galashiels Academy", 0, 0, 2, 10, "G"),
        ("Hawick High", 0, 0, 0, 12, ""),
        ("Jedburgh Grammar", 0, 0, 1, 11, "G"),
        ("Kelso High", 0, 0, 0, 12, ""),
        ("Peebles High", 0, 0, 0, 12, ""),
        ("Selkirk High", 0, 0, 0, 12, ""),
    ]
    o = result.overall
    assert (o.key, o.R, o.A, o.G, o.unrated, o.rag) == ({}, 3, 3, 7, 95, "A")


def test_rollup_defaults_to_the_specs_first_grouping_and_rule(rated: WorkbookData) -> None:
    assert table(rollup_workbook(rated)) == table(rollup_workbook(rated, ["school"], "score"))


def test_rollup_by_theme_in_the_specs_theme_order(rated: WorkbookData) -> None:
    # Planning M01/M02: BHS G G, EHS G A, EYE R R, GAL (M01 n/a) G, JED G -> R2 A1 G5 of 17 rows: 5.5/8 -> A
    # Employer M03/M10 + GAL-01: BHS G, EHS R, EYE A, GAL-01 G -> R1 A1 G2 of 19 rows: 2.5/4 -> A
    # Data M04/M05: BHS A; Hawick's "X" is on M05 and ignored -> A1 of 18 rows
    assert table(rollup_workbook(rated, ["theme"])) == [
        ("Planning and alignment", 2, 1, 5, 9, "A"),
        ("Employer engagement", 1, 1, 2, 15, "A"),
        ("Career guidance", 0, 0, 0, 18, ""),
        ("Data and transitions", 0, 1, 0, 17, "A"),
        ("Work-based learning", 0, 0, 0, 18, ""),
        ("Professional learning", 0, 0, 0, 9, ""),
        ("Parents and carers", 0, 0, 0, 9, ""),
    ]


def test_rollup_by_lead(rated: WorkbookData) -> None:
    # DYW: M03 M06 M10 M11 (36 rows); SDS: M04 M09 M12 (27); Joint: M01 M02 M05 M07 M08 (45 - 1 n/a);
    # School: only Galashiels' own row.
    assert table(rollup_workbook(rated, ["lead"])) == [
        ("DYW", 1, 1, 1, 33, "A"),
        ("SDS", 0, 1, 0, 26, "A"),
        ("Joint", 2, 1, 5, 36, "A"),
        ("School", 0, 0, 1, 0, "G"),
    ]


def test_rollup_by_school_and_theme(rated: WorkbookData) -> None:
    result = rollup_workbook(rated, ["school", "theme"])
    assert len(result.groups) == 9 * 7
    rows = {(g.key["school"], g.key["theme"]): (g.R, g.A, g.G, g.unrated, g.rag) for g in result.groups}
    assert rows[("Berwickshire High", "Planning and alignment")] == (0, 0, 2, 0, "G")
    assert rows[("Berwickshire High", "Data and transitions")] == (0, 1, 0, 1, "A")
    assert rows[("Earlston High", "Employer engagement")] == (1, 0, 0, 1, "R")
    assert rows[("Eyemouth High", "Planning and alignment")] == (2, 0, 0, 0, "R")
    assert rows[("Galashiels Academy", "Planning and alignment")] == (0, 0, 1, 0, "G")  # M01 not applicable
    assert rows[("Galashiels Academy", "Employer engagement")] == (0, 0, 1, 2, "G")
    assert rows[("Selkirk High", "Parents and carers")] == (0, 0, 0, 1, "")
    assert list(result.groups[0].key) == ["school", "theme"]
    themes = list(load_spec("scottish-tom").column("theme").choices)
    assert [g.key["theme"] for g in result.groups[:7]] == themes


@pytest.mark.parametrize("rule,expected", [
    ("worst", ["A", "R", "R", "G", "", "G", "", "", ""]),
    ("majority", ["G", "R", "R", "G", "", "G", "", "", ""]),  # Earlston's G/A/R tie goes to R
    ("score", ["G", "A", "R", "G", "", "G", "", "", ""]),
])
def test_rollup_rules_on_the_workbook(rated: WorkbookData, rule: str, expected: list[str]) -> None:
    result = rollup_workbook(rated, ["school"], rule)
    assert result.rule == rule
    assert [g.rag for g in result.groups] == expected


def test_rollup_uses_the_thresholds_in_the_spec(rated: WorkbookData) -> None:
    spec = dataclasses.replace(rated.spec, rollup=Rollup("score", 0.9, 0.6))
    strict = dataclasses.replace(rated, spec=spec)
    assert [g.rag for g in rollup_workbook(strict, ["school"]).groups][:4] == ["A", "R", "R", "G"]


def test_not_applicable_rows_are_left_out(rated: WorkbookData) -> None:
    groups = rollup_workbook(rated, ["school"]).groups
    gal = next(g for g in groups if g.key["school"] == "Galashiels Academy")
    assert gal.R == 0 and gal.G + gal.unrated == 12  # 12 master - 1 not applicable + 1 own row


# -- termly plan ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def termly(gatsby_master: Path, tmp_path_factory: pytest.TempPathFactory) -> WorkbookData:
    path = copy_to(gatsby_master, tmp_path_factory.mktemp("termly"))
    set_cells(path, "Northfield Academy", {
        "K2": "R", "L2": "G",  # G1-01: red in autumn, green in spring -> G
        "K3": "G", "M3": "R", "T3": "Governor left; new link governor in January.",  # G1-02 -> R
        "K5": "A",  # G2-01 -> A
        "K7": "B",  # G3-01: complete -> counts as G
        "J8": "Not applicable", "K8": "R",  # G3-02: left out
    })
    set_cells(path, "Riverside School", {"K2": "G", "L2": "A", "S2": "G"})  # G1-01: latest is Summer 2028
    return read_workbook(path)


def test_current_rating_is_the_latest_rated_term(termly: WorkbookData) -> None:
    spec = termly.spec
    rows = termly.schools["Northfield Academy"].rows
    assert [current_rating(r.values, spec) for r in rows[:8]] == ["G", "R", "", "A", "", "B", "R", ""]
    assert current_rating({"Autumn 2026": "G", "Spring 2027": "junk"}, spec) == "G"
    assert current_rating({}, spec) == ""


def test_termly_rollup_by_school_uses_the_latest_term(termly: WorkbookData) -> None:
    # Northfield: G, R, A, B(=G); G3-02 not applicable; 12 - 1 - 4 = 7 unrated: 2.5/4 -> A
    assert table(rollup_workbook(termly, ["school"]))[:3] == [
        ("Northfield Academy", 1, 1, 2, 7, "A"),
        ("Riverside School", 0, 0, 1, 11, "G"),
        ("St Mary's Catholic High", 0, 0, 0, 12, ""),
    ]


def test_termly_rollup_by_benchmark(termly: WorkbookData) -> None:
    result = rollup_workbook(termly, ["theme"])
    first = result.groups[0]
    assert first.key == {"theme": "1 A stable careers programme"}
    # Northfield G1-01 G, G1-02 R; Riverside G1-01 G -> 2/3 -> A; 15 rows, 12 unrated
    assert (first.R, first.A, first.G, first.unrated, first.rag) == (1, 0, 2, 12, "A")
    bench3 = result.groups[2]
    assert bench3.key == {"theme": "3 Addressing the needs of each young person"}
    assert (bench3.G, bench3.unrated, bench3.rag) == (1, 8, "G")  # B counted as G; G3-02 n/a left out


def test_termly_rollup_by_responsible(termly: WorkbookData) -> None:
    result = rollup_workbook(termly, ["lead"])
    # Responsible is free text (with suggestions): one group per text typed, in first-seen order
    seen = {str(r["Responsible"]) for r in termly.spec.master}
    assert sorted(g.key["lead"] for g in result.groups) == sorted(seen)
    governors = next(g for g in result.groups if g.key["lead"] == "Governors")
    assert (governors.R, governors.unrated, governors.rag) == (1, 4, "R")


# -- grouping by key ---------------------------------------------------------------------------------

def test_roll_up_by_any_key_function() -> None:
    items = [{"area": "North", "term": "Autumn", "r": "G"}, {"area": "North", "term": "Spring", "r": "R"},
             {"area": "South", "term": "Autumn", "r": "A"}, {"area": "North", "term": "Autumn", "r": ""}]
    result = roll_up_by(items, ["area"], lambda i: i["area"], lambda i: i["r"], "worst")
    assert [(g.key, g.R, g.A, g.G, g.unrated, g.rag) for g in result.groups] == [
        ({"area": "North"}, 1, 0, 1, 1, "R"), ({"area": "South"}, 0, 1, 0, 0, "A")]
    assert (result.overall.key, result.overall.rag) == ({}, "R")
    two = roll_up_by(items, ["area", "term"], lambda i: (i["area"], i["term"]), lambda i: i["r"],
                     order={"term": ["Spring", "Autumn"]})
    assert [g.key for g in two.groups] == [{"area": "North", "term": "Spring"},
                                           {"area": "North", "term": "Autumn"},
                                           {"area": "South", "term": "Autumn"}]


def test_rollup_table_groups_by_the_named_column_and_leaves_out_not_applicable() -> None:
    table = [["ID", "Lead", "Status", "RAG"],
             ["M01", "DYW", "Complete", "G"],
             ["M02", "SDS", "Not applicable", "R"],
             ["M03", None, "In progress", "a"],
             [None, None, None, None]]
    result = rollup_table(table, "lead")
    assert result.by == ["Lead"]  # the column's own header, not "theme"
    assert [(g.key, g.G, g.A, g.rag) for g in result.groups] == [({"Lead": "DYW"}, 1, 0, "G"),
                                                                   ({"Lead": "(none)"}, 0, 1, "A")]
    with pytest.raises(ValueError, match="no rating column"):
        rollup_table([["ID", "Lead"], ["M01", "DYW"]], "Lead")
    termly = [["ID", "Benchmark", "Autumn 2026", "Spring 2027"], ["B1", "1", "R", "G"]]
    assert rollup_table(termly, "Benchmark", specs=[load_spec("gatsby-plan")]).groups[0].G == 1
