"""The companion app's OIDC client (realm.yaml `companion_client`), completed from the settings.

realm.yaml declares what does not depend on where the app runs; its exact URIs (no wildcards)
come from ``LRS_PUBLIC_URL`` and its secret from ``LRS_COMPANION_CLIENT_SECRET`` (generated
under the cache's run/ folder in local development only), so that sync and the app agree.
The app's routes use the paths below: each is declared once, here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lrs_keycloak.config.model import RealmPolicy

#: Where Keycloak sends the browser back with the authorization code.
CALLBACK_PATH = "/auth/callback"
#: Where Keycloak sends the browser after RP-initiated logout ("You have signed out").
SIGNED_OUT_PATH = "/signed-out"
#: Where Keycloak posts a logout token when a session ends in Keycloak (back-channel logout).
BACKCHANNEL_LOGOUT_PATH = "/auth/backchannel-logout"


def companion_client(policy: RealmPolicy, public_url: str, secret: str | None) -> dict[str, Any]:
    """The client's representation as sync makes it: realm.yaml's fields, exact URIs on
    ``public_url`` and, when given, the secret. Empty when realm.yaml declares none."""
    if not policy.companion_client:
        return {}
    base = public_url.rstrip("/")
    declared = policy.companion_client
    client: dict[str, Any] = {
        **declared,
        "redirectUris": [base + CALLBACK_PATH],
        "webOrigins": [],
        "attributes": {
            **declared.get("attributes", {}),
            "post.logout.redirect.uris": base + SIGNED_OUT_PATH,
            "backchannel.logout.url": base + BACKCHANNEL_LOGOUT_PATH,
        },
    }
    if secret is not None:
        client["secret"] = secret
    return client


def with_companion(policy: RealmPolicy, public_url: str, secret: str | None) -> RealmPolicy:
    """``policy`` whose companion client is complete (`companion_client`)."""
    return replace(policy, companion_client=companion_client(policy, public_url, secret))
