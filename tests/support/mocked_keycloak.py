"""A gateway whose HTTP answers `responses` provides (error paths and exact request URLs)."""

from __future__ import annotations

from lrs_keycloak.settings import KeycloakSettings

URL = "http://kc.test"
ADMIN = f"{URL}/admin/realms/lrs"
TOKEN_URL = f"{URL}/realms/master/protocol/openid-connect/token"
SETTINGS = KeycloakSettings(
    url=URL,
    realm="lrs",
    admin_realm="master",
    username="admin",
    password="pw",
    client_id="admin-cli",
    client_secret=None,
    verify_tls=True,
)
