"""The `/organisations` group and, given organisation data (`sync --organisations FILE`), one
child group per organisation with its name, kind and entitlements as attributes.

Only groups carrying `lrsManagedBy=sync` are ever deleted: an organisation the help desk
registered (`lrsManagedBy=operator`) or a group made by hand is never touched.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import (
    MANAGED_BY,
    ORG_ENTITLEMENTS,
    ORG_KIND,
    ORG_NAME,
    ORGANISATIONS_GROUP,
)
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner

_WORKERS = 4


def organisation_attributes(org: Organisation) -> dict[str, list[str]]:
    return {
        ORG_NAME: [org.name],
        ORG_KIND: [org.kind],
        ORG_ENTITLEMENTS: sorted(org.entitlements),
        MANAGED_BY: ["sync"],
    }


def _organisations_group_id(g: KeycloakGateway, c: Context) -> str:
    if c.organisations_group_id is None:
        found = g.find_top_group(ORGANISATIONS_GROUP)
        if found is None:
            raise RuntimeError("group /organisations vanished during sync")
        c.organisations_group_id = found["id"]
    return c.organisations_group_id


def _create_children(g: KeycloakGateway, c: Context, reps: list[Json]) -> None:
    parent_id = _organisations_group_id(g, c)
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for future in [pool.submit(g.create_child_group, parent_id, rep) for rep in reps]:
            future.result()


def plan_groups(live: Live) -> list[Change]:
    gw = live.gw
    changes: list[Change] = []
    parent = gw.find_top_group(ORGANISATIONS_GROUP) if live.exists else None
    if parent is None:
        rep = {"name": ORGANISATIONS_GROUP, "attributes": {MANAGED_BY: ["sync"]}}
        changes.append(
            Change(
                "create",
                "group",
                f"/{ORGANISATIONS_GROUP}",
                {"attributes": (None, rep["attributes"])},
                lambda g, c, r=rep: g.create_top_group(r),
            )
        )
    if live.organisations is None:
        return changes  # without organisation data, sync manages only the parent group
    children = {child["name"]: child for child in gw.list_children(parent["id"])} if parent else {}
    wanted = {org.id for org in live.organisations}
    creates: list[Json] = []
    for org in live.organisations:
        attributes = organisation_attributes(org)
        have = children.get(org.id)
        path = f"/{ORGANISATIONS_GROUP}/{org.id}"
        if have is None:
            creates.append({"name": org.id, "attributes": attributes})
            changes.append(
                Change("create", "group", path, {k: (None, v) for k, v in attributes.items()})
            )
            continue
        current_attributes = have.get("attributes") or {}
        # Keycloak drops an attribute whose list is empty: absent and [] mean the same.
        fields = {
            k: (current_attributes.get(k), v)
            for k, v in attributes.items()
            if (current_attributes.get(k) or []) != v
        }
        if fields:
            kept = {k: v for k, v in current_attributes.items() if k not in attributes}
            rep = {"name": org.id, "attributes": {**kept, **attributes}}
            changes.append(
                Change(
                    "update",
                    "group",
                    path,
                    fields,
                    lambda g, c, i=have["id"], r=rep: g.update_group(i, r),
                )
            )
    if creates:
        # One change runs all creations in parallel; each row above documents one of them.
        changes.append(
            Change(
                "create",
                "group-batch",
                f"{len(creates)} organisation groups",
                {},
                lambda g, c, reps=creates: _create_children(g, c, reps),
                batch=True,
            )
        )
    for name, child in children.items():
        if name not in wanted and (child.get("attributes") or {}).get(MANAGED_BY) == ["sync"]:
            changes.append(
                Change(
                    "delete",
                    "group",
                    f"/{ORGANISATIONS_GROUP}/{name}",
                    {},
                    lambda g, c, i=child["id"]: g.delete_group(i),
                )
            )
    return changes


PLANNER = Planner(
    resource="organisation groups",
    kinds=("group", "group-batch"),
    owns=f"with organisation data: each listed organisation's group attributes `{ORG_NAME}`, "
    f"`{ORG_KIND}`, `{ORG_ENTITLEMENTS}` and `{MANAGED_BY}=sync` (other attributes kept); "
    f"without it: nothing",
    creates=f"`/{ORGANISATIONS_GROUP}`; with organisation data, the group of each listed "
    "organisation",
    deletes=f"with organisation data: each child group of `/{ORGANISATIONS_GROUP}` not listed and "
    f"marked `{MANAGED_BY}=sync` (never one registered by the help desk, `operator`, or made "
    "by hand); without it: nothing",
    plan=plan_groups,
)
