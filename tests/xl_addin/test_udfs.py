"""The worksheet functions as plain functions, fed the argument shapes Excel hosts really send."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xl_addin.udfs import TOM_CHECK, TOM_RAG, TOM_ROLLUP, TOM_SCORE, TOM_STALE, as_date, cells, month_start

NA_OFFICEJS = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
NA_COM = -2146826246  # what COM passes for #N/A
SCOT_HEADERS = ["ID", "Theme", "Activity", "Lead", "Audience", "When", "Target", "Status", "RAG",
                "Progress notes", "Evidence link", "Last updated", "Updated by"]


# -- shapes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("ratings", [
    "G",
    ["G"],
    [["G"]],
])
def test_a_single_value_in_any_shape(ratings: object) -> None:
    assert TOM_RAG(ratings) == "G"
    assert TOM_SCORE(ratings) == 1.0


def test_one_row_one_column_and_a_block_give_the_same_answer() -> None:
    row = ["G", "G", "G", "A"]
    column = [["G"], ["G"], ["G"], ["A"]]
    block = [["G", "G"], ["G", "A"]]
    assert TOM_RAG(row) == TOM_RAG(column) == TOM_RAG(block) == "G"
    assert TOM_SCORE(row) == TOM_SCORE(column) == TOM_SCORE(block) == 0.875


def test_blanks_are_not_ratings() -> None:
    assert TOM_RAG([["G"], [None], [""], ["  "], ["A"], ["R"]]) == "A"  # [G, A, R] -> 0.5
    assert TOM_SCORE([None, "", " "]) is None
    assert TOM_RAG([None, ""]) == ""
    assert TOM_RAG([]) == ""


def test_ratings_typed_loosely_count_as_typed() -> None:
    assert TOM_RAG(["g ", " G", "g"]) == "G"
    assert TOM_RAG(["r", "R ", "a"]) == "R"
    assert TOM_SCORE(["B", "G"]) == 1.0  # B (complete) counts as G


@pytest.mark.parametrize("error", ["#N/A", "#DIV/0!", "#REF!", NA_OFFICEJS, NA_COM, ValueError("x")])
def test_error_cells_count_like_blanks(error: object) -> None:
    assert TOM_RAG([["G"], [error], ["G"], ["A"], ["G"]]) == "G"
    assert TOM_SCORE([error, "R"]) == 0.0
    assert TOM_SCORE([error]) is None


def test_anything_else_is_not_a_rating() -> None:
    assert TOM_SCORE(["G", "Green", 1, 0.5, True, "RA"]) == 1.0


def test_cells_flattens_row_by_row() -> None:
    assert cells([[1, "x "], [None, "#N/A"]]) == [1, "x", None, None]
    assert cells("only") == ["only"]


# -- rules -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ratings", "rule", "expected"), [
    (["G", "G", "G", "A"], None, "G"),  # ../shared/DESIGN.md examples under the default score rule
    (["G", "A", "R"], None, "A"),
    (["R", "R", "A"], None, "R"),
    ([], None, ""),
    (["G", "G", "R"], "worst", "R"),
    (["G", "G", "A"], "WORST ", "A"),
    (["G", "G", "R"], "majority", "G"),
    (["G", "R"], "majority", "R"),  # a tie goes to the worse
    (["G", "G", "R"], "", "A"),  # blank rule = score: 0.67 -> A
    (["G", "G", "R"], NA_OFFICEJS, "A"),
])
def test_rules(ratings: list[str], rule: object, expected: str) -> None:
    assert TOM_RAG(ratings, rule) == expected


def test_an_unknown_rule_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="score, worst, majority"):
        TOM_RAG(["G"], "average")


# -- TOM_ROLLUP -------------------------------------------------------------------------------------

TABLE = [
    ["ID", "Theme", "Lead", "Status", "RAG"],
    ["M01", "Planning", "Joint", "Complete", "G"],
    ["M02", "Planning", "Joint", "In progress", "A"],
    ["M03", "Employer engagement", "DYW", "In progress", "r "],
    ["M04", "Employer engagement", "DYW", "Not applicable", "R"],  # left out, as in the core
    ["M05", "Career guidance", "SDS", "Not started", None],
    ["M06", None, "SDS", "In progress", "#N/A"],
    [None, None, None, None, None],  # an empty free row
]


def test_rollup_spills_group_counts_rag_then_all() -> None:
    out = TOM_ROLLUP(TABLE, "Theme")
    assert out == [
        ["Theme", "R", "A", "G", "Unrated", "RAG"],
        ["Planning", 0, 1, 1, 0, "G"],  # 0.75 -> G
        ["Employer engagement", 1, 0, 0, 0, "R"],
        ["Career guidance", 0, 0, 0, 1, ""],
        ["(none)", 0, 0, 0, 1, ""],
        ["All", 1, 1, 1, 2, "A"],
    ]


def test_rollup_by_is_a_header_in_any_case_and_rules_apply() -> None:
    out = TOM_ROLLUP(TABLE, "lead", "worst")
    assert out[0][0] == "Lead"
    assert out[1] == ["Joint", 0, 1, 1, 0, "A"]
    assert out[-1] == ["All", 1, 1, 1, 2, "R"]


def test_rollup_of_a_termly_plan_uses_the_latest_rated_term() -> None:
    table = [["ID", "Benchmark", "Status", "Autumn 2026", "Spring 2027"],
             ["B1-01", "1", "In progress", "R", "G"],
             ["B1-02", "1", "In progress", "A", None]]
    assert TOM_ROLLUP(table, "Benchmark")[1] == ["1", 0, 1, 1, 0, "G"]


def test_rollup_refuses_a_missing_column() -> None:
    with pytest.raises(ValueError, match="no column 'School'"):
        TOM_ROLLUP(TABLE, "School")
    with pytest.raises(ValueError, match="no rating column"):
        TOM_ROLLUP([["ID", "Theme"], ["1", "x"]], "Theme")


# -- TOM_CHECK --------------------------------------------------------------------------------------

def own_row(**changes: object) -> list[object]:
    values = {"ID": "HAW-01", "Theme": "Employer engagement", "Activity": "Careers fair", "Lead": "DYW",
              "Audience": "S3-S6", "When": "Ongoing", "Target": "Agreed", "Status": "In progress",
              "RAG": "G", "Progress notes": "On track", "Evidence link": None,
              "Last updated": datetime(2026, 11, 3), "Updated by": "DYW co-ordinator"}
    values.update(changes)
    return [values[h] for h in SCOT_HEADERS]


def test_check_passes_a_good_row() -> None:
    assert TOM_CHECK(own_row(), SCOT_HEADERS) == ""


def test_check_reports_the_first_finding_of_the_row() -> None:
    assert TOM_CHECK(own_row(RAG="R", **{"Progress notes": None}), SCOT_HEADERS).startswith(
        "rated R with no Progress notes")
    assert TOM_CHECK(own_row(Status="Complete", RAG=None), SCOT_HEADERS) == (
        "Status is Complete but the row has no RAG rating")
    assert "is not allowed in Lead" in TOM_CHECK(own_row(Lead="Council"), SCOT_HEADERS)


def test_check_reads_dates_as_excel_sends_them() -> None:
    serial = 46329  # 3 Nov 2026, as Office.js passes a date cell to a custom function
    assert TOM_CHECK(own_row(**{"Last updated": serial}), SCOT_HEADERS) == ""
    assert TOM_CHECK(own_row(**{"Last updated": "03/11/2026"}), SCOT_HEADERS) == ""
    assert "must be a date" in TOM_CHECK(own_row(**{"Last updated": "soon"}), SCOT_HEADERS)
    assert "in the future" in TOM_CHECK(own_row(**{"Last updated": 60000}), SCOT_HEADERS)


def test_check_holds_master_wording() -> None:
    row = own_row(ID="M01", Theme="Planning", Activity="Agree the TOM", Lead="Joint")
    assert "master wording is locked" in TOM_CHECK(row, SCOT_HEADERS)


def test_check_looks_only_at_the_columns_given() -> None:
    headers = ["ID", "Status", "RAG"]
    assert TOM_CHECK(["HAW-01", "In progress", "G"], headers) == ""
    missing = "Status is Complete but the row has no RAG rating"
    assert TOM_CHECK(["HAW-01", "Complete", "#N/A"], headers) == missing


def test_check_finds_the_spec_from_the_headers_or_is_told() -> None:
    headers = ["ID", "Benchmark", "Action", "Status", "Autumn 2026"]
    row = ["B1-01", "1 A stable careers programme", "Plan", "Complete", None]
    assert TOM_CHECK(row, headers).startswith("Status is Complete")
    assert TOM_CHECK(row, headers, "gatsby-plan").startswith("Status is Complete")
    assert TOM_CHECK(row[:3] + ["Complete", "G"], headers) == ""
    assert "is not allowed in Benchmark" in TOM_CHECK(["B1-01", "1", "Plan", "Complete", "G"], headers)
    with pytest.raises(ValueError, match="do not match a TOM spec"):
        TOM_CHECK(["x", "y"], ["Name", "Colour"])


# -- TOM_STALE --------------------------------------------------------------------------------------

def test_stale_compares_the_newest_date_with_the_month() -> None:
    dates = [[datetime(2026, 10, 25)], [None], ["#N/A"], [datetime(2026, 10, 2)]]
    assert TOM_STALE(dates, "2026-11") is True
    assert TOM_STALE(dates, "2026-10") is False
    assert TOM_STALE([], "2026-10") is True  # never updated
    assert TOM_STALE([None, "#N/A"], "2026-10") is True


def test_stale_takes_serials_text_and_dates_for_either_argument() -> None:
    assert TOM_STALE(46329, "2026-11") is False  # 3 Nov 2026 as a serial
    assert TOM_STALE("46329", 46327.0) is False  # a serial stored as text; month given as a date serial
    assert TOM_STALE("03/11/2026", date(2026, 12, 5)) is True
    assert TOM_STALE(datetime(2026, 11, 3), datetime(2026, 11, 30)) is False


def test_stale_defaults_to_this_month() -> None:
    assert TOM_STALE(date.today()) is False
    assert TOM_STALE(date(2000, 1, 1)) is True
    assert month_start(None, date(2026, 11, 20)) == date(2026, 11, 1)


def test_stale_refuses_a_month_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        TOM_STALE(date(2026, 11, 3), "next month")


def test_as_date_handles_what_excel_sends() -> None:
    assert as_date(46329) == date(2026, 11, 3)
    assert as_date(46329.75) == date(2026, 11, 3)
    assert as_date("2026-11-03") == date(2026, 11, 3)
    assert as_date(True) is None
    assert as_date(-5) is None
    assert as_date(NA_COM) is None


def test_functions_register_with_xlwings_without_converter_hints() -> None:
    """xlwings takes parameter annotations for converters (Any or str would fail): there are none."""
    import types

    from xlwings.pro.udfs_officejs import custom_functions_meta, xlfunc

    import xl_addin.udfs as udfs

    module = types.ModuleType("tom_functions")
    for name in udfs.__all__:
        f = getattr(udfs, name)
        assert f.__annotations__ == {}
        copy = types.FunctionType(f.__code__, f.__globals__, name, f.__defaults__)
        setattr(module, name, xlfunc(copy))
    meta = custom_functions_meta(module)
    params = {f["name"]: [p["name"] for p in f["parameters"]] for f in meta["functions"]}
    assert params == {"TOM_CHECK": ["row", "headers", "spec"], "TOM_RAG": ["ratings", "rule"],
                      "TOM_ROLLUP": ["table", "by", "rule"], "TOM_SCORE": ["ratings"],
                      "TOM_STALE": ["last_updated", "month"]}
