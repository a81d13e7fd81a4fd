"""Issue 11, served like a service: JSON log lines with a request id, Prometheus metrics, and
the forwarded headers of trusted proxies."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask

from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.web import create_app, logs
from lrs_keycloak.web.operations import access_log
from tests.support.mocked_keycloak import ADMIN, SETTINGS, TOKEN_URL

TOKEN = "eyJjYXNlIjo3fQ.ZmFrZS1zaWduYXR1cmU.c2VjcmV0LXRva2Vu-_x"
PRODUCTION = {
    "LRS_ENV": "production",
    "LRS_SECRET_KEY": "k" * 32,
    "LRS_WEBHOOK_SECRET": "w" * 32,
    "LRS_ADMIN_USERNAME": "operator",
    "LRS_ADMIN_PASSWORD": "not-admin",
    "LRS_COMPANION_CLIENT_SECRET": "c" * 32,
}


def _app(**config: Any) -> Flask:
    return create_app(
        {"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://", **config}
    )


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the access log writes, formatted as `lrs-keycloak serve` formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    access_log.addHandler(handler)
    level = access_log.level
    access_log.setLevel(logging.INFO)
    yield out
    access_log.removeHandler(handler)
    access_log.setLevel(level)


def _records(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


# --- logs ------------------------------------------------------------------------------------


def test_each_request_is_one_json_log_line_with_the_request_id_it_was_sent(
    lines: io.StringIO,
) -> None:
    answer = _app().test_client().get("/nowhere", headers={"X-Request-Id": "edge-42.a"})
    assert answer.headers["X-Request-Id"] == "edge-42.a"
    (record,) = _records(lines)
    assert record["request_id"] == "edge-42.a"
    assert (record["method"], record["path"], record["status"]) == ("GET", "/nowhere", 404)
    assert record["level"] == "INFO" and record["logger"] == "lrs_keycloak.access"


@pytest.mark.parametrize("given", [None, "", "a b", "x" * 129, "<script>", "id;x=y", "é"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_generated_one(
    lines: io.StringIO, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    answer = _app().test_client().get("/nowhere", headers=headers)
    made = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert _records(lines)[0]["request_id"] == made


def test_log_lines_written_while_handling_a_request_name_its_id(lines: io.StringIO) -> None:
    app = _app()
    other = logging.getLogger("lrs_keycloak.test")
    other.addHandler(access_log.handlers[-1])
    other.setLevel(logging.INFO)

    @app.get("/says-something")
    def says() -> str:
        other.info("working on it")
        return "done"

    try:
        app.test_client().get("/says-something", headers={"X-Request-Id": "r-1"})
    finally:
        other.removeHandler(access_log.handlers[-1])
    said, access = _records(lines)
    assert (said["message"], said["request_id"]) == ("working on it", "r-1")
    assert access["request_id"] == "r-1" and access["endpoint"] == "/says-something"


def test_json_log_lines_keep_the_approval_token_out(lines: io.StringIO) -> None:
    _app().test_client().get(f"/recovery/approve/{TOKEN}")
    assert TOKEN not in lines.getvalue()
    assert _records(lines)[0]["path"] == f"/recovery/approve/{logs.REDACTED}"


def test_an_error_is_logged_as_one_line_with_its_traceback_inside() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["exception"].startswith("Traceback")


# --- metrics ---------------------------------------------------------------------------------


def _count(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_a_request_by_endpoint_method_and_status() -> None:
    app = _app()
    app.add_url_rule("/ping/<name>", "ping", lambda name: "pong")
    client = app.test_client()
    labels = {"endpoint": "/ping/<name>", "method": "GET", "status": "200"}
    before = _count(client.get("/metrics").text, "lrs_http_requests_total", **labels)
    assert client.get("/ping/someone").status_code == 200
    exposed = client.get("/metrics")
    assert exposed.status_code == 200
    assert exposed.content_type.startswith("text/plain")
    assert _count(exposed.text, "lrs_http_requests_total", **labels) == before + 1
    assert _count(exposed.text, "lrs_http_request_duration_seconds_count", **labels) >= 1


def test_a_path_no_route_has_is_counted_as_unmatched_not_by_its_path() -> None:
    client = _app().test_client()
    client.get("/no/such/page/12345")
    text = client.get("/metrics").text
    assert "/no/such/page/12345" not in text
    assert 'endpoint="unmatched"' in text


@responses.activate
def test_metrics_count_keycloak_calls_and_errors_from_the_gateway() -> None:
    client = _app().test_client()
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "t", "expires_in": 300})
    responses.add(responses.GET, f"{ADMIN}/users", json=[])
    responses.add(responses.GET, f"{ADMIN}/groups", status=500, json={"error": "down"})
    text = client.get("/metrics").text
    ok = _count(text, "lrs_keycloak_requests_total", method="GET", outcome="200")
    failed = _count(text, "lrs_keycloak_errors_total", method="GET", outcome="500")
    gateway = KeycloakGateway(SETTINGS)
    gateway.call("GET", "/users")
    with pytest.raises(GatewayError):
        gateway.call("GET", "/groups")
    text = client.get("/metrics").text
    assert _count(text, "lrs_keycloak_requests_total", method="GET", outcome="200") == ok + 1
    assert _count(text, "lrs_keycloak_errors_total", method="GET", outcome="500") == failed + 1


def test_metrics_are_absent_in_production_without_a_token() -> None:
    assert _app(**PRODUCTION).test_client().get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token_when_one_is_set() -> None:
    client = _app(**PRODUCTION, LRS_METRICS_TOKEN="scrape-me").test_client()
    assert client.get("/metrics").status_code == 404
    wrong = {"Authorization": "Bearer scrape-you"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    right = {"Authorization": "Bearer scrape-me"}
    assert client.get("/metrics", headers=right).status_code == 200


# --- proxies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    lines: io.StringIO, proxies: int, seen: str
) -> None:
    client = _app(LRS_TRUSTED_PROXIES=proxies).test_client()
    client.get("/nowhere", headers={"X-Forwarded-For": "203.0.113.9"})
    assert _records(lines)[0]["remote_addr"] == seen
