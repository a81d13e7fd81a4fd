"""A fake of the realm's OpenID provider for unit tests: discovery, keys, tokens signed by a
key of our own (served with ``responses``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

KEYCLOAK = "http://127.0.0.1:8080"
REALM = "lrs-unit"
ISSUER = f"{KEYCLOAK}/realms/{REALM}"
OIDC = f"{ISSUER}/protocol/openid-connect"
KID = "unit-key"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key()))
    return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}


def sign(claims: dict[str, Any], *, foreign_key: bool = False) -> str:
    key = _OTHER_KEY if foreign_key else _KEY
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def serve_provider(mock: responses.RequestsMock) -> None:
    mock.get(
        f"{ISSUER}/.well-known/openid-configuration",
        json={
            "issuer": ISSUER,
            "authorization_endpoint": f"{OIDC}/auth",
            "token_endpoint": f"{OIDC}/token",
            "jwks_uri": f"{OIDC}/certs",
            "end_session_endpoint": f"{OIDC}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
        },
    )
    mock.get(f"{OIDC}/certs", json=jwks())


def logout_token(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "aud": "lrs-companion",
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "sub": "u-super",
        "sid": "kc-session-1",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}
