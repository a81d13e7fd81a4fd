"""The gateway's error boundary: Keycloak's HTTP answers become the project's own errors."""

from __future__ import annotations

from dataclasses import replace

import pytest
import responses

from lrs_keycloak.keycloak.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    KeycloakAuthFailed,
    KeycloakUnavailable,
    NotFound,
    Rejected,
)
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from tests.support.mocked_keycloak import SETTINGS, TOKEN_URL, URL


def _token() -> None:
    responses.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": "t", "expires_in": 300, "refresh_token": "r"},
    )


@responses.activate
def test_a_profile_validation_refusal_keeps_the_field_and_message() -> None:
    _token()
    responses.add(
        responses.POST,
        f"{URL}/admin/realms/lrs/users",
        status=400,
        json={
            "field": "username",
            "errorMessage": "lrsUsernameNotGenerated",
            "params": ["username", "ann.lee"],
        },
    )
    gw = KeycloakGateway(SETTINGS)
    with pytest.raises(Rejected) as refused:
        gw.call("POST", "/users", {"username": "guest"})
    assert refused.value.status == 400
    assert refused.value.details[0]["field"] == "username"
    assert refused.value.details[0]["message"] == "lrsUsernameNotGenerated"


@responses.activate
def test_several_validation_errors_are_all_kept() -> None:
    _token()
    responses.add(
        responses.POST,
        f"{URL}/admin/realms/lrs/users",
        status=400,
        json={
            "errors": [
                {"field": "username", "errorMessage": "a"},
                {"field": "verificationProvided", "errorMessage": "b"},
            ]
        },
    )
    with pytest.raises(Rejected) as refused:
        KeycloakGateway(SETTINGS).call("POST", "/users", {})
    assert [d["field"] for d in refused.value.details] == ["username", "verificationProvided"]


@pytest.mark.parametrize(("status", "error"), [(403, Forbidden), (404, NotFound), (409, Conflict)])
@responses.activate
def test_http_codes_map_to_meanings(status: int, error: type[Exception]) -> None:
    _token()
    responses.add(responses.GET, f"{URL}/admin/realms/lrs/groups/x", status=status, json={})
    with pytest.raises(error):
        KeycloakGateway(SETTINGS).call("GET", "/groups/x")


@responses.activate
def test_a_missing_realm_reads_as_none() -> None:
    _token()
    responses.add(responses.GET, f"{URL}/admin/realms/lrs", status=404, json={"error": "x"})
    assert KeycloakGateway(SETTINGS).get_realm() is None


@responses.activate
def test_refused_admin_credentials_say_which_realm_and_client() -> None:
    responses.add(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_grant"})
    with pytest.raises(KeycloakAuthFailed) as refused:
        KeycloakGateway(SETTINGS)
    assert "realm master" in str(refused.value)


def test_an_unreachable_keycloak_says_where_it_looked() -> None:
    settings = replace(SETTINGS, url="http://127.0.0.1:9")
    with pytest.raises(KeycloakUnavailable) as refused:
        KeycloakGateway(settings)
    assert "127.0.0.1:9" in str(refused.value)


@responses.activate
def test_paged_reads_every_page_and_stops_at_a_short_one() -> None:
    _token()
    url = f"{URL}/admin/realms/lrs/groups"
    responses.add(responses.GET, url, json=[{"n": i} for i in range(2)])
    responses.add(responses.GET, url, json=[{"n": 2}])
    gw = KeycloakGateway(SETTINGS)
    assert [g["n"] for g in gw.paged("/groups", page=2)] == [0, 1, 2]
    assert len(responses.calls) == 3  # the token, then two pages


@pytest.mark.parametrize(("status", "error"), [(403, Forbidden), (404, NotFound), (409, Conflict)])
@responses.activate
def test_a_streamed_listing_maps_http_codes_as_a_call_does(
    status: int, error: type[Exception]
) -> None:
    _token()
    responses.add(responses.GET, f"{URL}/realms/lrs/lrs/x", status=status, json={})
    with pytest.raises(error):
        list(KeycloakGateway(SETTINGS).streamed("realms/lrs/lrs/x"))


@responses.activate
def test_a_streamed_listing_that_is_not_json_is_a_gateway_error() -> None:
    _token()
    responses.add(responses.GET, f"{URL}/realms/lrs/lrs/x", status=200, body=b'[{"id": "a"}, {')
    with pytest.raises(GatewayError, match="expected a list"):
        list(KeycloakGateway(SETTINGS).streamed("realms/lrs/lrs/x"))
