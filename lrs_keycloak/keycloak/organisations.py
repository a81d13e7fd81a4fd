"""An organisation's admin-console permissions kept current between syncs.

Sync writes every organisation's policy and permissions (keycloak/sync/admin_permissions.py);
when an organisation's members or super users change, the enforcer rewrites that one
organisation's here, with the same names and fingerprints, so the next sync writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import is_organisation_id
from lrs_keycloak.keycloak.admin_permissions.model import (
    Desired,
    Write,
    fingerprint,
    is_ours,
    org_object_names,
    org_objects,
)
from lrs_keycloak.keycloak.admin_permissions.reads import group_member_ids, q, super_user_ids
from lrs_keycloak.keycloak.admin_permissions.writes import Resolver, delete, write_in_stages
from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import FINGERPRINT, ORGANISATIONS_GROUP


def refresh_organisation(
    gw: KeycloakGateway,
    policy: RealmPolicy,
    org_id: str,
    members: Sequence[str] | None = None,
    super_users: set[str] | None = None,
) -> bool:
    """Bring one organisation's policy and permission up to its current super users, as sync
    would (same names and fingerprints, so the next sync writes nothing).

    Called by the enforcer on every user, role or membership change in the organisation: a new
    super user can administer, and a demoted or suspended one no longer can, within the
    enforcer's reaction time. (Members need nothing here: map-roles is decided per request by
    the extension's policy, docs/adr/0005 "Since".) True when something was written. A caller
    that has just read the organisation's member ids or the LRBSuperUser holders passes them,
    so they are not read twice."""
    if not is_organisation_id(org_id):
        # Never look a crafted id up: "x/../org" would reach (and rewrite) another group's
        # permissions. Such a group is not an organisation; there is nothing to refresh.
        return False
    realm = gw.get_realm()
    if not realm or not realm.get("adminPermissionsEnabled"):
        return False
    try:
        group = gw.call("GET", f"/group-by-path/{q(ORGANISATIONS_GROUP)}/{q(org_id)}")
    except NotFound:
        return False
    if members is None:
        members = group_member_ids(gw, group["id"])
    holders = super_users if super_users is not None else super_user_ids(gw, policy)
    wanted = org_objects(org_id, [u for u in members if u in holders])
    resolver = Resolver(gw, policy)
    authz = resolver.authz()
    current: dict[str, Json] = {}
    for name in org_object_names(org_id):
        found = gw.call("GET", f"{authz}/policy", params={"name": name, "first": 0, "max": 10})
        for rep in found or []:
            if rep.get("name") == name and is_ours(rep):
                current[name] = rep
    writes: list[tuple[Write, Desired]] = []
    for item in wanted:
        body = resolver.resolve(item.body)
        have = current.get(item.name)
        if have is None:
            writes.append(("create", item))
        elif have.get("description") != FINGERPRINT + fingerprint(item.kind, body):
            writes.append(("update", item))
    write_in_stages(resolver, writes, current)
    names = {item.name for item in wanted}
    stale = [rep for name, rep in current.items() if name not in names]
    delete(resolver, stale)
    return bool(writes or stale)
