"""Writing admin policies and permissions: ids resolved when the write runs (a group created
earlier in the same sync has no id at plan time), 8 threads per stage, deletes tolerant of what
Keycloak removed on its own."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.keycloak.admin_permissions.model import (
    DELETE_ORDER,
    KINDS,
    STAGES,
    Desired,
    GroupRef,
    RoleRef,
    Write,
    fingerprint,
)
from lrs_keycloak.keycloak.admin_permissions.reads import WORKERS, q
from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import (
    ADMIN_PERMISSIONS_CLIENT,
    FINGERPRINT,
    ORGANISATIONS_GROUP,
)


class Resolver:
    """Ids that the writes need: read once, lazily, after the earlier changes have run."""

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
        """The admin REST path of the admin-permissions client's resource server."""
        with self._lock:
            if self._authz is None:
                client = self.gw.find_client(ADMIN_PERMISSIONS_CLIENT)
                if client is None:
                    raise RuntimeError(
                        "the realm has no admin-permissions client: are admin permissions on?"
                    )
                self._authz = f"/clients/{q(client['id'])}/authz/resource-server"
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


def write(resolver: Resolver, batch: list[tuple[Write, Desired]], current: dict[str, Json]) -> None:
    """Create or replace each object of one stage, in parallel; `current` gives the ids of
    those replaced."""
    authz = resolver.authz()
    gw = resolver.gw

    def one(entry: tuple[Write, Desired]) -> None:
        action, item = entry
        body = resolver.resolve(item.body)
        rep = {
            "name": item.name,
            "description": FINGERPRINT + fingerprint(item.kind, body),
            "type": item.kind,
            **body,
        }
        path = KINDS[item.kind][0]
        if action == "create":
            gw.call("POST", f"{authz}{path}", rep)
        else:
            rep["id"] = current[item.name]["id"]
            gw.call("PUT", f"{authz}{path}/{q(rep['id'])}", rep)

    _parallel(one, batch)


def write_in_stages(
    resolver: Resolver, writes: list[tuple[Write, Desired]], current: dict[str, Json]
) -> None:
    """Write every stage in turn: what a later stage names exists when it is written."""
    for stage in range(len(STAGES)):
        batch = in_stage(writes, stage)
        if batch:
            write(resolver, batch, current)


def in_stage(writes: list[tuple[Write, Desired]], stage: int) -> list[tuple[Write, Desired]]:
    return [(a, i) for a, i in writes if i.stage == stage]


def delete(resolver: Resolver, stale: list[Json]) -> None:
    """Delete permissions first, then aggregates, then what they aggregate."""
    authz = resolver.authz()
    for rep in sorted(stale, key=lambda p: DELETE_ORDER.get(p.get("type", ""), 2)):
        # Keycloak may have removed it already, with its group or the policy it depended on.
        with contextlib.suppress(NotFound):
            resolver.gw.call("DELETE", f"{authz}/policy/{q(rep['id'])}")


def _parallel(function: Callable[[Any], None], items: Sequence[Any]) -> None:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(function, item) for item in items]:
            future.result()
