"""Which access tokens the API trusts (issue 9 §4), with tokens signed by local keys and the
realm's key set served from 127.0.0.1: keys removed from the realm stop being trusted within
the key cache's lifespan, an unknown kid fetches the keys again, only tokens issued to the
API's own client are accepted, and the issuer is Keycloak's public URL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.errors import Unauthorised
from lrs_keycloak.web.tokens import API_CLIENT, JWKS_COOLDOWN, JWKS_LIFESPAN, TokenVerifier

REALM = "lrs-unit"


class Realm:
    """The realm's published keys (mutable), served as Keycloak's certs endpoint."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**public, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}


@pytest.fixture
def realm() -> Iterator[tuple[Realm, str]]:
    """A Keycloak stand-in on 127.0.0.1: (the realm, its base URL)."""
    served = Realm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != f"/realms/{REALM}/protocol/openid-connect/certs":
                self.send_error(404)
                return
            served.fetches += 1
            body = json.dumps(served.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Moves the monotonic clock PyJWT's key cache and cooldown read forward."""
    real = time.monotonic
    offset = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance


def _token(key: rsa.RSAPrivateKey, kid: str, issuer: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": f"{issuer}/realms/{REALM}",
        "sub": "id-1",
        "typ": "Bearer",
        "azp": API_CLIENT,
        "aud": "account",
        "iat": now - 10,
        "exp": now + 240,
        "preferred_username": "sue.super",
        **changes,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_a_token_signed_by_a_realm_key_with_every_claim_right_is_accepted(
    realm: tuple[Realm, str],
) -> None:
    keys, url = realm
    key = keys.add_key("k1")
    claims = TokenVerifier(url, REALM).verify(_token(key, "k1", url))
    assert claims["preferred_username"] == "sue.super"


def test_a_key_removed_from_the_realm_is_not_trusted_once_the_key_cache_expires(
    realm: tuple[Realm, str], clock: Callable[[float], None]
) -> None:
    keys, url = realm
    old = keys.add_key("old")
    keys.add_key("new")
    verifier = TokenVerifier(url, REALM)
    token = _token(old, "old", url)
    assert verifier.verify(token)
    del keys.keys["old"]  # rotated out of the realm (e.g. a leaked key)
    clock(JWKS_LIFESPAN + 1)
    with pytest.raises(Unauthorised) as refused:
        verifier.verify(token)
    assert refused.value.code == "invalid-token"


def test_an_unknown_kid_fetches_the_realms_keys_again(
    realm: tuple[Realm, str], clock: Callable[[float], None]
) -> None:
    keys, url = realm
    first = keys.add_key("first")
    verifier = TokenVerifier(url, REALM)
    assert verifier.verify(_token(first, "first", url))
    assert keys.fetches == 1
    added = keys.add_key("added")  # a key added to the realm, within the cache's lifespan
    clock(JWKS_COOLDOWN + 1)
    assert verifier.verify(_token(added, "added", url))
    assert keys.fetches == 2


def test_random_kids_do_not_make_every_request_fetch_the_keys(
    realm: tuple[Realm, str],
) -> None:
    keys, url = realm
    key = keys.add_key("k1")
    verifier = TokenVerifier(url, REALM)
    assert verifier.verify(_token(key, "k1", url))
    for n in range(5):
        with pytest.raises(Unauthorised):
            verifier.verify(_token(key, f"forged-{n}", url))
    assert keys.fetches == 1


def test_a_token_issued_to_another_client_is_refused_even_if_its_audience_names_the_api(
    realm: tuple[Realm, str],
) -> None:
    keys, url = realm
    key = keys.add_key("k1")
    # Keycloak puts lrs-portal in the aud of any client's tokens for holders of its roles.
    token = _token(key, "k1", url, azp="security-admin-console", aud=[API_CLIENT, "account"])
    with pytest.raises(Unauthorised) as refused:
        TokenVerifier(url, REALM).verify(token)
    assert "not issued to lrs-portal" in refused.value.message


def test_a_token_with_no_azp_is_refused(realm: tuple[Realm, str]) -> None:
    keys, url = realm
    key = keys.add_key("k1")
    token = _token(key, "k1", url, azp=None, aud=API_CLIENT)
    with pytest.raises(Unauthorised):
        TokenVerifier(url, REALM).verify(token)


def test_behind_a_proxy_the_issuer_is_keycloaks_public_url(realm: tuple[Realm, str]) -> None:
    keys, url = realm  # the keys are still fetched from the internal URL
    key = keys.add_key("k1")
    public = "https://login.lrs.example.gov.uk"
    verifier = TokenVerifier(url, REALM, public_url=public)
    assert verifier.verify(_token(key, "k1", public))
    with pytest.raises(Unauthorised):
        verifier.verify(_token(key, "k1", url))  # the internal name is not the issuer


def test_the_public_url_is_a_setting_defaulting_to_the_internal_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LRS_KEYCLOAK_URL", "http://keycloak:8080")
    monkeypatch.setenv("LRS_ENV", "development")  # the app starts without production secrets
    monkeypatch.delenv("LRS_KEYCLOAK_PUBLIC_URL", raising=False)
    assert keycloak_settings().issuer_url == "http://keycloak:8080"
    monkeypatch.setenv("LRS_KEYCLOAK_PUBLIC_URL", "https://login.lrs.example.gov.uk/")
    assert keycloak_settings().issuer_url == "https://login.lrs.example.gov.uk"
    app: Flask = create_app({"TESTING": True, "LRS_REALM": REALM, "LRS_DATABASE_URL": "sqlite://"})
    verifier = context.token_verifier(app)
    assert verifier.issuer == f"https://login.lrs.example.gov.uk/realms/{REALM}"
    assert verifier.jwks.uri.startswith(f"http://keycloak:8080/realms/{REALM}/")
