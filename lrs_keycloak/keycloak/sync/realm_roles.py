"""The realm roles realm.yaml lists (the MIAP help desk's), with their descriptions."""

from __future__ import annotations

from lrs_keycloak.keycloak.sync.changes import Change
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner


def plan_realm_roles(live: Live) -> list[Change]:
    current = {r["name"]: r for r in live.gw.list_realm_roles()} if live.exists else {}
    changes: list[Change] = []
    for name, description in live.policy.realm_roles.items():
        role = {"name": name, "description": description}
        if name not in current:
            changes.append(
                Change(
                    "create",
                    "realm-role",
                    name,
                    {"description": (None, description)},
                    lambda g, c, r=role: g.create_realm_role(r),
                )
            )
        elif current[name].get("description") != description:
            changes.append(
                Change(
                    "update",
                    "realm-role",
                    name,
                    {"description": (current[name].get("description"), description)},
                    lambda g, c, n=name, r=role: g.update_realm_role(n, r),
                )
            )
    return changes


PLANNER = Planner(
    resource="realm roles",
    kinds=("realm-role",),
    owns="the description of each realm role realm.yaml lists",
    creates="each listed realm role that is missing",
    deletes="nothing (other realm roles, Keycloak's own among them, are left alone)",
    plan=plan_realm_roles,
)
