"""Every segment of an admin REST path is quoted, and an organisation is only ever looked up by
an id of the one organisation-id shape: ``x/../org``, ``org#2`` and ``org?x`` all reached the
group ``org`` through the URL, so "one open case per organisation" could be bypassed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.admin_permissions import reads
from lrs_keycloak.keycloak.contacts import OrganisationContacts
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.organisations import refresh_organisation
from lrs_keycloak.keycloak.users import UserDirectory, organisation_url
from lrs_keycloak.settings import config_dir
from tests.support.mocked_keycloak import ADMIN, SETTINGS, TOKEN_URL

CRAFTED = ["x/../anytown-college", "anytown-college#2", "anytown-college?x", "anytown-college/"]


def _gateway() -> KeycloakGateway:
    responses.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": "t", "expires_in": 300, "refresh_token": "r"},
    )
    return KeycloakGateway(SETTINGS)


def _admin_calls() -> list[str]:
    return [c.request.url or "" for c in responses.calls if c.request.url != TOKEN_URL]


@responses.activate
def test_an_organisation_is_read_from_its_own_group_path() -> None:
    gw = _gateway()
    responses.add(
        responses.GET,
        f"{ADMIN}/group-by-path/organisations/anytown-college",
        json={"id": "g1", "name": "anytown-college", "attributes": {}},
    )
    found = UserDirectory(gw).find_organisation("anytown-college")
    assert found is not None and found.group_id == "g1"
    assert _admin_calls() == [f"{ADMIN}/group-by-path/organisations/anytown-college"]


@pytest.mark.parametrize("org_id", [*CRAFTED, "", "Anytown-College", "a" * 64, "-x"])
@responses.activate
def test_an_id_that_is_not_an_organisation_id_finds_nothing_and_asks_keycloak_nothing(
    org_id: str,
) -> None:
    gw = _gateway()
    assert UserDirectory(gw).find_organisation(org_id) is None
    assert _admin_calls() == []


@pytest.mark.parametrize("org_id", CRAFTED)
@responses.activate
def test_no_organisation_is_created_under_an_id_that_is_not_an_organisation_id(
    org_id: str,
) -> None:
    gw = _gateway()
    with pytest.raises(ValueError, match="not an organisation id"):
        UserDirectory(gw).create_organisation(Organisation(org_id, "X", "college", frozenset()))
    assert _admin_calls() == []


def test_the_organisation_lookup_path_quotes_each_segment() -> None:
    # Defence in depth: even an id that slipped past the shape stays one segment.
    assert organisation_url("x/../org#2?y") == "/group-by-path/organisations/x%2F..%2Forg%232%3Fy"


@pytest.mark.parametrize("org_id", CRAFTED)
@responses.activate
def test_admin_permissions_are_not_refreshed_for_an_id_that_is_not_an_organisation_id(
    org_id: str,
) -> None:
    gw = _gateway()
    assert refresh_organisation(gw, load_policy(config_dir()), org_id) is False
    assert _admin_calls() == []


@responses.activate
def test_a_group_id_is_sent_to_keycloak_as_one_quoted_segment() -> None:
    gw = _gateway()
    responses.add(
        responses.GET, f"{ADMIN}/groups/a%2F..%2Fb%3Fc", json={"name": "n", "attributes": {}}
    )
    assert OrganisationContacts(gw).primary_contact("a/../b?c") is None
    responses.add(responses.DELETE, f"{ADMIN}/groups/a%2F..%2Fb%3Fc", status=204)
    UserDirectory(gw).delete_group("a/../b?c")
    assert _admin_calls() == [f"{ADMIN}/groups/a%2F..%2Fb%3Fc"] * 2


class _RecordingGateway:
    """Records the paths the admin-permission code asks for (ids chosen to need quoting)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def find_client(self, client_id: str) -> dict[str, Any]:
        return {"id": "client/../1"}

    def paged(self, path: str, params: Any = None, page: int = 100) -> Iterator[Any]:
        self.paths.append(path)
        return iter([])


def test_admin_permission_paths_quote_ids_read_from_keycloak() -> None:
    gw: Any = _RecordingGateway()
    policy = load_policy(config_dir())
    reads.super_user_ids(gw, policy)
    reads.super_users_by_org(gw, {"u/../3"}, {"anytown-college": "g/../2"})
    reads.group_member_ids(gw, "g/../2")
    assert gw.paths == [
        "/clients/client%2F..%2F1/roles/LRBSuperUser/users",
        "/users/u%2F..%2F3/groups",
        "/groups/g%2F..%2F2/members",
    ]
