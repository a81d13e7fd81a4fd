"""The extension's read of an organisation's members (docs/adr/0020), against the live Keycloak.

``GET /realms/{realm}/lrs/organisations/{groupId}/members``: a page of members with the brief
fields, the attributes named and their roles of one client, in one request. It must say what
Keycloak's own listings say, and answer only callers the realm's admin permissions let view the
group's members: no token or a bad one 401, a person who may not view them 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import (
    LRS_CLIENT,
    MEMBER_ATTRIBUTES,
    MEMBERS_RESOURCE,
    OrgGroup,
    UserDirectory,
)
from lrs_keycloak.settings import keycloak_settings
from tests.support.oidc import console_token

from .conftest import gateway_for

PASSWORD = "a long enough passphrase 42"
ORG_A = Organisation("alder-college", "Alder College", "college", frozenset({"plr"}))
ORG_B = Organisation("birch-awards", "Birch Awards", "awarding-body", frozenset({"awarding-body"}))
PEOPLE = {
    "sue.alder": (ORG_A, ["LRBSuperUser"]),
    "pat.alder": (ORG_A, ["LRBOnlineUser", "LRBBatchUser"]),
    "una.alder": (ORG_A, []),
    "sam.birch": (ORG_B, ["LRBSuperUser"]),
}


@dataclass
class Scene:
    realm: str
    gw: KeycloakGateway
    policy: RealmPolicy
    groups: dict[str, str]
    parent: str


@pytest.fixture(scope="module")
def scene(realm_name: str, policy: RealmPolicy) -> Scene:
    gw = gateway_for(realm_name)
    apply(gw, plan(gw, policy, [ORG_A, ORG_B]))
    client = gw.find_client(LRS_CLIENT)
    assert client is not None
    roles = {r["name"]: r for r in gw.list_client_roles(client["id"])}
    for username, (org, granted) in PEOPLE.items():
        first, last = username.split(".")
        attributes = {"title": ["Ms"], "verificationProvided": ["integration test"]}
        user_id = gw.create(
            "/users",
            {
                "username": username,
                "firstName": first.title(),
                "lastName": last.title(),
                "email": f"{username}@example.org",
                "enabled": True,
                "attributes": attributes,
                "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
                "groups": [f"/{ORGANISATIONS_GROUP}/{org.id}"],
            },
        )
        if granted:
            gw.call(
                "POST",
                f"/users/{user_id}/role-mappings/clients/{client['id']}",
                [{"id": roles[r]["id"], "name": r} for r in granted],
            )
    apply(gw, plan(gw, policy, [ORG_A, ORG_B]))  # the super users' console permissions
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    groups = {g["name"]: g["id"] for g in gw.list_children(parent["id"])}
    return Scene(realm_name, gw, policy, groups, parent["id"])


def _get(scene: Scene, group_id: str, token: str | None, **params: Any) -> requests.Response:
    path = MEMBERS_RESOURCE.format(realm=scene.realm, group=group_id)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(
        f"{keycloak_settings().url.rstrip('/')}/{path}",
        params={"client": LRS_CLIENT, **params},
        headers=headers,
        timeout=30,
    )


def _admin_token() -> str:
    """A token for the credentials the gateway uses (the admin, or the app's service account)."""
    settings = keycloak_settings()
    grant = (
        {"grant_type": "client_credentials", "client_secret": settings.client_secret}
        if settings.client_secret
        else {
            "grant_type": "password",
            "username": settings.username,
            "password": settings.password,
        }
    )
    answer = requests.post(
        f"{settings.url.rstrip('/')}/realms/{settings.admin_realm}/protocol/openid-connect/token",
        data={"client_id": settings.client_id, **grant},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _org(scene: Scene, org: Organisation) -> OrgGroup:
    return OrgGroup(scene.groups[org.id], org)


def test_members_read_in_one_request_say_what_keycloaks_own_listings_say(scene: Scene) -> None:
    directory = UserDirectory(scene.gw)
    roles = scene.policy.roles.names
    group = _org(scene, ORG_A)
    listed = {u.id: u for u in directory.members(group, roles)}
    streamed = {u.id: u for u in directory.stream_members(group, roles)}
    assert listed.keys() == streamed.keys()
    assert {u.username for u in streamed.values()} == {"sue.alder", "pat.alder", "una.alder"}
    for user_id, user in streamed.items():
        expected = listed[user_id]
        assert user.roles == expected.roles
        assert user.attributes == {
            k: v for k, v in expected.attributes.items() if k in MEMBER_ATTRIBUTES
        }
        assert (user.enabled, user.locked, user.created_ms, user.email) == (
            expected.enabled,
            expected.locked,
            expected.created_ms,
            expected.email,
        )
    pat = next(u for u in streamed.values() if u.username == "pat.alder")
    assert pat.roles == {"LRBOnlineUser", "LRBBatchUser"}
    assert pat.attributes["verificationProvided"] == "integration test"


def test_a_page_is_first_and_max_of_the_members_in_keycloaks_order(scene: Scene) -> None:
    token = _admin_token()
    group = scene.groups[ORG_A.id]
    whole = _get(scene, group, token, max=10).json()
    pages = [_get(scene, group, token, first=i, max=1).json() for i in range(4)]
    assert [p[0]["username"] for p in pages[:3]] == [u["username"] for u in whole]
    assert pages[3] == []


def test_no_token_or_a_forged_one_is_refused_with_401(scene: Scene) -> None:
    group = scene.groups[ORG_A.id]
    assert _get(scene, group, None).status_code == 401
    assert _get(scene, group, "not.a.token").status_code == 401


def test_a_plain_member_is_refused_with_403(scene: Scene) -> None:
    token = console_token(scene.realm, "pat.alder", PASSWORD)
    assert _get(scene, scene.groups[ORG_A.id], token).status_code == 403


def test_a_super_user_reads_their_organisation_and_is_refused_another_with_403(
    scene: Scene,
) -> None:
    token = console_token(scene.realm, "sue.alder", PASSWORD)
    own = _get(scene, scene.groups[ORG_A.id], token)
    assert own.status_code == 200, own.text
    assert {u["username"] for u in own.json()} == {"sue.alder", "pat.alder", "una.alder"}
    assert _get(scene, scene.groups[ORG_B.id], token).status_code == 403


def test_a_bad_page_is_refused_with_400_naming_the_field(scene: Scene) -> None:
    token = _admin_token()
    answer = _get(scene, scene.groups[ORG_A.id], token, max=0)
    assert answer.status_code == 400
    assert answer.json()["field"] == "max"


def test_a_group_that_is_not_an_organisation_is_not_found(scene: Scene) -> None:
    token = _admin_token()
    assert _get(scene, scene.parent, token).status_code == 404
    assert _get(scene, "no-such-group", token).status_code == 404
