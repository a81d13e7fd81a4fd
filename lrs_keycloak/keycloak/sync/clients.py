"""The LRS client (realm.yaml `client`): its fields, and the client scopes it must not offer
(`refusedClientScopes`, offline_access among them)."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.live import Live, diff
from lrs_keycloak.keycloak.sync.planner import Planner


def client_uuid(g: KeycloakGateway, c: Context, client_id: str) -> str:
    """The client's id at apply time (it may have been created earlier in the same run)."""
    if c.client_uuid is None:
        found = g.find_client(client_id)
        if found is None:
            raise RuntimeError(f"client {client_id} vanished during sync")
        c.client_uuid = found["id"]
    return c.client_uuid


def _remove_scope(g: KeycloakGateway, c: Context, client_id: str, scope: str) -> None:
    g.remove_client_scope(client_uuid(g, c, client_id), scope)


def plan_client(live: Live) -> list[Change]:
    client_id = live.client_id
    wanted = live.policy.client
    current = live.client()
    refused = live.policy.refused_client_scopes
    if current is None:
        rep = dict(wanted)
        created: dict[str, tuple[Any, Any]] = {k: (None, v) for k, v in rep.items()}
        if refused:
            created["refusedClientScopes"] = (None, list(refused))

        def create(g: KeycloakGateway, c: Context, r: Json = rep) -> None:
            # A new client gets the realm's default scopes (offline_access among them), and
            # scope lists in a representation are honoured only in part: remove them after.
            g.create_client(r)
            for scope in refused:
                _remove_scope(g, c, client_id, scope)

        return [Change("create", "client", client_id, created, create)]
    changes: list[Change] = []
    offered = {
        *current.get("defaultClientScopes", []),
        *current.get("optionalClientScopes", []),
    }
    for scope in sorted(offered & set(refused)):
        changes.append(
            Change(
                "delete",
                "client-scope",
                f"{client_id}/{scope}",
                run=lambda g, c, s=scope: _remove_scope(g, c, client_id, s),
            )
        )
    fields = diff(current, wanted)
    if fields:
        merged = {
            **current,
            **wanted,
            "attributes": {**current.get("attributes", {}), **wanted.get("attributes", {})},
        }
        changes.append(
            Change(
                "update",
                "client",
                client_id,
                fields,
                lambda g, c: g.update_client(client_uuid(g, c, client_id), merged),
            )
        )
    return changes


PLANNER = Planner(
    resource="LRS client",
    kinds=("client", "client-scope"),
    owns="each field realm.yaml `client` sets (attributes key by key, redirect URIs and web "
    "origins as sets); other fields and attributes are kept",
    creates="the client",
    deletes="the client's assignment (default or optional) of each scope in realm.yaml "
    "`refused_client_scopes`; the scope itself stays in the realm",
    plan=plan_client,
)
