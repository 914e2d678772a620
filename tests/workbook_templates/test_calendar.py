"""When and Target read against a session calendar: the forms staff write, and nothing guessed."""

from __future__ import annotations

from datetime import date

import pytest

from workbook_templates.calendar import DATE, NONE, RECURRING, UNKNOWN, Term, due_date, read_target, read_when
from workbook_templates.spec import SpecError, load_spec, loads_spec

SCOT = load_spec("scottish-tom")
ENGLAND = (Term("Aut1", date(2026, 9, 2), date(2026, 10, 23)),
           Term("Aut2", date(2026, 11, 2), date(2026, 12, 18)),
           Term("Sum2", date(2027, 6, 7), date(2027, 7, 21), ("Summer term 2",)))
MONTHS = SCOT.months


@pytest.mark.parametrize(("text", "kind", "on"), [
    ("Aug", DATE, date(2026, 8, 31)),
    ("September", DATE, date(2026, 9, 30)),
    ("Term 2", DATE, date(2026, 12, 22)),
    ("by 31 August", DATE, date(2026, 8, 31)),
    ("by end of September", DATE, date(2026, 9, 30)),
    ("Sept 2019 and July 2020", DATE, date(2020, 7, 31)),
    ("Monthly", RECURRING, None),
    ("Each term", RECURRING, None),
    ("Ongoing", RECURRING, None),
    ("", NONE, None),
    ("when we can", UNKNOWN, None),
    ("Term 9", UNKNOWN, None),
    ("Aug & sometime", UNKNOWN, None),  # one part unread: the whole is not guessed
])
def test_when_forms_on_the_scottish_calendar(text: str, kind: str, on: date | None) -> None:
    due = read_when(text, SCOT.terms, MONTHS)
    assert (due.kind, due.on) == (kind, on)


def test_half_terms_and_several_dates_are_due_by_the_last() -> None:
    due = read_when("Aut1 & Sum2", ENGLAND, MONTHS)
    assert (due.kind, due.on) == (DATE, date(2027, 7, 21))
    assert read_when("Summer term 2", ENGLAND, MONTHS).on == date(2027, 7, 21)
    assert read_when("Autumn 1", ENGLAND, MONTHS).on == date(2026, 10, 23)
    assert read_when("Aut1 & Sum2", (), MONTHS).kind == UNKNOWN  # no calendar, no guess


def test_target_is_a_date_only_where_it_says_by_a_date() -> None:
    assert read_target("TOM agreed and signed off by 31 August", SCOT.terms, MONTHS).on == date(2026, 8, 31)
    assert read_target("90% of S1-S3 registered", SCOT.terms, MONTHS).kind == NONE
    assert read_target("Sessions led by DYW", SCOT.terms, MONTHS).kind == NONE  # "by" a person
    assert read_target("Done by the 45th of Smarch", SCOT.terms, MONTHS).kind == UNKNOWN
    # the Target's date wins over the When's month
    assert due_date("Sep", "Calendar on the school website by end of September", SCOT.terms, MONTHS).on == \
        date(2026, 9, 30)
    assert due_date("Aug", None, SCOT.terms, MONTHS, due=date(2026, 9, 15)).on == date(2026, 9, 15)


def test_a_month_in_a_multi_year_session_needs_its_year() -> None:
    three_years = tuple(f"{y}-{m:02d}" for y in (2026, 2027, 2028) for m in range(1, 13))
    assert read_when("Sept", (), three_years).kind == UNKNOWN
    assert read_when("Sept 2027", (), three_years).on == date(2027, 9, 30)


def test_spec_calendar_exemptions_and_red_caps_round_trip_and_are_checked() -> None:
    text = SCOT.to_toml() + '\n[[exemptions]]\nschool = "JED"\nids = ["M08"]\nreason = "No parent council"\n'
    spec = loads_spec(text)
    assert spec.rollup.red_caps == "A" and spec.terms == SCOT.terms
    assert spec.opt_out_allowed("JED", "M08") == "No parent council"
    assert spec.opt_out_allowed("JED", "M09") is None and spec.opt_out_allowed("EYE", "M08") is None
    assert loads_spec(spec.to_toml()).exemptions == spec.exemptions
    with pytest.raises(SpecError, match="not a master row ID"):
        loads_spec(text.replace('ids = ["M08"]', 'ids = ["M99"]'))
    with pytest.raises(SpecError, match="a reason is needed"):
        loads_spec(text.replace('"No parent council"', '" "'))
    with pytest.raises(SpecError, match="red_caps"):
        loads_spec(SCOT.to_toml().replace('red_caps = "A"', 'red_caps = "R"'))
    with pytest.raises(SpecError, match="end is before start"):
        loads_spec(SCOT.to_toml().replace('end = "2026-10-09"', 'end = "2026-01-01"'))
    optional = loads_spec(SCOT.to_toml().replace('ID = "M09"', 'ID = "M09"\noptional = true'))
    assert optional.opt_out_allowed("KEL", "M09") == "optional for every school"
