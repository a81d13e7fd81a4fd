"""Checks Keycloak's back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6):
signed (RS256) by a key of the realm, issued by it to this client, with the logout event, a
session id, and no nonce."""

from __future__ import annotations

from typing import Any

import jwt

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class LogoutTokenError(ValueError):
    """The logout token is refused (the reason is the message)."""


def verify_logout_token(
    keys: jwt.PyJWKClient, token: str, *, issuer: str, audience: str
) -> dict[str, Any]:
    try:
        key = keys.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=issuer,
            audience=audience,
            options={"require": ["iat", "iss", "aud", "jti"]},
        )
    except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
        raise LogoutTokenError(f"the logout token is not valid: {error}") from error
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
        raise LogoutTokenError("the logout token carries no back-channel logout event")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token has no nonce")
    if not isinstance(claims.get("sid"), str):
        # The client asks for it (backchannel.logout.session.required): sessions are by sid.
        raise LogoutTokenError("the logout token names no session (sid)")
    return claims
