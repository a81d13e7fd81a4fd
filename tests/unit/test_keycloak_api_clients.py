"""The integration client as Keycloak is asked to make it (docs/adr/0013): confidential, the
client-credentials grant only, no roles in its tokens, marked with its organisation."""

from __future__ import annotations

import pytest

from lrs_keycloak.keycloak.api_clients import ORGANISATION_ATTRIBUTE, _record, representation


def test_the_client_has_the_client_credentials_grant_only() -> None:
    made = representation("lrs-api-anytown-college", "anytown-college", "d")
    assert made["serviceAccountsEnabled"] and not made["publicClient"]
    assert not made["standardFlowEnabled"] and not made["implicitFlowEnabled"]
    assert not made["directAccessGrantsEnabled"] and not made["fullScopeAllowed"]
    assert made["redirectUris"] == [] and made["webOrigins"] == []
    assert made["attributes"][ORGANISATION_ATTRIBUTE] == "anytown-college"


def test_a_client_as_made_reads_back_as_an_integration() -> None:
    made = representation("lrs-api-anytown-college", "anytown-college", "d")
    found = _record({**made, "id": "c-1"})
    assert found.organisation_id == "anytown-college"
    assert found.enabled and found.service_account_only


@pytest.mark.parametrize(
    "change",
    [
        {"standardFlowEnabled": True},
        {"directAccessGrantsEnabled": True},
        {"implicitFlowEnabled": True},
        {"publicClient": True},
        {"serviceAccountsEnabled": False},
    ],
)
def test_a_client_given_another_grant_is_no_longer_service_account_only(
    change: dict[str, object],
) -> None:
    made = representation("lrs-api-anytown-college", "anytown-college", "d")
    assert not _record({**made, **change, "id": "c-1"}).service_account_only


def test_a_device_grant_turned_on_is_another_grant() -> None:
    made = representation("lrs-api-anytown-college", "anytown-college", "d")
    made["attributes"]["oauth2.device.authorization.grant.enabled"] = "true"
    assert not _record({**made, "id": "c-1"}).service_account_only
