"""The organisation-scoped admin console's policies and permissions (docs/adr/0005; what they
are is in keycloak/admin_permissions/): compared by fingerprint in one paginated listing,
written in three stages, orphans deleted."""

from __future__ import annotations

from lrs_keycloak.keycloak.admin_permissions.model import (
    STAGES,
    Desired,
    Write,
    desired_objects,
    fingerprint,
    is_ours,
    noun,
)
from lrs_keycloak.keycloak.admin_permissions.reads import (
    known_ids,
    resolved_now,
    super_user_ids,
    super_users_by_org,
)
from lrs_keycloak.keycloak.admin_permissions.writes import Resolver, delete, in_stage, write
from lrs_keycloak.keycloak.gateway import Json
from lrs_keycloak.keycloak.names import ADMIN_PERMISSION_PREFIX, FINGERPRINT
from lrs_keycloak.keycloak.sync.changes import Change
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner


def plan_admin_permissions(live: Live) -> list[Change]:
    """The changes that make the organisations' admin permissions equal to the policy."""
    policy, organisations, gw = live.policy, live.organisations, live.gw
    if not policy.admin_console_scoped or organisations is None:
        return []  # without organisation data, sync manages no organisation
    resolver = Resolver(gw, policy)
    enabled = bool(live.realm and live.realm.get("adminPermissionsEnabled"))
    groups, roles = known_ids(gw, policy) if live.exists else ({}, {})
    holders = super_user_ids(gw, policy) if live.exists else set()
    wanted_groups = {o.id: groups[o.id] for o in organisations if o.id in groups}
    super_users = super_users_by_org(gw, holders, wanted_groups) if holders else {}
    current: dict[str, Json] = {}
    if enabled:
        current = {p["name"]: p for p in gw.paged(f"{resolver.authz()}/policy", page=1000)}

    wanted = desired_objects(policy, organisations, super_users)
    to_write: list[tuple[Write, Desired]] = []
    for item in wanted:
        have = current.get(item.name)
        now = resolved_now(item.body, groups, roles)
        printed = fingerprint(item.kind, now) if now is not None else None
        if have is None:
            to_write.append(("create", item))
        elif have.get("type") != item.kind or not is_ours(have):
            raise RuntimeError(
                f"admin permission {item.name!r} exists but was not made by sync; "
                "rename or remove it in the admin console"
            )
        elif printed is None or have.get("description") != FINGERPRINT + printed:
            to_write.append(("update", item))
    changes: list[Change] = []
    for action, item in to_write:
        fields = {k: (None, v) for k, v in item.fields.items()}
        changes.append(Change(action, f"admin-{noun(item.kind)}", item.name, fields))
    for stage, stage_name in enumerate(STAGES):
        batch = in_stage(to_write, stage)
        if batch:
            changes.append(
                Change(
                    "create",
                    "admin-permission-batch",
                    f"{len(batch)} admin {stage_name}",
                    {},
                    lambda g, c, b=batch: write(resolver, b, current),
                    batch=True,
                )
            )

    names = {item.name for item in wanted}
    stale = [p for name, p in current.items() if name not in names and is_ours(p)]
    for rep in stale:
        changes.append(Change("delete", f"admin-{noun(rep.get('type', ''))}", rep["name"]))
    if stale:
        changes.append(
            Change(
                "delete",
                "admin-permission-batch",
                f"{len(stale)} admin policies and permissions",
                {},
                lambda g, c: delete(resolver, stale),
                batch=True,
            )
        )
    return changes


PLANNER = Planner(
    resource="admin policies and permissions (when `admin_console.organisation_scoped`, with "
    "organisation data)",
    kinds=("admin-policy", "admin-permission", "admin-permission-batch"),
    owns=f"every policy and permission named `{ADMIN_PERMISSION_PREFIX}…` whose description "
    "carries sync's fingerprint (rewritten when its content changes); an "
    f"`{ADMIN_PERMISSION_PREFIX}…` one without the fingerprint stops sync with an error",
    creates="each policy and permission the organisations need (docs/adr/0005)",
    deletes=f"each `{ADMIN_PERMISSION_PREFIX}…` policy or permission with sync's fingerprint "
    "that is no longer needed; no other",
    plan=plan_admin_permissions,
)
