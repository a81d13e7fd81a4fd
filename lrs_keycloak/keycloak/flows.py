"""Admin-API calls for authentication flows and role composites (the second factor's sync,
docs/adr/0015), and for a user's second-factor credentials (resetting a lost factor).

Kept beside the gateway rather than in it: they are only used by sync/authentication.py and the
second-factor reset, and the gateway stays the plumbing plus the calls everyone shares.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.names import OTP_CREDENTIAL

_FLOWS = "/authentication/flows"


def _q(value: str) -> str:
    return quote(value, safe="")


# --- flows -----------------------------------------------------------------------------------


def find_flow(gw: KeycloakGateway, alias: str) -> Json | None:
    """The top-level flow called `alias`; None when there is none."""
    for flow in gw.call("GET", _FLOWS) or []:
        if flow.get("alias") == alias:
            return flow
    return None


def executions(gw: KeycloakGateway, alias: str) -> list[Json]:
    """Every execution of the flow, its sub-flows' too, in order (with `level` and `index`)."""
    return list(gw.call("GET", f"{_FLOWS}/{_q(alias)}/executions") or [])


def execution_config(gw: KeycloakGateway, config_id: str) -> dict[str, str]:
    found = gw.call("GET", f"/authentication/config/{_q(config_id)}") or {}
    return dict(found.get("config") or {})


def create_flow(gw: KeycloakGateway, alias: str, description: str) -> None:
    gw.call(
        "POST",
        _FLOWS,
        {
            "alias": alias,
            "description": description,
            "providerId": "basic-flow",
            "topLevel": True,
            "builtIn": False,
        },
    )


def add_execution(gw: KeycloakGateway, parent: str, provider: str) -> None:
    gw.call("POST", f"{_FLOWS}/{_q(parent)}/executions/execution", {"provider": provider})


def add_sub_flow(gw: KeycloakGateway, parent: str, alias: str, description: str) -> None:
    gw.call(
        "POST",
        f"{_FLOWS}/{_q(parent)}/executions/flow",
        {
            "alias": alias,
            "type": "basic-flow",
            "provider": "registration-page-form",
            "description": description,
        },
    )


def set_requirement(gw: KeycloakGateway, top: str, execution: Json, requirement: str) -> None:
    gw.call("PUT", f"{_FLOWS}/{_q(top)}/executions", {**execution, "requirement": requirement})


def add_config(gw: KeycloakGateway, execution_id: str, alias: str, config: dict[str, str]) -> None:
    gw.call(
        "POST",
        f"/authentication/executions/{_q(execution_id)}/config",
        {"alias": alias, "config": config},
    )


def rename_flow(gw: KeycloakGateway, flow: Json, alias: str) -> None:
    gw.call("PUT", f"{_FLOWS}/{_q(flow['id'])}", {**flow, "alias": alias})


def get_flow(gw: KeycloakGateway, flow_id: str) -> Json:
    return gw.call("GET", f"{_FLOWS}/{_q(flow_id)}")


def delete_flow(gw: KeycloakGateway, flow_id: str) -> None:
    gw.call("DELETE", f"{_FLOWS}/{_q(flow_id)}")


# --- role composites -------------------------------------------------------------------------


def _role_path(client_uuid: str | None, name: str) -> str:
    if client_uuid is None:
        return f"/roles/{_q(name)}"
    return f"/clients/{_q(client_uuid)}/roles/{_q(name)}"


def composites(gw: KeycloakGateway, client_uuid: str | None, name: str) -> list[Json]:
    """The roles a realm role (client_uuid None) or client role directly includes."""
    return list(gw.call("GET", f"{_role_path(client_uuid, name)}/composites") or [])


def add_composite(gw: KeycloakGateway, client_uuid: str | None, name: str, child: Json) -> None:
    gw.call("POST", f"{_role_path(client_uuid, name)}/composites", [child])


def remove_composite(gw: KeycloakGateway, client_uuid: str | None, name: str, child: Json) -> None:
    gw.call("DELETE", f"{_role_path(client_uuid, name)}/composites", [child])


def realm_role(gw: KeycloakGateway, name: str) -> Json:
    return gw.call("GET", f"/roles/{_q(name)}")


# --- a user's second factor ------------------------------------------------------------------


def otp_credentials(gw: KeycloakGateway, user_id: str) -> list[dict[str, Any]]:
    """The user's TOTP credentials (an authenticator app each); never their secrets."""
    found = gw.call("GET", f"/users/{_q(user_id)}/credentials") or []
    return [c for c in found if c.get("type") == OTP_CREDENTIAL]


def delete_credential(gw: KeycloakGateway, user_id: str, credential_id: str) -> None:
    gw.call("DELETE", f"/users/{_q(user_id)}/credentials/{_q(credential_id)}")
