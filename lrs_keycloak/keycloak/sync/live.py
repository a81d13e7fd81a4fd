"""What the planners compare against: the realm as read once at the start of a plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway

# Keycloak keeps these as sets: compare them without order.
SET_FIELDS = {"redirectUris", "webOrigins", "eventsListeners", "enabledEventTypes"}


@dataclass
class Live:
    """The gateway, the policy, the organisations (None: sync manages none of them) and what
    more than one planner reads, read once."""

    gw: KeycloakGateway
    policy: RealmPolicy
    organisations: Sequence[Organisation] | None
    #: The realm's representation; None while it does not exist.
    realm: Json | None
    _client: Json | None = field(default=None, init=False, repr=False)
    _client_read: bool = field(default=False, init=False, repr=False)

    @classmethod
    def read(
        cls,
        gw: KeycloakGateway,
        policy: RealmPolicy,
        organisations: Sequence[Organisation] | None = None,
    ) -> Live:
        return cls(gw, policy, organisations, gw.get_realm())

    @property
    def exists(self) -> bool:
        return self.realm is not None

    @property
    def client_id(self) -> str:
        return str(self.policy.client["clientId"])

    def client(self) -> Json | None:
        """The LRS client's representation; None while it does not exist."""
        if not self._client_read:
            self._client = self.gw.find_client(self.client_id) if self.exists else None
            self._client_read = True
        return self._client


def _norm(key: str, value: Any) -> Any:
    if key in SET_FIELDS and isinstance(value, list):
        return sorted(value)
    return value


def diff(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields of `desired` that `current` does not already have (sub-keys of dicts too)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for key, want in desired.items():
        have = current.get(key)
        if isinstance(want, dict) and isinstance(have, dict):
            inner = {k: v for k, v in want.items() if _norm(k, have.get(k)) != _norm(k, v)}
            if inner:
                changes[key] = ({k: have.get(k) for k in inner}, inner)
        elif _norm(key, have) != _norm(key, want):
            changes[key] = (have, want)
    return changes
