"""Reads the enforcer needs: a user's organisations, and Keycloak's stored admin events."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP

_PREFIX = f"/{ORGANISATIONS_GROUP}/"


def user_organisation_ids(gw: KeycloakGateway, user_id: str) -> list[str]:
    """The organisations (groups under /organisations) the user is a member of."""
    groups = gw.paged(f"/users/{quote(user_id, safe='')}/groups", {"briefRepresentation": "true"})
    return sorted(
        g["path"][len(_PREFIX) :]
        for g in groups
        if g.get("path", "").startswith(_PREFIX) and "/" not in g["path"][len(_PREFIX) :]
    )


def admin_events_since(gw: KeycloakGateway, time_ms: int) -> list[dict[str, Any]]:
    """Stored admin events at or after `time_ms`, oldest first (Keycloak lists newest first)."""
    events = list(gw.paged("/admin-events", {"dateFrom": str(time_ms)}, page=500))
    return sorted(events, key=lambda e: (e.get("time", 0), e.get("id", "")))


def login_events_since(gw: KeycloakGateway, time_ms: int, event_type: str) -> list[dict[str, Any]]:
    """Stored login events of one type at or after `time_ms`, oldest first."""
    events = list(gw.paged("/events", {"dateFrom": str(time_ms), "type": event_type}, page=500))
    return sorted(events, key=lambda e: (e.get("time", 0), e.get("id", "")))
