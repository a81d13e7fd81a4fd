"""The organisation-scoped console's objects (docs/adr/0005, "Since"): map-roles is one Users
permission on all users, guarded by the extension's same-organisation policy, so nothing depends
on who an organisation's members are; each organisation has objects only for its super users."""

from __future__ import annotations

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.admin_permissions.model import desired_objects, org_objects
from lrs_keycloak.keycloak.names import (
    MAP_ROLES_PERMISSION,
    ORGANISATIONS_GROUP,
    SAME_ORGANISATION_POLICY,
    SAME_ORGANISATION_POLICY_TYPE,
    org_user_roles_permission,
)
from lrs_keycloak.settings import config_dir

ORG = Organisation("anytown-college", "Anytown College", "college", frozenset({"plr"}))


def test_map_roles_is_granted_on_all_users_only_through_the_same_organisation_policy() -> None:
    policy = load_policy(config_dir())
    wanted = {d.name: d for d in desired_objects(policy, [ORG], {ORG.id: ["su-1"]})}
    permission = wanted[MAP_ROLES_PERMISSION]
    assert permission.body["resourceType"] == "Users"
    assert permission.body["resources"] == []
    assert permission.body["scopes"] == ["map-roles"]
    assert permission.body["policies"] == [SAME_ORGANISATION_POLICY]
    same_org = wanted[SAME_ORGANISATION_POLICY]
    assert same_org.kind == SAME_ORGANISATION_POLICY_TYPE
    assert same_org.body["config"] == {
        "clientId": policy.client["clientId"],
        "role": SUPER_USER,
        "organisationsGroup": ORGANISATIONS_GROUP,
    }
    assert org_user_roles_permission(ORG.id) not in wanted


def test_an_organisations_objects_depend_on_its_super_users_not_its_members() -> None:
    assert org_objects(ORG.id, []) == []
    names = [d.name for d in org_objects(ORG.id, ["su-2", "su-1"])]
    assert names == [f"lrs-org-{ORG.id}-admins", f"lrs-org-{ORG.id}-group"]
    (admins, _) = org_objects(ORG.id, ["su-2", "su-1"])
    assert admins.body["users"] == ["su-1", "su-2"]
