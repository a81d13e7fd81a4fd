"""The LRS client (realm.yaml `client`): its fields, and the client scopes it must not offer
(`refusedClientScopes`, offline_access among them); and the companion app's confidential client
(realm.yaml `companion_client`, completed from the settings by `config.companion`): its fields,
secret and protocol mappers."""

from __future__ import annotations

from collections.abc import Callable
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


#: How the plan shows a secret that differs: never its value.
HIDDEN = "(hidden)"


def _companion_uuid(g: KeycloakGateway, client_id: str) -> str:
    found = g.find_client(client_id)
    if found is None:
        raise RuntimeError(f"client {client_id} vanished during sync")
    return str(found["id"])


def _mapper_call(client_id: str, mapper: Json) -> Callable[[KeycloakGateway, Context], None]:
    """Creates ``mapper`` on the companion client, or replaces it when it carries its id."""

    def run(g: KeycloakGateway, c: Context) -> None:
        models = f"/clients/{_companion_uuid(g, client_id)}/protocol-mappers/models"
        if "id" in mapper:
            g.call("PUT", f"{models}/{mapper['id']}", mapper)
        else:
            g.call("POST", models, mapper)

    return run


def plan_companion(live: Live) -> list[Change]:
    """The companion app's client: created whole (mappers and secret with it); afterwards its
    declared fields, its secret (when the settings give one) and its declared mappers by name."""
    wanted = dict(live.policy.companion_client)
    if not wanted:
        return []
    client_id = str(wanted["clientId"])
    mappers: list[Json] = list(wanted.pop("protocolMappers", []))
    secret = wanted.pop("secret", None)
    current = live.gw.find_client(client_id) if live.exists else None
    if current is None:
        rep = {**wanted, "protocolMappers": mappers}
        if secret is not None:
            rep["secret"] = secret
        created = {k: (None, HIDDEN if k == "secret" else v) for k, v in rep.items()}
        return [Change("create", "client", client_id, created, lambda g, c: g.create_client(rep))]
    changes: list[Change] = []
    fields = diff(current, wanted)
    if secret is not None and current.get("secret") != secret:
        fields["secret"] = (HIDDEN, HIDDEN)
    if fields:
        merged = {
            **current,
            **wanted,
            "attributes": {**current.get("attributes", {}), **wanted.get("attributes", {})},
        }
        if secret is not None:
            merged["secret"] = secret
        merged.pop("protocolMappers", None)  # PUT ignores them; they are changed one by one
        changes.append(
            Change(
                "update",
                "client",
                client_id,
                fields,
                lambda g, c: g.update_client(_companion_uuid(g, client_id), merged),
            )
        )
    have = {m.get("name"): m for m in current.get("protocolMappers", [])}
    for mapper in mappers:
        name = f"{client_id}/{mapper['name']}"
        old = have.get(mapper["name"])
        if old is None:
            changes.append(
                Change("create", "protocol-mapper", name, run=_mapper_call(client_id, mapper))
            )
        elif mapper_fields := diff(old, mapper):
            run = _mapper_call(client_id, {**mapper, "id": old["id"]})
            changes.append(Change("update", "protocol-mapper", name, mapper_fields, run))
    return changes


PLANNER = Planner(
    resource="LRS client and the companion app's client",
    kinds=("client", "client-scope", "protocol-mapper"),
    owns="each field realm.yaml `client` sets (attributes key by key, redirect URIs and web "
    "origins as sets); for `companion_client` also its exact URIs from LRS_PUBLIC_URL, its "
    "secret (LRS_COMPANION_CLIENT_SECRET) and each protocol mapper it declares, by name; other "
    "fields, attributes and mappers are kept",
    creates="each client; the companion client's declared protocol mappers",
    deletes="the LRS client's assignment (default or optional) of each scope in realm.yaml "
    "`refused_client_scopes`; the scope itself stays in the realm",
    plan=lambda live: plan_client(live) + plan_companion(live),
)
