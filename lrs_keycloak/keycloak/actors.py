"""Who made an admin change: ``authDetails`` of Keycloak's admin event resolved to the person.

``authDetails`` names the realm, client and user by id. A super user acts from the LRS realm
(the admin console's ``security-admin-console`` client); a realm administrator may act from the
master realm, and is shown as such. The companion app acts through its own admin client
(``LRS_ADMIN_CLIENT_ID`` in ``LRS_ADMIN_REALM``): those changes it recorded itself, so
``is_companion`` lets the trail leave them out (ADR 16).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """The person behind an admin change."""

    user_id: str
    username: str
    first_name: str
    last_name: str
    email: str | None
    #: The realm they logged on to; not the LRS realm's for a master-realm administrator.
    realm: str
    in_lrs_realm: bool

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username

    @property
    def actor(self) -> str:
        """How the audit trail's ``actor`` names them: the username in the LRS realm (as the
        app's own changes are recorded), else ``<realm>:<username>``."""
        return self.username if self.in_lrs_realm else f"{self.realm}:{self.username}"

    @property
    def label(self) -> str:
        if self.in_lrs_realm:
            return f"{self.name} ({self.username})"
        return f"{self.realm}-realm admin {self.username}"

    def as_details(self) -> dict[str, Any]:
        return {
            "actor_user_id": self.user_id,
            "actor_name": self.name,
            "actor_realm": self.realm,
            "actor_label": self.label,
        }


def _q(value: str) -> str:
    return quote(value, safe="")


class Actors:
    """Resolves ``authDetails``; realm ids and the companion's client are read once."""

    def __init__(self, gw: KeycloakGateway) -> None:
        self.gw = gw
        self._lock = threading.Lock()
        self._realms: dict[str, str] | None = None
        self._companion: tuple[str | None, str | None] | None = None

    def _realm_names(self) -> dict[str, str]:
        with self._lock:
            if self._realms is None:
                names: dict[str, str] = {}
                own = self.gw.get_realm() or {}
                if own.get("id"):
                    names[str(own["id"])] = self.gw.realm
                admin_realm = self.gw.settings.admin_realm
                try:
                    admin = self.gw.call("GET", f"admin/realms/{_q(admin_realm)}")
                    if isinstance(admin, dict) and admin.get("id"):
                        names[str(admin["id"])] = admin_realm
                except GatewayError:
                    pass  # a service account may not read its own realm: its ids stay unknown
                self._realms = names
            return self._realms

    def companion(self) -> tuple[str | None, str | None]:
        """(realm id, client uuid) the companion app's admin calls are made with."""
        if self._companion is None:
            admin_realm = self.gw.settings.admin_realm
            realm_id = next((i for i, n in self._realm_names().items() if n == admin_realm), None)
            client_uuid = None
            try:
                found = self.gw.call(
                    "GET",
                    f"admin/realms/{_q(admin_realm)}/clients",
                    params={"clientId": self.gw.settings.client_id},
                )
                if isinstance(found, list) and found:
                    client_uuid = str(found[0]["id"])
            except GatewayError:
                pass
            if client_uuid is None:
                # Then the app's own changes cannot be told from the console's and are
                # recorded twice: its admin account needs to read its own client (ADR 16).
                log.warning(
                    "Cannot read the admin client %s in realm %s: the companion app's own "
                    "changes will also be recorded as console changes",
                    self.gw.settings.client_id,
                    admin_realm,
                )
            self._companion = (realm_id, client_uuid)
        return self._companion

    def is_companion(self, auth: Mapping[str, Any]) -> bool:
        """The change was made by the companion app (its admin client), not in the console."""
        realm_id, client_uuid = self.companion()
        return (
            client_uuid is not None
            and auth.get("clientId") == client_uuid
            and (realm_id is None or auth.get("realmId") == realm_id)
        )

    def person(self, auth: Mapping[str, Any]) -> Actor | None:
        """The person, or None when Keycloak did not say (or they are gone)."""
        user_id, realm_id = auth.get("userId"), auth.get("realmId")
        if not isinstance(user_id, str) or not isinstance(realm_id, str):
            return None
        realm = self._realm_names().get(realm_id)
        if realm is None:
            return None
        try:
            user = self.gw.call("GET", f"admin/realms/{_q(realm)}/users/{_q(user_id)}")
        except GatewayError:
            return None
        if not isinstance(user, dict):
            return None
        return Actor(
            user_id,
            str(user.get("username", "")),
            str(user.get("firstName") or ""),
            str(user.get("lastName") or ""),
            user.get("email") or None,
            realm,
            realm == self.gw.realm,
        )


def unknown_actor(auth: Mapping[str, Any]) -> str:
    """The trail's actor when the person cannot be read (deleted since, or another realm)."""
    return f"keycloak-user:{auth.get('userId') or 'unknown'}"


__all__ = ["Actor", "Actors", "unknown_actor"]
