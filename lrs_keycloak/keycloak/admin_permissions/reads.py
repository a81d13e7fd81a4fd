"""What the admin permissions are computed from: the organisations' group ids, the LRS client's
role ids (paged listings), LRBSuperUser's holders (one paged listing) and their organisations
(one small read per holder; never a listing of every organisation's members)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.admin_permissions.model import GroupRef, RoleRef
from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP

#: Threads for the per-organisation listings and the writes.
WORKERS = 8


def q(segment: str) -> str:
    """One admin REST path segment, quoted whole: an id can never add a segment or a query."""
    return quote(segment, safe="")


def known_ids(gw: KeycloakGateway, policy: RealmPolicy) -> tuple[dict[str, str], dict[str, str]]:
    """The organisation groups' ids by name and the LRS client roles' ids by name."""
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    groups = (
        {g["name"]: g["id"] for g in gw.list_children(parent["id"], brief=True)} if parent else {}
    )
    client = gw.find_client(policy.client["clientId"])
    roles = {r["name"]: r["id"] for r in gw.list_client_roles(client["id"])} if client else {}
    return groups, roles


def resolved_now(value: Any, groups: dict[str, str], roles: dict[str, str]) -> Any:
    """`value` with the ids known at plan time; None when something does not exist yet."""
    if isinstance(value, GroupRef):
        return groups.get(value.org_id)
    if isinstance(value, RoleRef):
        return roles.get(value.name)
    if isinstance(value, list):
        items = [resolved_now(v, groups, roles) for v in value]
        return None if any(i is None for i in items) else items
    if isinstance(value, dict):
        items_d = {k: resolved_now(v, groups, roles) for k, v in value.items()}
        return None if any(v is None for v in items_d.values()) else items_d
    return value


def super_user_ids(gw: KeycloakGateway, policy: RealmPolicy) -> set[str]:
    """Everyone holding LRBSuperUser directly: one paged listing."""
    client = gw.find_client(policy.client["clientId"])
    if client is None:
        return set()
    path = f"/clients/{q(client['id'])}/roles/{q(SUPER_USER)}/users"
    try:
        return {u["id"] for u in gw.paged(path, {"briefRepresentation": "true"})}
    except NotFound:
        return set()


def group_member_ids(gw: KeycloakGateway, group_id: str) -> list[str]:
    path = f"/groups/{q(group_id)}/members"
    return [u["id"] for u in gw.paged(path, {"briefRepresentation": "true"})]


def super_users_by_org(
    gw: KeycloakGateway, holders: set[str], groups: dict[str, str]
) -> dict[str, list[str]]:
    """The holders of LRBSuperUser in each organisation, from each holder's own groups: one
    read per super user, however many members and organisations there are."""
    by_group = {group_id: org_id for org_id, group_id in groups.items()}

    def organisations_of(user_id: str) -> list[str]:
        try:
            found = gw.paged(f"/users/{q(user_id)}/groups", {"briefRepresentation": "true"})
            return [by_group[g["id"]] for g in found if g.get("id") in by_group]
        except NotFound:
            return []  # deleted since the holders were listed

    ordered = sorted(holders)
    result: dict[str, list[str]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for user_id, orgs in zip(ordered, pool.map(organisations_of, ordered), strict=True):
            for org_id in orgs:
                result.setdefault(org_id, []).append(user_id)
    return result
