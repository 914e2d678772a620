"""Spec loading: the shipped specs load, and a spec with a mistake is refused naming the key at fault."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbook_templates.spec import (
    SHIPPED,
    School,
    SpecError,
    load_spec,
    loads_spec,
    shipped_spec_path,
)

TOP = """name = "mini"
title = "Mini TOM"
area = "Testshire"
{top}
[session]
label = "2026/27"
start = "{start}"
end = "{end}"
"""
SCHOOL = """
[[schools]]
id = "{id}"
name = "{name}"
"""
COLUMNS = """
[[columns]]
header = "ID"
role = "id"
required = true
locked = true
[[columns]]
header = "Activity"
role = "activity"
required = true
locked = true
[[columns]]
header = "RAG"
role = "rag"
kind = "rag"
"""
MASTER = """
[[master]]
ID = "M01"
Activity = "Agree the TOM"
"""


def spec_text(extra: str = "", *, top: str = "", start: str = "2026-08", end: str = "2027-06",
              schools: tuple[tuple[str, str], ...] = (("AAA", "Alpha High"),), columns: str = COLUMNS,
              master: str = MASTER) -> str:
    """A small valid spec, with ``extra`` TOML appended (more [[columns]], [[master]], tables ...)."""
    text = TOP.format(top=top, start=start, end=end)
    text += "".join(SCHOOL.format(id=i, name=n) for i, n in schools)
    return text + columns + master + textwrap.dedent(extra)


def refused(text: str) -> str:
    with pytest.raises(SpecError) as info:
        loads_spec(text, source="mini.toml")
    message = str(info.value)
    assert message.startswith("mini.toml"), message  # names the file
    return message


# -- the shipped specs -----------------------------------------------------------------------------

def test_scottish_tom_loads_with_its_schools_columns_and_master_rows() -> None:
    spec = load_spec("scottish-tom")
    assert spec.name == "scottish-tom"
    assert [s.id for s in spec.schools] == ["BHS", "EHS", "EYE", "GAL", "HAW", "JED", "KEL", "PEE", "SEL"]
    assert spec.months[0] == "2026-08" and spec.months[-1] == "2027-06" and len(spec.months) == 11
    assert [c.header for c in spec.rag_columns] == ["RAG"]
    assert spec.id_header == "ID"
    assert [row["ID"] for row in spec.master] == [f"M{i:02d}" for i in range(1, 13)]
    assert [c.header for c in spec.master_columns] == ["ID", "Theme", "Activity", "Lead", "Audience", "When",
                                                      "Target"]
    assert spec.column("status").choices == ("Not started", "In progress", "Complete", "Not applicable")
    assert spec.rollup.rule == "score" and spec.rollup.green == 0.75 and spec.rollup.red == 0.4


def test_gatsby_plan_loads_as_a_termly_plan_with_nine_terms() -> None:
    spec = load_spec("gatsby-plan")
    assert len(spec.schools) == 5
    assert len(spec.rag_columns) == 9
    assert spec.rag_columns[0].term == "Autumn 2025" and spec.rag_columns[-1].term == "Summer 2028"
    assert spec.rag_values == ("R", "A", "G", "B")
    assert all(c.choices == ("R", "A", "G", "B") for c in spec.rag_columns)
    assert len(spec.column("theme").choices) == 8
    assert len(spec.months) == 35  # September 2025 to July 2028
    assert "St Mary's Catholic High" in [s.sheet for s in spec.schools]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_spec_loads_by_path_too_and_survives_its_own_toml(name: str) -> None:
    by_name = load_spec(name)
    by_path = load_spec(shipped_spec_path(name))
    assert by_path == by_name
    assert loads_spec(by_name.to_toml()) == by_name  # what the workbook embeds reads back the same
    assert loads_spec(by_name.to_toml()).master_fingerprint() == by_name.master_fingerprint()


def test_unknown_spec_name_is_refused_naming_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such spec file.*scottish-tom, gatsby-plan"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match="scottish-tim"):
        load_spec("scottish-tim")


def test_the_minimal_spec_used_below_is_valid() -> None:
    spec = loads_spec(spec_text())
    assert spec.headers == ["ID", "Activity", "RAG"]
    assert spec.free_rows == 40 and spec.deadline_day == 28 and spec.rag_values == ("R", "A", "G")


def test_fingerprint_changes_when_master_wording_changes() -> None:
    a = loads_spec(spec_text())
    b = loads_spec(spec_text(master=MASTER.replace("Agree the TOM", "Agree the TOM soon")))
    assert a.master_fingerprint() != b.master_fingerprint()
    assert len(a.master_fingerprint()) == 64


def test_school_tab_names_are_cleaned_to_excels_rules() -> None:
    school = School("X", "St John's [RC] High: Upper/Lower School*?")
    assert school.sheet == "St John's -RC- High- Upper-Lowe"
    assert len(school.sheet) <= 31


# -- mistakes, each refused with the key at fault ---------------------------------------------------

def test_unknown_kind_names_the_column_and_the_kind() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Budget"\nkind = "money"\n'))
    assert "columns[3]" in message and "'Budget'" in message and "unknown kind 'money'" in message


def test_duplicate_column_is_refused_even_with_other_capitals() -> None:
    message = refused(spec_text('[[columns]]\nheader = "activity"\n'))
    assert "columns[3]" in message and "duplicate column 'activity'" in message


def test_master_row_missing_a_required_locked_value_names_the_row_and_column() -> None:
    message = refused(spec_text('[[master]]\nID = "M02"\n'))
    assert "master[1]" in message and "required value 'Activity' is missing" in message


def test_master_row_missing_its_id_is_refused() -> None:
    message = refused(spec_text('[[master]]\nActivity = "Second expectation"\n'))
    assert "master[1]" in message and "'ID'" in message


def test_master_row_missing_its_id_is_refused_when_the_id_column_is_not_locked() -> None:
    columns = COLUMNS.replace('role = "id"\nrequired = true\nlocked = true', 'role = "id"')
    message = refused(spec_text('[[master]]\nActivity = "Second expectation"\n', columns=columns))
    assert "master[1]" in message and "ID" in message


def test_school_id_used_twice_names_the_id() -> None:
    message = refused(spec_text(schools=(("AAA", "Alpha High"), ("AAA", "Another High"))))
    assert "schools[1]" in message and "school id 'AAA' is used twice" in message


def test_school_names_that_clash_as_tab_names_are_refused() -> None:
    message = refused(spec_text(schools=(("AAA", "Alpha/Beta High"), ("BBB", "Alpha:Beta High"))))
    assert "schools[1]" in message and "'Alpha-Beta High' clashes" in message


def test_school_named_like_a_reserved_tab_is_refused() -> None:
    message = refused(spec_text(schools=(("SUM", "Summary"),)))
    assert "schools[0]" in message and "'Summary' clashes" in message


def test_no_schools_is_refused() -> None:
    message = refused(spec_text(top="schools = []", schools=()))
    assert "at least one school" in message


def test_unknown_role_names_the_column_and_the_role() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Owner"\nrole = "owner"\n'))
    assert "columns[3] ('Owner')" in message and "unknown role 'owner'" in message


def test_a_role_given_to_two_columns_is_refused_except_rag() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Task"\nrole = "activity"\n'))
    assert "columns[3] ('Task')" in message and "role 'activity' is given to two columns" in message
    spec = loads_spec(spec_text('[[columns]]\nheader = "Spring"\nrole = "rag"\nkind = "rag"\n'))
    assert [c.header for c in spec.rag_columns] == ["RAG", "Spring"]


@pytest.mark.parametrize("start,end", [("Sept 2026", "2027-06"), ("2026-08", "June 2027"),
                                       ("2026/08", "2027-06")])
def test_session_month_not_in_yyyy_mm_form_is_refused(start: str, end: str) -> None:
    message = refused(spec_text(start=start, end=end))
    assert "session.start / session.end must be YYYY-MM" in message


def test_session_ending_before_it_starts_is_refused() -> None:
    assert "span 1 to 48 months" in refused(spec_text(start="2027-06", end="2026-08"))


def test_session_longer_than_four_years_is_refused() -> None:
    assert "span 1 to 48 months" in refused(spec_text(start="2026-01", end="2030-12"))


def test_session_start_month_zero_is_refused() -> None:
    assert "session" in refused(spec_text(start="2026-00", end="2026-09"))


def test_session_end_month_thirteen_is_refused() -> None:
    assert "session" in refused(spec_text(start="2026-08", end="2026-13"))


def test_session_start_month_thirteen_is_refused_not_an_endless_loop() -> None:
    # Run in a child process whose address space is capped a little above what it needs once imported,
    # so the endless loop ends in MemoryError quickly instead of eating the machine.
    code = textwrap.dedent(f"""
        import resource
        from workbook_templates.spec import SpecError, loads_spec
        with open("/proc/self/statm") as fh:
            vm = int(fh.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm + 64 * 2**20, resource.getrlimit(resource.RLIMIT_AS)[1]))
        try:
            loads_spec({spec_text(start="2026-13", end="2027-06")!r})
            print("ACCEPTED")
        except SpecError as exc:
            print("REFUSED", exc)
    """)
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("loads_spec did not return")
    assert proc.stdout.startswith("REFUSED"), proc.stderr[-300:]


def test_choice_without_choices_is_refused() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Status"\nkind = "choice"\n'))
    assert "columns[3] ('Status')" in message and "needs a non-empty 'choices' list" in message
    message = refused(spec_text('[[columns]]\nheader = "Status"\nkind = "choice"\nchoices = []\n'))
    assert "needs a non-empty 'choices' list" in message


def test_unknown_top_level_key_is_refused() -> None:
    assert "unknown key 'colour'" in refused(spec_text(top='colour = "blue"'))


def test_unknown_column_key_is_refused() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Notes"\nmultiline = true\n'))
    assert "columns[3]" in message and "unknown key 'multiline'" in message


def test_not_toml_is_refused() -> None:
    assert "not valid TOML" in refused('name = "x\n')


def test_missing_required_key_is_named() -> None:
    text = spec_text().replace('title = "Mini TOM"\n', "")
    assert "missing key 'title'" in refused(text)


def test_wrong_type_is_named() -> None:
    message = refused(spec_text('[[columns]]\nheader = "Notes"\nwidth = "wide"\n'))
    assert "key 'width' has the wrong type (str)" in message
    message = refused(spec_text("[cycle]\ndeadline_day = true\n"))
    assert "key 'deadline_day' has the wrong type (bool)" in message


def test_spec_without_id_column_is_refused() -> None:
    columns = COLUMNS.replace('role = "id"\n', "")
    assert 'one column needs role = "id"' in refused(spec_text(columns=columns, master=""))


def test_spec_without_rag_column_is_refused() -> None:
    columns = COLUMNS.replace('kind = "rag"\n', "").replace('role = "rag"\n', "")
    assert 'at least one column of kind "rag"' in refused(spec_text(columns=columns))


def test_master_row_with_unknown_column_is_refused() -> None:
    message = refused(spec_text('[[master]]\nID = "M02"\nActivity = "x"\nColour = "red"\n'))
    assert "master[1]" in message and "unknown column 'Colour'" in message


def test_master_row_value_outside_choices_is_refused() -> None:
    extra = '[[columns]]\nheader = "Lead"\nkind = "choice"\nchoices = ["DYW", "SDS"]\n' \
            '[[master]]\nID = "M02"\nActivity = "x"\nLead = "Council"\n'
    message = refused(spec_text(extra))
    assert "master[1]" in message and "'Lead' = 'Council' is not one of DYW, SDS" in message


def test_master_id_used_twice_is_refused() -> None:
    message = refused(spec_text('[[master]]\nID = "M01"\nActivity = "Again"\n'))
    assert "master[1]" in message and "'ID' = 'M01' is used twice" in message


@pytest.mark.parametrize("values", ['["R", "A"]', '["R", "A", "G", "X"]'])
def test_rag_values_must_be_r_a_g_and_optionally_b(values: str) -> None:
    assert "rag.values must hold R, A, G" in refused(spec_text(f"[rag]\nvalues = {values}\n"))


@pytest.mark.parametrize("table,expected", [
    ('rule = "best"', "rollup.rule 'best' is not one of score, worst, majority"),
    ("green = 0.3\nred = 0.6", "thresholds need 0 <= red <= green <= 1"),
    ("green = 1.5", "thresholds need 0 <= red <= green <= 1"),
    ('by = ["region"]', "rollup.by 'region' is not one of school, theme, lead"),
])
def test_bad_rollup_settings_are_refused(table: str, expected: str) -> None:
    assert expected in refused(spec_text(f"[rollup]\n{table}\n"))


def test_rollup_thresholds_are_settings() -> None:
    spec = loads_spec(spec_text('[rollup]\nrule = "worst"\ngreen = 0.9\nred = 0.2\nby = ["theme"]\n'))
    assert (spec.rollup.rule, spec.rollup.green, spec.rollup.red, spec.rollup.by) == ("worst", 0.9, 0.2,
                                                                                       ("theme",))


@pytest.mark.parametrize("table,expected", [
    ("[cycle]\ndeadline_day = 0", "cycle.deadline_day must be 1..31"),
    ("[cycle]\ndeadline_day = 32", "cycle.deadline_day must be 1..31"),
    ("[layout]\nfree_rows = -1", "layout.free_rows must be 0..5000"),
])
def test_bad_cycle_and_layout_are_refused(table: str, expected: str) -> None:
    assert expected in refused(spec_text(table + "\n"))
