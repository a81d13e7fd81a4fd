"""The adapter's mapping of user details to Keycloak's fields covers the domain's declaration."""

from __future__ import annotations

from lrs_keycloak.domain.users import DETAILS, UserDetails
from lrs_keycloak.keycloak.fields import ATTRIBUTE_FIELDS, TOP_LEVEL, details_of, representation
from lrs_keycloak.keycloak.users import _record


def test_every_declared_detail_has_exactly_one_place_in_keycloak() -> None:
    assert set(TOP_LEVEL) | set(ATTRIBUTE_FIELDS) == set(DETAILS)
    assert not set(TOP_LEVEL) & set(ATTRIBUTE_FIELDS)


def test_details_survive_the_trip_through_keycloaks_representation() -> None:
    details = UserDetails(
        title="Ms",
        given_name="Aoife",
        family_name="O'Brien",
        verification_provided="HR ref 12",
        email="aoife@example.ac.uk",
        telephone="01234 567890",
        staff_id="S-1",
    )
    rep = representation(details)
    attributes = rep["attributes"]
    record = _record(
        {
            "id": "1",
            "username": "aoife.obrien",
            "firstName": rep["firstName"],
            "lastName": rep["lastName"],
            "email": rep["email"],
            "enabled": True,
            "attributes": attributes,
        }
    )
    assert details_of(record) == details
