"""The admin policies and permissions as they should be: pure, computed from the policy, the
organisations and their super users; ids of groups and roles stay references until written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.gateway import Json
from lrs_keycloak.keycloak.names import (
    ADMIN_PERMISSION_PREFIX,
    FINGERPRINT,
    MAP_ROLES_PERMISSION,
    ORGANISATIONS_GROUP,
    SAME_ORGANISATION_POLICY,
    SAME_ORGANISATION_POLICY_TYPE,
    SUPER_USER_POLICY,
    entitled_members_policy,
    entitled_super_users_policy,
    org_group_permission,
    org_super_users_policy,
    org_user_roles_permission,
    role_permission,
)

#: Whether a write creates the object or replaces it.
Write = Literal["create", "update"]

GROUP_SCOPES = (
    "view",
    "view-members",
    "manage-members",
    "manage-membership",
    "manage-membership-of-members",
)

# --- references resolved when the change runs (new groups have no id at plan time) ----------


@dataclass(frozen=True)
class GroupRef:
    org_id: str


@dataclass(frozen=True)
class RoleRef:
    name: str


#: Where each kind of object is created and updated (under the admin-permissions client's
#: resource server), and the stage it is written in: what a later stage names must exist.
KINDS: dict[str, tuple[str, int]] = {
    "role": ("/policy/role", 0),
    "user": ("/policy/user", 0),
    "group": ("/policy/group", 0),
    SAME_ORGANISATION_POLICY_TYPE: (f"/policy/{SAME_ORGANISATION_POLICY_TYPE}", 0),
    "aggregate": ("/policy/aggregate", 1),
    "scope": ("/permission/scope", 2),
}
STAGES = ("policies", "aggregate policies", "permissions")
#: Deletion order by kind: permissions first, then aggregates, then what they aggregate.
DELETE_ORDER = {"scope": 0, "resource": 0, "aggregate": 1}


@dataclass
class Desired:
    """One policy or permission as it should be; references resolve at apply time."""

    name: str
    kind: str
    body: dict[str, Any]
    #: What the plan shows of it (ids replaced by names).
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def stage(self) -> int:
        return KINDS[self.kind][1]


def fingerprint(kind: str, body: Json) -> str:
    text = json.dumps({"kind": kind, **body}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def is_ours(rep: Json) -> bool:
    """Made by sync: the prefix and the fingerprint; nothing else is ever rewritten or deleted."""
    return str(rep.get("name", "")).startswith(ADMIN_PERMISSION_PREFIX) and str(
        rep.get("description") or ""
    ).startswith(FINGERPRINT)


def noun(kind: str) -> str:
    return "permission" if kind in ("scope", "resource") else "policy"


def _group_policy(name: str, refs: Sequence[GroupRef]) -> Desired:
    return Desired(
        name,
        "group",
        {"logic": "POSITIVE", "groups": [{"id": r, "extendChildren": False} for r in refs]},
        {"groups": sorted(r.org_id for r in refs)},
    )


def _aggregate(name: str, policies: Sequence[str]) -> Desired:
    return Desired(
        name,
        "aggregate",
        {"logic": "POSITIVE", "decisionStrategy": "UNANIMOUS", "policies": list(policies)},
        {"policies": list(policies)},
    )


def _permission(
    name: str, resource_type: str, resources: list[Any], scopes: Sequence[str], policy: str
) -> Desired:
    shown = [r.org_id if isinstance(r, GroupRef) else getattr(r, "name", r) for r in resources]
    return Desired(
        name,
        "scope",
        {
            "resourceType": resource_type,
            "resources": resources,
            "scopes": list(scopes),
            "policies": [policy],
            "decisionStrategy": "UNANIMOUS",
        },
        {"resourceType": resource_type, "resources": shown, "scopes": list(scopes)},
    )


def org_objects(org_id: str, super_users: Sequence[str]) -> list[Desired]:
    """One organisation's policy and permission; none while it has no super user (only the
    help desk route can give it one, guide §10.2). Its members need nothing of their own:
    map-roles is granted by `same_organisation_objects`, whoever the members are now."""
    admins = sorted(super_users)
    if not admins:
        return []
    name = org_super_users_policy(org_id)
    return [
        Desired(name, "user", {"logic": "POSITIVE", "users": admins}, {"users": len(admins)}),
        _permission(org_group_permission(org_id), "Groups", [GroupRef(org_id)], GROUP_SCOPES, name),
    ]


def same_organisation_objects(policy: RealmPolicy) -> list[Desired]:
    """map-roles on every user, granted by the extension's policy only to a super user of an
    organisation the user belongs to (decided when the role is mapped, so a member created in
    the console a moment ago is mappable). Which roles: the Roles permissions below. Fails
    closed: without the extension the policy type is unknown and nothing is granted."""
    config = {"clientId": policy.client["clientId"], "role": SUPER_USER}
    config["organisationsGroup"] = ORGANISATIONS_GROUP
    return [
        Desired(
            SAME_ORGANISATION_POLICY,
            SAME_ORGANISATION_POLICY_TYPE,
            {"logic": "POSITIVE", "config": config},
            dict(config),
        ),
        # A Users permission without resources covers ALL users; the policy narrows it per user.
        _permission(MAP_ROLES_PERMISSION, "Users", [], ["map-roles"], SAME_ORGANISATION_POLICY),
    ]


def org_object_names(org_id: str) -> tuple[str, ...]:
    """Every name one organisation's objects may have (the retired map-roles permission too, so
    that refreshing an organisation deletes what earlier versions left)."""
    return (
        org_super_users_policy(org_id),
        org_group_permission(org_id),
        org_user_roles_permission(org_id),
    )


def desired_objects(
    policy: RealmPolicy,
    organisations: Sequence[Organisation],
    super_users: dict[str, list[str]] | None = None,
) -> list[Desired]:
    """Every policy and permission the organisations need; `super_users` maps org id to the ids
    of its members holding LRBSuperUser."""
    super_users = super_users or {}
    wanted: list[Desired] = [
        Desired(
            SUPER_USER_POLICY,
            "role",
            {"logic": "POSITIVE", "roles": [{"id": RoleRef(SUPER_USER), "required": False}]},
            {"roles": [SUPER_USER]},
        )
    ]
    for org in sorted(organisations, key=lambda o: o.id):
        wanted.extend(org_objects(org.id, super_users.get(org.id, [])))
    wanted.extend(same_organisation_objects(policy))
    for entitlement in sorted({r.requires for r in policy.roles.roles if r.requires}):
        holders = [GroupRef(o.id) for o in organisations if entitlement in o.entitlements]
        if not holders:
            continue  # no permission at all: nobody may map the entitlement's roles
        wanted.append(_group_policy(entitled_members_policy(entitlement), holders))
        wanted.append(
            _aggregate(
                entitled_super_users_policy(entitlement),
                [entitled_members_policy(entitlement), SUPER_USER_POLICY],
            )
        )
    for role in policy.roles.roles:
        if role.requires is None:
            who = SUPER_USER_POLICY
        elif any(role.requires in o.entitlements for o in organisations):
            who = entitled_super_users_policy(role.requires)
        else:
            continue
        wanted.append(
            _permission(
                role_permission(role.name), "Roles", [RoleRef(role.name)], ["map-role"], who
            )
        )
    return wanted
