"""Properties of the New Super User Form (guide §10.2) as the help desk enters it: a JSON body,
or a form file the CLI reads with YAML. Whatever it holds, the answer is a RuleViolation naming
the form's fields, never an exception that becomes a 500 or a traceback."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.generic_names import default_policy
from lrs_keycloak.domain.recovery import (
    FORM_REQUIRED_FIELDS,
    NewSuperUserForm,
    nominee_details,
    validate_form,
)
from lrs_keycloak.domain.users import validate_details
from tests.unit.properties.strategies import (
    HEAVY_PROPERTY,
    PROPERTY,
    emails,
    json_values,
    names,
    telephones,
    yaml_values,
)

TODAY = date(2026, 11, 30)
FORM_FIELDS = {f.name for f in dataclasses.fields(NewSuperUserForm)}
POLICY = default_policy()
GOOD: dict[str, Any] = {
    "organisation_id": "anytown-college",
    "nominee_title": "Ms",
    "nominee_given_name": "Ada",
    "nominee_family_name": "Lovelace",
    "nominee_email": "ada@anytown.ac.uk",
    "nominee_telephone": "01632 960 123",
    "manager_name": "Grace Hopper",
    "manager_job_title": "Principal",
    "manager_email": "principal@anytown.ac.uk",
    "manager_signed_agreement": True,
    "form_reference": "NSU-2026-001",
    "received_on": "2026-11-29",
}


def _named(violations: list[Violation] | tuple[Violation, ...]) -> bool:
    return all(v.field in FORM_FIELDS and v.code and v.message for v in violations)


def _answer(data: dict[str, Any]) -> None:
    """What recording the form does with it: read it, then check it."""
    try:
        form = NewSuperUserForm.from_dict(data)
    except RuleViolation as refused:
        assert _named(refused.violations)
        return
    errors, warnings = validate_form(form, TODAY)
    assert _named(errors) and _named(warnings)


#: For the properties that once found a bug (fixed now): fewer examples, no shrinking.
FOUND_BUG = settings(PROPERTY, max_examples=50, phases=[Phase.explicit, Phase.generate])
_fields = st.sampled_from([*FORM_REQUIRED_FIELDS, "nominee_staff_id", "make_primary_contact"])


@HEAVY_PROPERTY
@given(st.dictionaries(_fields | st.text(max_size=6), json_values, max_size=14))
def test_any_json_form_is_answered_with_refusals_naming_its_fields(data: dict[str, Any]) -> None:
    _answer(json.loads(json.dumps(data)))


@PROPERTY
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "organisation_id": st.text(max_size=70),
            "nominee_given_name": names,
            "nominee_family_name": names,
            "nominee_email": emails,
            "manager_email": emails,
            "nominee_telephone": telephones,
            "nominee_staff_id": st.none() | st.text(max_size=70),
            "received_on": st.text(max_size=12) | st.dates().map(str),
            "make_primary_contact": st.booleans() | json_values,
        },
    )
)
def test_a_form_with_any_of_its_answers_changed_is_answered_with_refusals(
    changes: dict[str, Any],
) -> None:
    _answer({**GOOD, **changes})


@HEAVY_PROPERTY
@given(st.dictionaries(_fields, yaml_values, max_size=6).filter(lambda d: "received_on" not in d))
def test_a_yaml_form_file_is_answered_with_refusals_naming_its_fields(
    changes: dict[str, Any],
) -> None:
    # The CLI reads form files with yaml.safe_load: values may be dates, bytes, numbers...
    _answer({**GOOD, **changes})


@FOUND_BUG
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)))
def test_a_form_file_whose_date_received_has_a_time_is_answered_not_crashed(
    received: datetime,
) -> None:
    _answer({**GOOD, "received_on": received})


@FOUND_BUG
@given(st.sampled_from(["x/../anytown-college", "anytown-college#2", "anytown-college?x"]))
def test_a_form_for_an_id_that_is_not_an_organisation_id_is_refused(org_id: str) -> None:
    errors, _ = validate_form(
        NewSuperUserForm.from_dict({**GOOD, "organisation_id": org_id}), TODAY
    )
    assert "organisation_id" in {v.field for v in errors}


@FOUND_BUG
@given(telephones)
@example("01632 960 12³")  # a superscript digit
@example("01632+960123")  # '+' after the start
def test_a_telephone_number_the_form_accepts_is_accepted_for_the_account(telephone: str) -> None:
    form = NewSuperUserForm.from_dict({**GOOD, "nominee_telephone": telephone})
    errors, _ = validate_form(form, TODAY)
    if "nominee_telephone" not in {v.field for v in errors} and telephone.strip():
        account_errors, _ = validate_details(nominee_details(form), policy=POLICY)
        assert "telephone" not in {v.field for v in account_errors}
