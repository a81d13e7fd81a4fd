"""Integrating systems' API clients in Keycloak (docs/adr/0013): confidential clients with the
client-credentials grant only, one per organisation.

Each is marked with the organisation it was made for (attribute ``lrs.organisation``): the app
trusts a client named like an integration only when the mark matches, so a client made by hand
in the admin console under such a name is not taken for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from lrs_keycloak.keycloak.errors import NotFound
from lrs_keycloak.keycloak.gateway import KeycloakGateway

#: The client attribute naming the organisation the client was made for.
ORGANISATION_ATTRIBUTE = "lrs.organisation"


@dataclass(frozen=True)
class ApiClientRecord:
    """An integration's client as the services see it."""

    id: str  # Keycloak's id of the client (not its client id)
    client_id: str
    organisation_id: str | None  # its mark; None when it has none
    enabled: bool
    service_account_only: bool  # the client-credentials grant and no other, secret required


def representation(client_id: str, org_id: str, description: str) -> dict[str, Any]:
    """A confidential client whose only grant is client credentials (its service account)."""
    return {
        "clientId": client_id,
        "name": f"Integration of {org_id}",
        "description": description,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "bearerOnly": False,
        "clientAuthenticatorType": "client-secret",
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "frontchannelLogout": False,
        # No realm or client roles in its tokens: the app reads none, and it holds none.
        "fullScopeAllowed": False,
        "redirectUris": [],
        "webOrigins": [],
        "attributes": {
            ORGANISATION_ATTRIBUTE: org_id,
            "oauth2.device.authorization.grant.enabled": "false",
            "oidc.ciba.grant.enabled": "false",
            "client_credentials.use_refresh_token": "false",
        },
    }


def _record(found: dict[str, Any]) -> ApiClientRecord:
    attributes = found.get("attributes") or {}
    return ApiClientRecord(
        id=str(found["id"]),
        client_id=str(found["clientId"]),
        organisation_id=attributes.get(ORGANISATION_ATTRIBUTE),
        enabled=bool(found.get("enabled", False)),
        service_account_only=bool(
            found.get("serviceAccountsEnabled")
            and not found.get("publicClient")
            and not found.get("bearerOnly")
            and not found.get("standardFlowEnabled")
            and not found.get("implicitFlowEnabled")
            and not found.get("directAccessGrantsEnabled")
            and attributes.get("oauth2.device.authorization.grant.enabled") != "true"
            and attributes.get("oidc.ciba.grant.enabled") != "true"
        ),
    )


def _q(value: str) -> str:
    return quote(value, safe="")


class ApiClientDirectory:
    """The integrations' clients of one realm, through the admin API."""

    def __init__(self, gateway: KeycloakGateway) -> None:
        self.gw = gateway

    def find(self, client_id: str) -> ApiClientRecord | None:
        found = self.gw.find_client(client_id)
        # Keycloak's clientId filter is exact unless search=true; checked again all the same.
        if not found or found.get("clientId") != client_id:
            return None
        return _record(found)

    def create(self, client_id: str, org_id: str, description: str) -> str:
        """Make the client; its Keycloak id."""
        return self.gw.create("/clients", representation(client_id, org_id, description))

    def new_secret(self, client_uuid: str) -> str:
        """A new secret for the client; the one it had stops working at once."""
        made = self.gw.call("POST", f"/clients/{_q(client_uuid)}/client-secret")
        if not isinstance(made, dict) or not isinstance(made.get("value"), str):
            raise ValueError("Keycloak answered a new client secret without its value")
        secret: str = made["value"]
        return secret

    def delete(self, client_uuid: str) -> None:
        """Delete the client (and so its service account); gone already is done."""
        try:
            self.gw.call("DELETE", f"/clients/{_q(client_uuid)}")
        except NotFound:
            return

    def service_account_id(self, client_uuid: str) -> str | None:
        """The id of the client's service-account user; None without one."""
        try:
            user = self.gw.call("GET", f"/clients/{_q(client_uuid)}/service-account-user")
        except NotFound:
            return None
        if not isinstance(user, dict) or not user.get("id") or not user.get("enabled", True):
            return None
        return str(user["id"])


__all__ = ["ORGANISATION_ATTRIBUTE", "ApiClientDirectory", "ApiClientRecord", "representation"]
