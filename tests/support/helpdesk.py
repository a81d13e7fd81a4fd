"""MIAP help desk agents for tests: realm users holding the realm role ``lrs-helpdesk``."""

from __future__ import annotations

from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory

PASSWORD = "a long enough passphrase 42"


def make_agent(gw: KeycloakGateway, given: str, family: str) -> str:
    """A MIAP help desk agent: a realm user with the realm role lrs-helpdesk and a password."""
    username = f"{given}.{family}".lower()
    gw.call(
        "POST",
        "/users",
        {
            "username": username,
            "enabled": True,
            "firstName": given,
            "lastName": family,
            "email": f"{username}@miap.example.org",
            "emailVerified": True,
            "attributes": {"title": ["Mr"], "verificationProvided": ["MIAP staff list"]},
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        },
    )
    user = UserDirectory(gw).find_user(username)
    assert user is not None
    role = gw.call("GET", "/roles/lrs-helpdesk")
    gw.call("POST", f"/users/{user.id}/role-mappings/realm", [role])
    return username
