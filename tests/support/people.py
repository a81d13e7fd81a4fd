"""People made straight through the admin REST API, as a realm admin or the console would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs_keycloak.keycloak.gateway import KeycloakGateway


def make_person(
    gw: KeycloakGateway,
    first: str,
    last: str,
    *,
    orgs: Sequence[str] = (),
    password: str | None = None,
    email: bool = False,
) -> tuple[str, str]:
    """Create given.family (test set-up only: the product never sets a password); returns
    (username, id)."""
    username = f"{first}.{last}".lower()
    rep: dict[str, Any] = {
        "username": username,
        "firstName": first,
        "lastName": last,
        "enabled": True,
        "groups": [f"/organisations/{o}" for o in orgs],
        "attributes": {"title": ["Ms"], "verificationProvided": ["test set-up"]},
    }
    if email:
        rep["email"] = f"{username}@example.org"
    if password is not None:
        rep["credentials"] = [{"type": "password", "value": password, "temporary": False}]
    gw.call("POST", "/users", rep)
    (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
    return username, str(user["id"])


def set_password(gw: KeycloakGateway, username: str, password: str) -> None:
    """Give the person a password (test set-up only), so that tests can log on as them."""
    (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
    gw.call(
        "PUT",
        f"/users/{user['id']}/reset-password",
        {"type": "password", "value": password, "temporary": False},
    )
