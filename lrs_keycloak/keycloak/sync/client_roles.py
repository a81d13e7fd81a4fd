"""The LRS client's roles (roles.yaml): the guide's eight, with their descriptions."""

from __future__ import annotations

from lrs_keycloak.keycloak.gateway import Json
from lrs_keycloak.keycloak.sync.changes import Change
from lrs_keycloak.keycloak.sync.clients import client_uuid
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner


def plan_client_roles(live: Live) -> list[Change]:
    client_id = live.client_id
    client = live.client()
    now: dict[str, Json] = (
        {r["name"]: r for r in live.gw.list_client_roles(client["id"])} if client else {}
    )
    changes: list[Change] = []
    for role in live.policy.roles.roles:
        rep = {"name": role.name, "description": role.description}
        have = now.get(role.name)
        if have is None:
            changes.append(
                Change(
                    "create",
                    "client-role",
                    f"{client_id}/{role.name}",
                    {"description": (None, role.description)},
                    lambda g, c, r=rep: g.create_client_role(client_uuid(g, c, client_id), r),
                )
            )
        elif have.get("description") != role.description:
            changes.append(
                Change(
                    "update",
                    "client-role",
                    f"{client_id}/{role.name}",
                    {"description": (have.get("description"), role.description)},
                    lambda g, c, r=rep: g.update_client_role(
                        client_uuid(g, c, client_id), r["name"], r
                    ),
                )
            )
    return changes


PLANNER = Planner(
    resource="LRS client roles",
    kinds=("client-role",),
    owns="the description of each role roles.yaml lists",
    creates="each listed role that is missing",
    deletes="nothing (a role is never removed: users may hold it)",
    plan=plan_client_roles,
)
