"""An organisation's primary contact point (guide §9), kept as an attribute of its group.

"The initial Super User you gave us on your organisation application form is MIAP's primary
contact point." The help desk updates it when a New Super User Form says so (guide §10.2).
Sync keeps group attributes it does not manage, so the attribute survives re-syncs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lrs_keycloak.keycloak.gateway import KeycloakGateway

PRIMARY_CONTACT = "lrsPrimaryContact"


class OrganisationContacts:
    """Read and set the primary contact on an organisation's group."""

    def __init__(self, gateway: KeycloakGateway) -> None:
        self.gw = gateway

    def _group(self, group_id: str) -> dict[str, Any]:
        group: dict[str, Any] = self.gw.call("GET", f"/groups/{quote(group_id, safe='')}")
        return group

    def primary_contact(self, group_id: str) -> str | None:
        values = (self._group(group_id).get("attributes") or {}).get(PRIMARY_CONTACT) or []
        return values[0] if values else None

    def set_primary_contact(self, group_id: str, username: str) -> str | None:
        """Make ``username`` the primary contact; the previous one (None if there was none).

        Keycloak replaces a group's whole attribute map on PUT: the others are sent back as read.
        """
        group = self._group(group_id)
        attributes = dict(group.get("attributes") or {})
        previous = (attributes.get(PRIMARY_CONTACT) or [None])[0]
        attributes[PRIMARY_CONTACT] = [username]
        self.gw.call(
            "PUT",
            f"/groups/{quote(group_id, safe='')}",
            {"name": group["name"], "attributes": attributes},
        )
        return previous


__all__ = ["PRIMARY_CONTACT", "OrganisationContacts"]
