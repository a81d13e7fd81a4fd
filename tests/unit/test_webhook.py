"""The extension's webhook: only genuine, fresh, first-time deliveries are accepted."""

from __future__ import annotations

import json
import time
from pathlib import Path

from flask.testing import FlaskClient

from lrs_keycloak.web import create_app
from lrs_keycloak.web.hooks import sign

SECRET = "test-secret"
BODY = json.dumps({"kind": "login", "type": "LOGIN", "userId": "u1"}).encode()


def _client(database: str = "sqlite://") -> FlaskClient:
    config = {"TESTING": True, "LRS_WEBHOOK_SECRET": SECRET, "LRS_DATABASE_URL": database}
    return create_app(config).test_client()


def _post(client: FlaskClient, body: bytes, timestamp: str, signature: str) -> int:
    return client.post(
        "/hooks/keycloak",
        data=body,
        headers={"X-LRS-Timestamp": timestamp, "X-LRS-Signature": signature},
        content_type="application/json",
    ).status_code


def test_a_genuine_delivery_is_accepted() -> None:
    ts = str(int(time.time()))
    assert _post(_client(), BODY, ts, sign(SECRET, ts, BODY)) == 204


def test_a_tampered_body_is_refused() -> None:
    ts = str(int(time.time()))
    signature = sign(SECRET, ts, BODY)
    assert _post(_client(), BODY.replace(b"u1", b"u2"), ts, signature) == 401


def test_a_delivery_signed_with_another_secret_is_refused() -> None:
    ts = str(int(time.time()))
    assert _post(_client(), BODY, ts, sign("other", ts, BODY)) == 401


def test_an_old_timestamp_is_refused_as_a_replay() -> None:
    ts = str(int(time.time()) - 3600)
    assert _post(_client(), BODY, ts, sign(SECRET, ts, BODY)) == 401


def test_the_same_delivery_twice_is_refused_the_second_time() -> None:
    client = _client()
    ts = str(int(time.time()))
    signature = sign(SECRET, ts, BODY)
    assert _post(client, BODY, ts, signature) == 204
    assert _post(client, BODY, ts, signature) == 401


def test_missing_headers_are_refused() -> None:
    response = _client().post("/hooks/keycloak", data=BODY)
    assert response.status_code == 401


def test_the_signature_matches_the_java_extensions_known_vectors() -> None:
    # The same vectors as keycloak-extension's WebhookSignerTest: both sides agree byte for byte.
    assert sign("topsecret", "1700000000", b'{"kind":"login","id":"e1"}') == (
        "sha256=c5b24fc18e642f22d94f43ecc94ce404dc44121533d92425b1281a966574f9e9"
    )
    assert sign("s\u00e9cret", "1700000000", '{"t":"\u00e9"}'.encode()) == (
        "sha256=3e5268c2bf36c1b61d6e222a01bccaf0812bd2f18175f46acb909c4732f1eae2"
    )


def test_a_delivery_replayed_to_another_app_process_is_refused(tmp_path: Path) -> None:
    # Two app processes share the database: what one accepted, the other refuses.
    database = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    ts = str(int(time.time()))
    signature = sign(SECRET, ts, BODY)
    assert _post(_client(database), BODY, ts, signature) == 204
    assert _post(_client(database), BODY, ts, signature) == 401
