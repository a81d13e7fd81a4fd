"""The companion app's database unavailable for a moment (PostgreSQL behind the fault proxy,
every connection cut and new ones refused): requests answer 503 with a clear message (JSON on
the webhook and the API, a page for people), never a traceback; nothing is lost (a delivery
refused while it was away is taken when sent again); and the same app serves again once the
database is back, with no restart (docs/adr/0023)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from lrs_keycloak.services.recovery import ApprovalLinks, secret_key
from lrs_keycloak.web import create_app
from lrs_keycloak.web.hooks import sign
from tests.support.faultproxy import FaultProxy
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine


@pytest.fixture
def database(postgres_url: str) -> Iterator[tuple[str, FaultProxy]]:
    """A migrated schema of its own, and a URL that reaches it through the proxy."""
    with own_schema(postgres_url) as url:
        migrated_engine(url).dispose()
        real = make_url(url)
        proxy = FaultProxy(real.host or "127.0.0.1", real.port or 5432)
        try:
            proxied = real.set(host="127.0.0.1", port=proxy.port)
            yield proxied.render_as_string(hide_password=False), proxy
        finally:
            proxy.close()


@pytest.fixture
def app(database: tuple[str, FaultProxy]) -> Iterator[Flask]:
    url, _ = database
    app = create_app({"TESTING": True, "LRS_DATABASE_URL": url})
    yield app
    from lrs_keycloak.web import context

    context.engine(app).dispose()


Delivery = tuple[bytes, dict[str, str]]


def _delivery(client: FlaskClient, sent: Delivery) -> tuple[int, str]:
    """Post the delivery as the extension does (the same bytes and headers when resent)."""
    body, headers = sent
    answer = client.post("/hooks/keycloak", data=body, headers=headers)
    return answer.status_code, answer.get_data(as_text=True)


def _event(app: Flask) -> Delivery:
    # A login event the enforcer does not act on: only the receiving is under test here.
    body = json.dumps({"kind": "login", "type": "LOGIN", "id": uuid.uuid4().hex}).encode()
    timestamp = str(int(time.time()))
    signature = sign(app.config["LRS_WEBHOOK_SECRET"], timestamp, body)
    return body, {"X-LRS-Timestamp": timestamp, "X-LRS-Signature": signature}


def test_while_the_database_is_away_requests_answer_503_and_service_resumes_by_itself(
    app: Flask, database: tuple[str, FaultProxy]
) -> None:
    _, proxy = database
    client = app.test_client()
    before = _event(app)
    assert _delivery(client, before)[0] == 204
    link = "/recovery/approve/" + ApprovalLinks(secret_key()).issue(987654)
    assert client.get(link).status_code == 404  # no such case: the database answered

    proxy.down()
    during = _event(app)
    status, text = _delivery(client, during)
    assert status == 503
    assert "database cannot be reached" in json.loads(text)["error"]
    page = client.get(link)
    assert page.status_code == 503
    assert "Traceback" not in page.get_data(as_text=True)
    assert "try the link again later" in page.get_data(as_text=True)

    proxy.up()
    # Nothing lost: the delivery refused while the database was away is taken when sent again
    # (the extension retries; the worker's poll would also find its event). Nothing twice: the
    # one taken before is still refused as a replay.
    assert _delivery(client, during)[0] == 204
    assert _delivery(client, before)[0] == 401
    assert client.get(link).status_code == 404
