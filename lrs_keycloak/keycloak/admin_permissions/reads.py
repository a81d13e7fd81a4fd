"""What the admin permissions are computed from, read in paged listings (never a GET per user):
the organisations' group ids and members, the LRS client's role ids, LRBSuperUser's holders."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
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


def org_members(
    gw: KeycloakGateway, organisations: Sequence[Organisation], groups: dict[str, str]
) -> dict[str, list[str]]:
    """The member ids of each organisation that has a group, read in parallel."""
    present = [o.id for o in organisations if o.id in groups]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        members = pool.map(lambda org_id: group_member_ids(gw, groups[org_id]), present)
        return dict(zip(present, members, strict=True))
