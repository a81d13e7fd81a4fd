"""Organisation-scoped administration, checked against the live Keycloak as the console does it.

Two organisations in a throwaway realm; their super users and a plain member log in through the
normal browser login of the realm's `security-admin-console` client (HTTP only: login form, the
User Agreement accepted, authorization code with PKCE) and call the admin REST API with their
own tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ADMIN_PERMISSION_PREFIX as PREFIX
from lrs_keycloak.keycloak.names import (
    MAP_ROLES_PERMISSION,
    ORGANISATIONS_GROUP,
    SAME_ORGANISATION_POLICY,
    SAME_ORGANISATION_POLICY_TYPE,
    SUPER_USER_ADMIN_ROLES,
)
from lrs_keycloak.keycloak.sync import Plan, apply
from lrs_keycloak.keycloak.sync import plan as sync_plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.enforcement import Enforcer
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.recovery import RecoveryStore
from tests.support.oidc import console_token

from .conftest import gateway_for

PASSWORD = "a long enough passphrase 42"
ORG_A = Organisation("alder-college", "Alder College", "college", frozenset({"plr"}))
ORG_B = Organisation("birch-awards", "Birch Awards", "awarding-body", frozenset({"awarding-body"}))


def plan(
    gw: KeycloakGateway, policy: RealmPolicy, organisations: list[Organisation] | None
) -> Plan:
    """What `sync` plans (admin permissions included)."""
    return sync_plan(gw, policy, organisations)


def sync(gw: KeycloakGateway, policy: RealmPolicy, organisations: list[Organisation]) -> None:
    """Run sync; one apply must leave nothing to do."""
    apply(gw, plan(gw, policy, organisations))
    left = plan(gw, policy, organisations)
    assert left.empty, left.describe()


def console_login(realm: str, username: str, password: str = PASSWORD) -> str:
    """Log in to the realm's admin console as a person would (agreement accepted)."""
    return console_token(realm, username, password)


@dataclass
class ConsoleUser:
    """Someone logged in to the admin console, calling the admin REST API with their token."""

    realm: str
    token: str

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method,
            # The Keycloak the gateway talks to (LRS_KEYCLOAK_URL), as tests/support/oidc does.
            f"{keycloak_settings().url.rstrip('/')}/admin/realms/{self.realm}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def usernames(self, path: str = "/users", **params: Any) -> set[str]:
        answer = self.call("GET", path, **params)
        assert answer.status_code == 200, answer.text
        return {u["username"] for u in answer.json()}


@dataclass
class Scene:
    realm: str
    gw: KeycloakGateway
    policy: RealmPolicy
    organisations: list[Organisation]
    groups: dict[str, str]
    ids: dict[str, str]
    lrs_client: str
    roles: dict[str, dict[str, Any]]
    sue: ConsoleUser  # super user of A
    sam: ConsoleUser  # super user of B
    pat: ConsoleUser  # plain member of A

    def role(self, name: str) -> list[dict[str, Any]]:
        return [{"id": self.roles[name]["id"], "name": name}]

    def sync(self) -> KeycloakGateway:
        gw = gateway_for(self.realm)
        sync(gw, self.policy, self.organisations)
        return gw


PEOPLE = {
    "sue.alder": (ORG_A, ["LRBSuperUser"]),
    "pat.alder": (ORG_A, ["LRBOnlineUser"]),
    "una.alder": (ORG_A, ["LRBOnlineUser"]),
    "sam.birch": (ORG_B, ["LRBSuperUser"]),
    "ulf.birch": (ORG_B, ["LRBOnlineUser"]),
}


def _person(username: str, org: Organisation) -> dict[str, Any]:
    first, last = username.split(".")
    return {
        "username": username,
        "firstName": first.title(),
        "lastName": last.title(),
        "email": f"{username}@example.org",
        "enabled": True,
        "attributes": {"title": ["Ms"], "verificationProvided": ["integration test"]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        "groups": [f"/{ORGANISATIONS_GROUP}/{org.id}"],
    }


@pytest.fixture(scope="module")
def scene(realm_name: str, policy: RealmPolicy) -> Scene:
    organisations = [ORG_A, ORG_B]
    gw = gateway_for(realm_name)
    sync(gw, policy, organisations)
    client = gw.find_client("lrs-portal")
    assert client is not None
    roles = {r["name"]: r for r in gw.list_client_roles(client["id"])}
    ids: dict[str, str] = {}
    for username, (org, granted) in PEOPLE.items():
        gw.call("POST", "/users", _person(username, org))
        (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
        ids[username] = user["id"]
        gw.call(
            "POST",
            f"/users/{user['id']}/role-mappings/clients/{client['id']}",
            [{"id": roles[r]["id"], "name": r} for r in granted],
        )
    sync(gw, policy, organisations)  # the members are known now
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    groups = {g["name"]: g["id"] for g in gw.list_children(parent["id"])}
    return Scene(
        realm_name,
        gw,
        policy,
        organisations,
        groups,
        ids,
        client["id"],
        roles,
        ConsoleUser(realm_name, console_login(realm_name, "sue.alder")),
        ConsoleUser(realm_name, console_login(realm_name, "sam.birch")),
        ConsoleUser(realm_name, console_login(realm_name, "pat.alder")),
    )


def _users_of(org: Organisation) -> set[str]:
    return {name for name, (o, _) in PEOPLE.items() if o == org}


def test_super_user_lists_only_the_users_of_their_organisation(scene: Scene) -> None:
    assert scene.sue.usernames(max=100) >= _users_of(ORG_A)
    assert not scene.sue.usernames(max=100) & _users_of(ORG_B)
    assert scene.sam.usernames(max=100) == _users_of(ORG_B)
    assert scene.sam.usernames(briefRepresentation="true", first=0, max=100) == _users_of(ORG_B)
    assert scene.sam.call("GET", "/users/count").json() == len(_users_of(ORG_B))


def test_super_user_lists_the_members_of_their_own_group_only(scene: Scene) -> None:
    a, b = scene.groups[ORG_A.id], scene.groups[ORG_B.id]
    assert scene.sue.usernames(f"/groups/{a}/members") >= _users_of(ORG_A)
    assert scene.sue.call("GET", f"/groups/{a}").status_code == 200
    assert scene.sue.call("GET", f"/groups/{b}/members").status_code == 403
    assert scene.sue.call("GET", f"/groups/{b}").status_code == 403


def test_super_user_cannot_find_open_or_change_a_user_of_another_organisation(
    scene: Scene,
) -> None:
    ulf = scene.ids["ulf.birch"]
    sue = scene.sue
    assert sue.usernames(search="ulf") == set()
    assert sue.usernames(username="ulf.birch", exact="true") == set()
    assert sue.call("GET", f"/users/{ulf}").status_code == 403
    assert sue.call("GET", f"/users/{ulf}/groups").status_code == 403
    assert sue.call("PUT", f"/users/{ulf}", {"firstName": "Changed"}).status_code == 403
    assert sue.call("PUT", f"/users/{ulf}", {"enabled": False}).status_code == 403
    reset = {"type": "password", "value": "another long passphrase 1", "temporary": True}
    assert sue.call("PUT", f"/users/{ulf}/reset-password", reset).status_code == 403
    mapping = f"/users/{ulf}/role-mappings/clients/{scene.lrs_client}"
    assert sue.call("POST", mapping, scene.role("LRBBatchUser")).status_code == 403
    assert sue.call("DELETE", mapping, scene.role("LRBOnlineUser")).status_code == 403
    assert sue.call("DELETE", f"/users/{ulf}").status_code == 403
    assert scene.gw.call("GET", f"/users/{ulf}")["firstName"] == "Ulf"


def test_super_user_manages_a_user_of_their_organisation(scene: Scene) -> None:
    una = scene.ids["una.alder"]
    answer = scene.sue.call("PUT", f"/users/{una}", {"lastName": "Alder-Smith"})
    assert answer.status_code == 204, answer.text
    assert scene.gw.call("GET", f"/users/{una}")["lastName"] == "Alder-Smith"


def test_super_user_maps_only_roles_their_organisation_is_entitled_to(scene: Scene) -> None:
    mapping = f"/users/{scene.ids['una.alder']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", mapping, scene.role("LRBBatchUser")).status_code == 204
    assert scene.sue.call("POST", mapping, scene.role("LearnerRecord")).status_code == 204  # plr
    assert scene.sue.call("POST", mapping, scene.role("AwardingBodyUser")).status_code == 403
    assert scene.sue.call("POST", mapping, scene.role("LearnerPlanUser")).status_code == 403
    birch = f"/users/{scene.ids['ulf.birch']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sam.call("POST", birch, scene.role("AwardingBodyUser")).status_code == 204
    assert scene.sam.call("POST", birch, scene.role("LearnerRecord")).status_code == 403
    held = {r["name"] for r in scene.gw.call("GET", mapping)}
    assert "AwardingBodyUser" not in held and "LearnerRecord" in held


def test_super_user_cannot_map_realm_management_roles(scene: Scene) -> None:
    management = scene.gw.find_client("realm-management")
    assert management is not None
    roles = {r["name"]: r for r in scene.gw.list_client_roles(management["id"])}
    for target in ("una.alder", "sue.alder"):
        path = f"/users/{scene.ids[target]}/role-mappings/clients/{management['id']}"
        for name in ("manage-users", "view-users", "realm-admin", "query-clients"):
            rep = [{"id": roles[name]["id"], "name": name}]
            assert scene.sue.call("POST", path, rep).status_code == 403, (target, name)


def test_super_user_cannot_make_themselves_an_admin_of_another_organisation(
    scene: Scene,
) -> None:
    sue, b = scene.ids["sue.alder"], scene.groups[ORG_B.id]
    assert scene.sue.call("PUT", f"/users/{sue}/groups/{b}").status_code == 403
    assert scene.sue.call("PUT", f"/users/{scene.ids['una.alder']}/groups/{b}").status_code == 403
    ulf = f"/users/{scene.ids['ulf.birch']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", ulf, scene.role("LRBSuperUser")).status_code == 403
    groups = {g["path"] for g in scene.gw.call("GET", f"/users/{sue}/groups")}
    assert groups == {f"/{ORGANISATIONS_GROUP}/{ORG_A.id}"}


def test_super_user_creates_users_only_directly_into_their_organisation(scene: Scene) -> None:
    person = _person("nia.alder", ORG_A)
    del person["credentials"]
    assert scene.sue.call("POST", "/users", person).status_code == 201
    outside = {**person, "username": "noa.alder", "email": "noa@example.org"}
    assert scene.sue.call("POST", "/users", {**outside, "groups": []}).status_code == 403
    into_b = {**outside, "groups": [f"/{ORGANISATIONS_GROUP}/{ORG_B.id}"]}
    assert scene.sue.call("POST", "/users", into_b).status_code == 403
    assert scene.gw.call("GET", "/users", params={"username": "noa.alder", "exact": "true"}) == []


def test_member_created_in_the_console_gets_an_entitled_role_at_once(scene: Scene) -> None:
    person = _person("ivy.alder", ORG_A)
    del person["credentials"]
    # Keycloak ignores clientRoles on create; roles are mapped afterwards, as the console does.
    person["clientRoles"] = {"lrs-portal": ["LRBOnlineUser"]}
    assert scene.sue.call("POST", "/users", person).status_code == 201
    (ivy,) = scene.sue.call("GET", "/users", username="ivy.alder", exact="true").json()
    mapping = f"/users/{ivy['id']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.gw.call("GET", mapping) == []
    # No sync and no enforcer in between: the extension's policy decides at the request.
    assert scene.sue.call("POST", mapping, scene.role("LRBOnlineUser")).status_code == 204
    assert scene.sue.call("POST", mapping, scene.role("LearnerRecord")).status_code == 204  # plr
    assert scene.sue.call("POST", mapping, scene.role("AwardingBodyUser")).status_code == 403
    assert {r["name"] for r in scene.gw.call("GET", mapping)} == {"LRBOnlineUser", "LearnerRecord"}
    # The other organisation's super user can neither map nor see the new member.
    assert scene.sam.call("POST", mapping, scene.role("LRBBatchUser")).status_code == 403
    assert "ivy.alder" not in scene.sam.usernames(max=100)


def test_member_created_in_another_organisation_is_never_mappable_by_a_super_user_of_this_one(
    scene: Scene,
) -> None:
    person = _person("bo.birch", ORG_B)
    del person["credentials"]
    assert scene.sam.call("POST", "/users", person).status_code == 201
    (bo,) = scene.sam.call("GET", "/users", username="bo.birch", exact="true").json()
    mapping = f"/users/{bo['id']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", mapping, scene.role("LRBOnlineUser")).status_code == 403
    assert scene.sue.call("GET", f"/users/{bo['id']}").status_code == 403
    assert scene.sam.call("POST", mapping, scene.role("AwardingBodyUser")).status_code == 204
    assert {r["name"] for r in scene.gw.call("GET", mapping)} == {"AwardingBodyUser"}
    scene.gw.call("DELETE", f"/users/{bo['id']}")  # B's listing stays as PEOPLE says


def test_a_member_moved_out_of_the_organisation_is_no_longer_mappable_at_once(
    scene: Scene,
) -> None:
    scene.gw.call("POST", "/users", _person("kit.alder", ORG_A))
    (kit,) = scene.gw.call("GET", "/users", params={"username": "kit.alder", "exact": "true"})
    mapping = f"/users/{kit['id']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", mapping, scene.role("LRBOnlineUser")).status_code == 204
    scene.gw.call("DELETE", f"/users/{kit['id']}/groups/{scene.groups[ORG_A.id]}")
    scene.gw.call("PUT", f"/users/{kit['id']}/groups/{scene.groups[ORG_B.id]}")
    assert scene.sue.call("POST", mapping, scene.role("LRBBatchUser")).status_code == 403
    assert scene.sue.call("DELETE", mapping, scene.role("LRBOnlineUser")).status_code == 403
    scene.gw.call("DELETE", f"/users/{kit['id']}")  # B's listing stays as PEOPLE says


def test_map_roles_is_one_permission_on_all_users_with_the_extensions_policy(
    scene: Scene,
) -> None:
    objects = _our_objects(scene.gw)
    assert not [name for name in objects if name.endswith("-user-roles")]
    same_org = objects[SAME_ORGANISATION_POLICY]
    assert same_org["type"] == SAME_ORGANISATION_POLICY_TYPE
    assert same_org["config"]["organisationsGroup"] == ORGANISATIONS_GROUP
    assert objects[MAP_ROLES_PERMISSION]["type"] == "scope"


def test_the_extensions_policy_refuses_a_config_without_its_fields(scene: Scene) -> None:
    client = scene.gw.find_client("admin-permissions")
    assert client is not None
    path = f"/clients/{client['id']}/authz/resource-server/policy/{SAME_ORGANISATION_POLICY_TYPE}"
    body = {"name": "x-same-org", "type": SAME_ORGANISATION_POLICY_TYPE, "config": {"role": "r"}}
    answer = scene.gw.call("POST", path, body, expected=(400,))
    assert "config.clientId is required" in str(answer)
    assert "x-same-org" not in _our_objects(scene.gw) and scene.gw.call(
        "GET", path.rsplit("/", 1)[0], params={"name": "x-same-org"}
    ) in ([], None)


def _enforcer_from_now(scene: Scene, tmp_path: Path) -> Enforcer:
    """The companion app's enforcer, its cursor set at this moment."""
    engine = make_engine(f"sqlite:///{tmp_path / 'enforcer.sqlite'}")
    enforcer = Enforcer(
        UserDirectory(scene.gw),
        scene.policy,
        AuditLog(engine),
        EnforcementStore(engine),
        RecoveryStore(engine),
    )
    enforcer.poll()
    time.sleep(0.05)
    return enforcer


def test_the_enforcer_seeing_a_member_created_in_the_console_leaves_sync_nothing_to_write(
    scene: Scene, tmp_path: Path
) -> None:
    enforcer = _enforcer_from_now(scene, tmp_path)
    person = _person("jay.alder", ORG_A)
    del person["credentials"]
    assert scene.sue.call("POST", "/users", person).status_code == 201
    (jay,) = scene.sue.call("GET", "/users", username="jay.alder", exact="true").json()
    mapping = f"/users/{jay['id']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", mapping, scene.role("LRBOnlineUser")).status_code == 204
    enforcer.poll()  # what the webhook triggers within a fraction of a second
    birch = f"/users/{scene.ids['ulf.birch']}/role-mappings/clients/{scene.lrs_client}"
    assert scene.sue.call("POST", birch, scene.role("LRBBatchUser")).status_code == 403
    assert plan(scene.gw, scene.policy, scene.organisations).empty  # sync agrees: no writes


def test_a_super_user_demoted_loses_the_console_once_the_enforcer_has_seen_it(
    scene: Scene, tmp_path: Path
) -> None:
    enforcer = _enforcer_from_now(scene, tmp_path)
    scene.gw.call("POST", "/users", _person("zoe.alder", ORG_A))
    (zoe,) = scene.gw.call("GET", "/users", params={"username": "zoe.alder", "exact": "true"})
    mapping = f"/users/{zoe['id']}/role-mappings/clients/{scene.lrs_client}"
    scene.gw.call("POST", mapping, scene.role("LRBSuperUser"))
    enforcer.poll()  # a new super user may administer at once, without waiting for sync
    console = ConsoleUser(scene.realm, console_login(scene.realm, "zoe.alder"))
    assert console.usernames(max=100) >= _users_of(ORG_A)
    scene.gw.call("DELETE", mapping, scene.role("LRBSuperUser"))
    enforcer.poll()
    # The same token: without LRBSuperUser (and its query-users) the console lists nobody.
    assert console.call("GET", "/users", max=100).status_code == 403
    assert scene.sue.usernames(max=100) >= _users_of(ORG_A)
    assert plan(scene.gw, scene.policy, scene.organisations).empty


def test_plain_member_of_an_organisation_can_do_nothing_in_the_console(scene: Scene) -> None:
    pat, a = scene.pat, scene.groups[ORG_A.id]
    una = scene.ids["una.alder"]
    assert pat.call("GET", "/users").status_code == 403
    assert pat.call("GET", "/users/count").status_code == 403
    assert pat.call("GET", f"/users/{una}").status_code == 403
    assert pat.call("PUT", f"/users/{una}", {"firstName": "X"}).status_code == 403
    assert pat.call("GET", f"/groups/{a}/members").status_code == 403
    assert pat.call("GET", "/groups").status_code == 403
    person = {**_person("zed.alder", ORG_A), "credentials": []}
    assert pat.call("POST", "/users", person).status_code == 403
    mapping = f"/users/{una}/role-mappings/clients/{scene.lrs_client}"
    assert pat.call("POST", mapping, scene.role("LRBBatchUser")).status_code == 403


def test_super_users_get_query_roles_only_from_realm_management(scene: Scene) -> None:
    management = scene.gw.find_client("realm-management")
    assert management is not None
    composites = scene.gw.call("GET", f"/clients/{scene.lrs_client}/roles/LRBSuperUser/composites")
    held = {r["name"] for r in composites if r.get("containerId") == management["id"]}
    assert held == set(SUPER_USER_ADMIN_ROLES)
    assert scene.gw.get_realm()["adminPermissionsEnabled"] is True


def _our_objects(gw: KeycloakGateway) -> dict[str, dict[str, Any]]:
    client = gw.find_client("admin-permissions")
    assert client is not None
    path = f"/clients/{client['id']}/authz/resource-server/policy"
    return {p["name"]: p for p in gw.paged(path) if p["name"].startswith(PREFIX)}


def test_second_sync_writes_nothing(scene: Scene) -> None:
    scene.sync()
    gw = gateway_for(scene.realm)
    the_plan = plan(gw, scene.policy, scene.organisations)
    assert the_plan.empty, the_plan.describe()
    apply(gw, the_plan)
    assert gw.writes == 0


def test_next_sync_picks_up_added_renamed_and_removed_organisations(scene: Scene) -> None:
    cedar = Organisation("cedar-school", "Cedar School", "school", frozenset({"plr"}))
    scene.organisations.append(cedar)
    scene.sync()
    # No super user yet: nobody administers it in the console (only the help desk route).
    assert not [name for name in _our_objects(scene.gw) if cedar.id in name]
    scene.gw.call("POST", "/users", _person("carl.cedar", cedar))
    (user,) = scene.gw.call("GET", "/users", params={"username": "carl.cedar", "exact": "true"})
    path = f"/users/{user['id']}/role-mappings/clients/{scene.lrs_client}"
    scene.gw.call("POST", path, scene.role("LRBSuperUser"))
    scene.sync()
    objects = _our_objects(scene.gw)
    assert {"lrs-org-cedar-school-group", "lrs-org-cedar-school-admins"} <= set(objects)
    plr = objects["lrs-entitled-plr-members"]["config"]["groups"]
    cedar_group = {g["name"]: g["id"] for g in scene.gw.list_children(_parent(scene))}[cedar.id]
    assert cedar_group in plr

    renamed = Organisation(cedar.id, "Cedar Academy", cedar.kind, cedar.entitlements)
    scene.organisations[-1] = renamed
    gw = gateway_for(scene.realm)
    the_plan = plan(gw, scene.policy, scene.organisations)
    assert [c.resource for c in the_plan.changes] == ["group"]  # the name only; no permission
    apply(gw, the_plan)
    assert plan(gw, scene.policy, scene.organisations).empty

    scene.organisations.remove(renamed)
    scene.sync()
    left = _our_objects(scene.gw)
    assert not [name for name in left if cedar.id in name]
    assert cedar_group not in left["lrs-entitled-plr-members"]["config"]["groups"]
    assert plan(gateway_for(scene.realm), scene.policy, scene.organisations).empty
    # The organisations that stayed still work.
    assert scene.sam.usernames(max=100) == _users_of(ORG_B)


def _parent(scene: Scene) -> str:
    parent = scene.gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    return str(parent["id"])
