"""School contacts in the spec (issue 13): staff work e-mail addresses, checked when the spec loads."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from workbook_templates.spec import Contact, SpecError, parse_spec, shipped_spec_path, spec_to_dict


def _spec(contacts: list[Any]) -> dict[str, Any]:
    data = tomllib.loads(shipped_spec_path("scottish-tom").read_text(encoding="utf-8"))
    data["schools"][0]["contacts"] = contacts
    return data


def test_contacts_load_and_round_trip_into_the_embedded_spec() -> None:
    spec = parse_spec(_spec([
        {"role": "DYW co-ordinator", "email": "dyw.bhs@borders.example.org"},
        {"role": "SDS adviser", "email": "a.adviser@sds.example.org", "name": "A. Adviser"}]))
    assert spec.schools[0].contacts == (Contact("DYW co-ordinator", "dyw.bhs@borders.example.org"),
                                        Contact("SDS adviser", "a.adviser@sds.example.org", "A. Adviser"))
    assert spec.schools[1].contacts == ()
    again = parse_spec(spec_to_dict(spec))
    assert again.schools == spec.schools


@pytest.mark.parametrize(("contacts", "message"), [
    ([{"role": "DYW co-ordinator", "email": "not-an-address"}], "'not-an-address' is not an e-mail address"),
    ([{"role": "SDS adviser", "email": "someone@gmail.com"}], "is a personal mailbox: give the staff"),
    ([{"role": "", "email": "dyw@borders.example.org"}], "role is empty"),
    ([{"role": "Pupil", "email": "dyw@borders.example.org", "phone": "0"}], "unknown key 'phone'"),
    (["dyw@borders.example.org"], "must be a table with role and email"),
])
def test_a_bad_contact_is_refused_naming_the_key(contacts: list[Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(_spec(contacts), "borders.toml")
    assert "borders.toml: schools[0]: contacts[0]" in str(caught.value) and message in str(caught.value)
