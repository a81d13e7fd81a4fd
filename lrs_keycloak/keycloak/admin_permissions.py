"""Organisation-scoped administration in the Keycloak admin console (admin permissions v2).

Each organisation's active super users (members of `/organisations/<id>` holding the
`LRBSuperUser` client role) may, in the admin console or the admin REST API, see and manage
exactly their organisation: view the group, view and manage its members and their membership,
create users directly into it, and map only the LRS roles the organisation is entitled to.

What sync keeps in the realm's `admin-permissions` client (names all start with `lrs-`, and each
carries a description with a fingerprint of its content, so that one paginated listing of the
policies tells what is missing, stale or orphaned and an unchanged realm costs no write):

  lrs-super-user                    role policy: holds LRBSuperUser
  lrs-org-<id>-admins               user policy: the organisation's super users by id (none
                                    while it has none: then nothing below exists for it)
  lrs-org-<id>-group                Groups permission on the group: view, view-members,
                                    manage-members, manage-membership,
                                    manage-membership-of-members
  lrs-org-<id>-user-roles           Users permission on the group's current members: map-roles
  lrs-entitled-<e>-members          group policy: member of any organisation holding entitlement e
  lrs-entitled-<e>-super-users      aggregate (UNANIMOUS) of that and lrs-super-user
  lrs-role-<role>                   Roles permission: map-role, for super users of an organisation
                                    entitled to the role (any super user for unrestricted roles)

`LRBSuperUser` is given the realm-management roles `query-users` and `query-groups` as
composites: they open the console's Users and Groups sections and the listings, and grant no
access to any user or group by themselves. Why it is built this way, and the Keycloak behaviours
it works around, is in docs/adr/0005-organisation-scoped-admin-console.md. Between syncs the
enforcer keeps each organisation's objects current (`refresh_organisation`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation, is_organisation_id
from lrs_keycloak.keycloak.changes import Action, Change
from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP

SUPER_USER_ROLE = "LRBSuperUser"
ADMIN_PERMISSIONS_CLIENT = "admin-permissions"
REALM_MANAGEMENT_CLIENT = "realm-management"
#: The realm-management roles super users get: enough to open the console's Users and Groups
#: sections; never view-users or manage-users, which would open the whole realm.
SUPER_USER_ADMIN_ROLES = ("query-users", "query-groups")
PREFIX = "lrs-"
SUPER_USER_POLICY = "lrs-super-user"
FINGERPRINT = "Managed by lrs-keycloak sync; fingerprint "
GROUP_SCOPES = (
    "view",
    "view-members",
    "manage-members",
    "manage-membership",
    "manage-membership-of-members",
)
_WORKERS = 8
_STAGES = ("policies", "aggregate policies", "permissions")


def _q(segment: str) -> str:
    """One admin REST path segment, quoted whole: an id can never add a segment or a query."""
    return quote(segment, safe="")


def org_super_users_policy(org_id: str) -> str:
    # A user policy naming the organisation's super users (docs/adr/0005: an aggregate with the
    # shared LRBSuperUser role policy made every listing evaluate every organisation).
    return f"lrs-org-{org_id}-admins"


def org_group_permission(org_id: str) -> str:
    return f"lrs-org-{org_id}-group"


def org_user_roles_permission(org_id: str) -> str:
    return f"lrs-org-{org_id}-user-roles"


def entitled_members_policy(entitlement: str) -> str:
    return f"lrs-entitled-{entitlement}-members"


def entitled_super_users_policy(entitlement: str) -> str:
    return f"lrs-entitled-{entitlement}-super-users"


def role_permission(role: str) -> str:
    return f"lrs-role-{role}"


# --- references resolved when the change runs (new groups have no id at plan time) ----------


@dataclass(frozen=True)
class GroupRef:
    org_id: str


@dataclass(frozen=True)
class RoleRef:
    name: str


class _Resolver:
    """Ids that apply needs: read once, lazily, after the earlier changes have run."""

    def __init__(self, gw: KeycloakGateway, policy: RealmPolicy) -> None:
        self.gw = gw
        self.policy = policy
        self._lock = threading.Lock()
        self._groups: dict[str, str] | None = None
        self._roles: dict[str, str] | None = None
        self._authz: str | None = None

    def group(self, org_id: str) -> str:
        with self._lock:
            if self._groups is None or org_id not in self._groups:
                parent = self.gw.find_top_group(ORGANISATIONS_GROUP)
                if parent is None:
                    raise RuntimeError("group /organisations vanished during sync")
                self._groups = {
                    g["name"]: g["id"] for g in self.gw.list_children(parent["id"], brief=True)
                }
            if org_id not in self._groups:
                raise RuntimeError(f"group /organisations/{org_id} vanished during sync")
            return self._groups[org_id]

    def role(self, name: str) -> str:
        with self._lock:
            if self._roles is None:
                client = self.gw.find_client(self.policy.client["clientId"])
                if client is None:
                    raise RuntimeError("the LRS client vanished during sync")
                self._roles = {r["name"]: r["id"] for r in self.gw.list_client_roles(client["id"])}
            return self._roles[name]

    def authz(self) -> str:
        with self._lock:
            if self._authz is None:
                client = self.gw.find_client(ADMIN_PERMISSIONS_CLIENT)
                if client is None:
                    raise RuntimeError(
                        "the realm has no admin-permissions client: are admin permissions on?"
                    )
                self._authz = f"/clients/{_q(client['id'])}/authz/resource-server"
            return self._authz

    def resolve(self, value: Any) -> Any:
        if isinstance(value, GroupRef):
            return self.group(value.org_id)
        if isinstance(value, RoleRef):
            return self.role(value.name)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


# --- desired state ---------------------------------------------------------------------------

#: Where each kind of object is created and updated, and the order it must exist in.
_KINDS: dict[str, tuple[str, int]] = {
    "role": ("/policy/role", 0),
    "user": ("/policy/user", 0),
    "group": ("/policy/group", 0),
    "aggregate": ("/policy/aggregate", 1),
    "scope": ("/permission/scope", 2),
}


@dataclass
class Desired:
    """One policy or permission as it should be; references resolve at apply time."""

    name: str
    kind: str
    body: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def stage(self) -> int:
        return _KINDS[self.kind][1]


def _fingerprint(kind: str, body: Json) -> str:
    text = json.dumps({"kind": kind, **body}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


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


def org_objects(org_id: str, members: Sequence[str], super_users: Sequence[str]) -> list[Desired]:
    """One organisation's policy and permissions; none while it has no super user (only the
    help desk route can give it one, guide §10.2)."""
    admins = sorted(super_users)
    if not admins:
        return []
    name = org_super_users_policy(org_id)
    wanted = [
        Desired(name, "user", {"logic": "POSITIVE", "users": admins}, {"users": len(admins)}),
        _permission(org_group_permission(org_id), "Groups", [GroupRef(org_id)], GROUP_SCOPES, name),
    ]
    ids = sorted(members)
    if ids:
        # Never with no resources: a Users permission without resources covers ALL users.
        wanted.append(
            _permission(org_user_roles_permission(org_id), "Users", ids, ["map-roles"], name)
        )
    return wanted


def desired_objects(
    policy: RealmPolicy,
    organisations: Sequence[Organisation],
    members: dict[str, list[str]],
    super_users: dict[str, list[str]] | None = None,
) -> list[Desired]:
    """Every policy and permission the organisations need; `members` maps org id to user ids,
    `super_users` to the ids of its members holding LRBSuperUser."""
    super_users = super_users or {}
    wanted: list[Desired] = [
        Desired(
            SUPER_USER_POLICY,
            "role",
            {"logic": "POSITIVE", "roles": [{"id": RoleRef(SUPER_USER_ROLE), "required": False}]},
            {"roles": [SUPER_USER_ROLE]},
        )
    ]
    for org in sorted(organisations, key=lambda o: o.id):
        wanted.extend(org_objects(org.id, members.get(org.id, []), super_users.get(org.id, [])))
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


# --- plan ------------------------------------------------------------------------------------


def _is_ours(rep: Json) -> bool:
    return str(rep.get("name", "")).startswith(PREFIX) and str(
        rep.get("description") or ""
    ).startswith(FINGERPRINT)


def _known_ids(gw: KeycloakGateway, policy: RealmPolicy) -> tuple[dict[str, str], dict[str, str]]:
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    groups = (
        {g["name"]: g["id"] for g in gw.list_children(parent["id"], brief=True)} if parent else {}
    )
    client = gw.find_client(policy.client["clientId"])
    roles = {r["name"]: r["id"] for r in gw.list_client_roles(client["id"])} if client else {}
    return groups, roles


def _resolved_now(value: Any, groups: dict[str, str], roles: dict[str, str]) -> Any:
    """`value` with the ids known at plan time; None when something does not exist yet."""
    if isinstance(value, GroupRef):
        return groups.get(value.org_id)
    if isinstance(value, RoleRef):
        return roles.get(value.name)
    if isinstance(value, list):
        items = [_resolved_now(v, groups, roles) for v in value]
        return None if any(i is None for i in items) else items
    if isinstance(value, dict):
        items_d = {k: _resolved_now(v, groups, roles) for k, v in value.items()}
        return None if any(v is None for v in items_d.values()) else items_d
    return value


def _super_user_ids(gw: KeycloakGateway, policy: RealmPolicy) -> set[str]:
    """Everyone holding LRBSuperUser directly: one paged listing."""
    client = gw.find_client(policy.client["clientId"])
    if client is None:
        return set()
    path = f"/clients/{_q(client['id'])}/roles/{_q(SUPER_USER_ROLE)}/users"
    try:
        return {u["id"] for u in gw.paged(path, {"briefRepresentation": "true"})}
    except NotFound:
        return set()


def _org_members(
    gw: KeycloakGateway, organisations: Sequence[Organisation], groups: dict[str, str]
) -> dict[str, list[str]]:
    present = [o.id for o in organisations if o.id in groups]

    def read(org_id: str) -> list[str]:
        path = f"/groups/{_q(groups[org_id])}/members"
        return [u["id"] for u in gw.paged(path, {"briefRepresentation": "true"})]

    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        return dict(zip(present, pool.map(read, present), strict=True))


def plan_admin_permissions(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    organisations: Sequence[Organisation] | None,
    exists: bool,
) -> list[Change]:
    """The changes that make the organisations' admin permissions equal to the policy."""
    changes: list[Change] = []
    resolver = _Resolver(gw, policy)
    realm = gw.get_realm() if exists else None
    enabled = bool(realm and realm.get("adminPermissionsEnabled"))
    if not enabled:
        was = realm.get("adminPermissionsEnabled") if realm else None
        changes.append(
            Change(
                "update",
                "realm",
                policy.realm,
                {"adminPermissionsEnabled": (was, True)},
                lambda g, c: g.update_realm({"adminPermissionsEnabled": True}),
            )
        )
    changes.extend(_plan_super_user_composites(gw, policy, exists))
    if organisations is None:
        return changes  # without organisation data, sync manages no organisation

    groups, roles = _known_ids(gw, policy) if exists else ({}, {})
    members = _org_members(gw, organisations, groups) if exists else {}
    holders = _super_user_ids(gw, policy) if exists else set()
    super_users = {org: [u for u in ids if u in holders] for org, ids in members.items()}
    current: dict[str, Json] = {}
    if enabled:
        authz = resolver.authz()
        current = {p["name"]: p for p in gw.paged(f"{authz}/policy", page=1000)}

    wanted = desired_objects(policy, organisations, members, super_users)
    to_write: list[tuple[Action, Desired]] = []
    for item in wanted:
        have = current.get(item.name)
        now = _resolved_now(item.body, groups, roles)
        fingerprint = _fingerprint(item.kind, now) if now is not None else None
        if have is None:
            to_write.append(("create", item))
        elif have.get("type") != item.kind or not _is_ours(have):
            raise RuntimeError(
                f"admin permission {item.name!r} exists but was not made by sync; "
                "rename or remove it in the admin console"
            )
        elif fingerprint is None or have.get("description") != FINGERPRINT + fingerprint:
            to_write.append(("update", item))
    for action, item in to_write:
        fields = {k: (None, v) for k, v in item.fields.items()}
        changes.append(Change(action, f"admin-{_noun(item.kind)}", item.name, fields))
    for stage in (0, 1, 2):
        batch = [(a, i) for a, i in to_write if i.stage == stage]
        if batch:
            changes.append(
                Change(
                    "create",
                    "admin-permission-batch",
                    f"{len(batch)} admin {_STAGES[stage]}",
                    {},
                    lambda g, c, b=batch, ids=current: _write(resolver, b, ids),
                )
            )

    names = {item.name for item in wanted}
    stale = [p for name, p in current.items() if name not in names and _is_ours(p)]
    for rep in stale:
        changes.append(Change("delete", f"admin-{_noun(rep.get('type', ''))}", rep["name"]))
    if stale:
        # Permissions first, then aggregates, then what they aggregate.
        order = {"scope": 0, "resource": 0, "aggregate": 1}
        ordered = sorted(stale, key=lambda p: order.get(p.get("type", ""), 2))
        changes.append(
            Change(
                "delete",
                "admin-permission-batch",
                f"{len(stale)} admin policies and permissions",
                {},
                lambda g, c, s=ordered: _delete(resolver, s),
            )
        )
    return changes


def _noun(kind: str) -> str:
    return "permission" if kind in ("scope", "resource") else "policy"


def _plan_super_user_composites(
    gw: KeycloakGateway, policy: RealmPolicy, exists: bool
) -> list[Change]:
    client_id = policy.client["clientId"]
    have: set[str] = set()
    if exists:
        client = gw.find_client(client_id)
        management = gw.find_client(REALM_MANAGEMENT_CLIENT)
        if client is not None and management is not None:
            roles = {r["name"] for r in gw.list_client_roles(client["id"])}
            if SUPER_USER_ROLE in roles:
                composites = gw.call(
                    "GET", f"/clients/{_q(client['id'])}/roles/{_q(SUPER_USER_ROLE)}/composites"
                )
                have = {
                    r["name"]
                    for r in composites or []
                    if r.get("clientRole") and r.get("containerId") == management["id"]
                }
    missing = [name for name in SUPER_USER_ADMIN_ROLES if name not in have]
    if not missing:
        return []

    def run(g: KeycloakGateway, c: Any) -> None:
        client = g.find_client(client_id)
        management = g.find_client(REALM_MANAGEMENT_CLIENT)
        if client is None or management is None:
            raise RuntimeError("the LRS or realm-management client vanished during sync")
        reps = [r for r in g.list_client_roles(management["id"]) if r["name"] in set(missing)]
        path = f"/clients/{_q(client['id'])}/roles/{_q(SUPER_USER_ROLE)}/composites"
        g.call("POST", path, reps)

    return [
        Change(
            "update",
            "client-role",
            f"{client_id}/{SUPER_USER_ROLE}",
            {"composites": (sorted(have), sorted(have | set(missing)))},
            run,
        )
    ]


# --- apply -----------------------------------------------------------------------------------


def _write(
    resolver: _Resolver, batch: list[tuple[Action, Desired]], current: dict[str, Json]
) -> None:
    authz = resolver.authz()
    gw = resolver.gw

    def one(entry: tuple[Action, Desired]) -> None:
        action, item = entry
        body = resolver.resolve(item.body)
        rep = {
            "name": item.name,
            "description": FINGERPRINT + _fingerprint(item.kind, body),
            "type": item.kind,
            **body,
        }
        path = _KINDS[item.kind][0]
        if action == "create":
            gw.call("POST", f"{authz}{path}", rep)
        else:
            rep["id"] = current[item.name]["id"]
            gw.call("PUT", f"{authz}{path}/{_q(rep['id'])}", rep)

    _parallel(one, batch)


def _delete(resolver: _Resolver, stale: list[Json]) -> None:
    authz = resolver.authz()
    for rep in stale:
        # Keycloak may have removed it already, with its group or the policy it depended on.
        with contextlib.suppress(NotFound):
            resolver.gw.call("DELETE", f"{authz}/policy/{_q(rep['id'])}")


def _parallel(function: Callable[[Any], None], items: Sequence[Any]) -> None:
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for future in [pool.submit(function, item) for item in items]:
            future.result()


def refresh_organisation(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    org_id: str,
    members: Sequence[str] | None = None,
    super_users: set[str] | None = None,
) -> bool:
    """Bring one organisation's policy and permissions up to its current members and super
    users, as sync would (same names and fingerprints, so the next sync writes nothing).

    Called by the enforcer on every user, role or membership change in the organisation: a user
    created in the console becomes role-mappable, a new super user can administer, and a
    demoted or suspended one no longer can, within the enforcer's reaction time. True when
    something was written. A caller that has just read the organisation's member ids or the
    LRBSuperUser holders passes them, so they are not read twice."""
    if not is_organisation_id(org_id):
        # Never look a crafted id up: "x/../org" would reach (and rewrite) another group's
        # permissions. Such a group is not an organisation; there is nothing to refresh.
        return False
    realm = gw.get_realm()
    if not realm or not realm.get("adminPermissionsEnabled"):
        return False
    try:
        group = gw.call("GET", f"/group-by-path/{_q(ORGANISATIONS_GROUP)}/{_q(org_id)}")
    except NotFound:
        return False
    if members is None:
        path = f"/groups/{_q(group['id'])}/members"
        members = [u["id"] for u in gw.paged(path, {"briefRepresentation": "true"})]
    holders = super_users if super_users is not None else _super_user_ids(gw, policy)
    wanted = org_objects(org_id, members, [u for u in members if u in holders])
    resolver = _Resolver(gw, policy)
    authz = resolver.authz()
    names = (
        org_super_users_policy(org_id),
        org_group_permission(org_id),
        org_user_roles_permission(org_id),
    )
    current: dict[str, Json] = {}
    for name in names:
        found = gw.call("GET", f"{authz}/policy", params={"name": name, "first": 0, "max": 10})
        for rep in found or []:
            if rep.get("name") == name and _is_ours(rep):
                current[name] = rep
    writes: list[tuple[Action, Desired]] = []
    for item in wanted:
        body = resolver.resolve(item.body)
        have = current.get(item.name)
        if have is None:
            writes.append(("create", item))
        elif have.get("description") != FINGERPRINT + _fingerprint(item.kind, body):
            writes.append(("update", item))
    for stage in (0, 1, 2):
        batch = [(a, i) for a, i in writes if i.stage == stage]
        if batch:
            _write(resolver, batch, current)
    stale = [rep for name, rep in current.items() if name not in {i.name for i in wanted}]
    order = {"scope": 0, "resource": 0, "aggregate": 1}
    _delete(resolver, sorted(stale, key=lambda p: order.get(p.get("type", ""), 2)))
    return bool(writes or stale)
