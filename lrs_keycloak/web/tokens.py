"""Which access tokens the app trusts: RS256 signed by a key of the realm, issued by it to the
API's own client, not expired.

Its own module, not part of `web.api`: `web.context` builds one verifier per app for the
super users' API and the help desk's, and the API's routes use `web.context`.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from lrs_keycloak.domain.api_clients import organisation_of
from lrs_keycloak.settings_keycloak import DEFAULT_KEYCLOAK_TIMEOUT
from lrs_keycloak.web.errors import Unauthorised

#: The OIDC client whose access tokens this API accepts (config ``LRS_API_CLIENT``).
API_CLIENT = "lrs-portal"
#: Seconds the realm's public keys are cached before they are fetched again: a signing key
#: removed from the realm is trusted at most this long afterwards.
JWKS_LIFESPAN = 300
#: Seconds after a fetch of the keys during which a token with an unknown kid is refused
#: without fetching them again (PyJWT's cooldown).
JWKS_COOLDOWN = 30
#: Seconds after the keys could not be fetched during which verifications fail at once (503).
JWKS_RETRY_AFTER = 5.0


class _RealmKeys(jwt.PyJWKClient):
    """PyJWT's key client, failing at once for JWKS_RETRY_AFTER seconds after a fetch failed.

    It fetches under a lock: while Keycloak hangs, every verification queued behind a fetch
    would otherwise wait out its own timeout in turn, and the whole API with them.
    """

    unreachable_until = 0.0

    def fetch_data(self) -> Any:
        if time.monotonic() < self.unreachable_until:
            raise jwt.PyJWKClientConnectionError("the realm's keys could not be fetched just now")
        try:
            return super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            self.unreachable_until = time.monotonic() + JWKS_RETRY_AFTER
            raise


class TokenVerifier:
    """Checks a realm's access tokens: RS256 signature by a realm key, issuer, azp, expiry.

    The keys are fetched from ``keycloak_url`` (how this app reaches Keycloak); the issuer is
    ``public_url`` (how browsers reach it, and so what Keycloak writes in ``iss`` behind a
    proxy), the same URL when none is given.
    """

    def __init__(
        self,
        keycloak_url: str,
        realm: str,
        client_id: str = API_CLIENT,
        public_url: str | None = None,
        timeout: float = DEFAULT_KEYCLOAK_TIMEOUT,
    ) -> None:
        self.issuer = f"{(public_url or keycloak_url).rstrip('/')}/realms/{realm}"
        self.client_id = client_id
        # Only the key set is cached, for JWKS_LIFESPAN: a key removed from the realm is no
        # longer trusted once it expires. (PyJWT's per-key cache, cache_keys, never expires.)
        # A kid not in the set fetches it again at once, unless the set was fetched in the last
        # JWKS_COOLDOWN seconds: random kids must not make every request a fetch.
        self.jwks = _RealmKeys(
            f"{keycloak_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/certs",
            cache_keys=False,
            lifespan=JWKS_LIFESPAN,
            cooldown_duration=JWKS_COOLDOWN,
            timeout=timeout,
        )

    def verify_integration(self, token: str) -> dict[str, Any]:
        """``verify``, for a token issued to an organisation's API client (``azp``
        ``lrs-api-<org>``, docs/adr/0013) as well: the caller must then check that the client
        is one and ``sub`` its service account (``services.api_clients.ApiClients.caller``)."""
        return self.verify(token, integrations=True)

    def verify(self, token: str, *, integrations: bool = False) -> dict[str, Any]:
        """The token's claims; raises Unauthorised with the reason it is refused."""
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "iss", "sub"],
                    # Keycloak's access tokens name the resource servers in `aud` (often
                    # "account") and the client they were issued to in `azp`: checked below.
                    "verify_aud": False,
                },
            )
        except jwt.PyJWKClientConnectionError:
            raise
        except jwt.ExpiredSignatureError as error:
            raise Unauthorised("token-expired", "The access token has expired.") from error
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise Unauthorised(
                "invalid-token", f"The access token is not valid: {error}"
            ) from error
        if claims.get("typ") != "Bearer":
            raise Unauthorised("invalid-token", "Only access tokens are accepted (typ Bearer).")
        # Issued to this API's own client, whatever `aud` says: Keycloak adds lrs-portal to the
        # `aud` of any client's tokens for users holding its (client) roles, e.g. the admin
        # console's, so an audience alone would let other clients' tokens in.
        azp = claims.get("azp")
        if azp != self.client_id and not (integrations and organisation_of(azp) is not None):
            raise Unauthorised(
                "invalid-token", f"The access token was not issued to {self.client_id}."
            )
        if not isinstance(claims.get("preferred_username"), str):
            raise Unauthorised("invalid-token", "The access token names no user.")
        return claims


def claimed_client(token: str) -> str | None:
    """The ``azp`` a token claims, read WITHOUT verifying it: only to choose how to verify it
    (``TokenVerifier.verify`` or ``verify_integration``), never to trust it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    azp = claims.get("azp") if isinstance(claims, dict) else None
    return azp if isinstance(azp, str) else None
