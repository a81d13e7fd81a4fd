"""Hostile input costs little (issue 9 §4): every request body is capped before it is read.

A body whose Content-Length is over the cap is refused with 413 without reading a byte of it;
a chunked body (no Content-Length) is refused as soon as it grows past the cap. The API answers
in its JSON error shape, checked against the OpenAPI document.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.hooks import sign
from lrs_keycloak.web.limits import API_BODY_LIMIT, WEBHOOK_BODY_LIMIT
from lrs_keycloak.web.openapi import SPEC
from tests.support.openapi import check_response

SECRET = "test-secret"
HUGE = 300 * 1024 * 1024
#: How much a test stream gives before it fails the test: far more than any cap, far less than
#: what the old code would have read into memory.
STREAM_BOUND = 4 * 1024 * 1024


class _Endless(io.RawIOBase):
    """An endless body (zeros) that counts what was read and refuses to go past STREAM_BOUND."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        if self.read_bytes + size > STREAM_BOUND:
            raise AssertionError(f"the app read more than {STREAM_BOUND} bytes of the body")
        buffer[:size] = b"0" * size
        self.read_bytes += size
        return size


@pytest.fixture
def app() -> Flask:
    return create_app(
        {
            "TESTING": True,
            "LRS_REALM": "lrs-unit",
            "LRS_DATABASE_URL": "sqlite://",
            "LRS_WEBHOOK_SECRET": SECRET,
        }
    )


def _send(
    app: Flask,
    method: str,
    path: str,
    body: _Endless,
    content_length: int | None,
    headers: dict[str, str] | None = None,
) -> tuple[Response, _Endless]:
    """One request whose body is `body`: with this Content-Length, or chunked (none, and the
    stream terminated by the server, as Werkzeug's and any chunk-decoding server say)."""
    environ = EnvironBuilder(
        path=path, method=method, headers=headers, content_type="application/json"
    ).get_environ()
    environ["wsgi.input"] = body
    environ.pop("CONTENT_LENGTH", None)
    if content_length is None:
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    app_iter, status, response_headers = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    return Response(app_iter, status, response_headers), body


_API_ROUTES = [
    ("POST", "/api/v1/organisations/anytown-college/users"),
    ("PUT", "/api/v1/organisations/anytown-college/users/sue.super/roles"),
    ("POST", "/api/v1/recovery-cases"),
    ("POST", "/api/v1/helpdesk/organisations"),
]


@pytest.mark.parametrize(("method", "path"), _API_ROUTES)
def test_an_api_body_whose_length_is_over_the_cap_is_refused_413_unread(
    app: Flask, method: str, path: str
) -> None:
    answer, body = _send(app, method, path, _Endless(), HUGE, {"Authorization": "Bearer x"})
    assert answer.status_code == 413
    assert body.read_bytes == 0
    problem = answer.get_json()["errors"][0]
    assert problem["code"] == "body-too-large" and str(API_BODY_LIMIT) in problem["message"]
    check_response(method, path, 413, answer.get_json())


@pytest.mark.parametrize(("method", "path"), _API_ROUTES)
def test_a_chunked_api_body_growing_past_the_cap_is_refused_413(
    app: Flask, method: str, path: str
) -> None:
    # A token that verifies, so that the route itself reads the body.
    class _Verifier:
        def verify(self, token: str) -> dict[str, Any]:
            return {"preferred_username": "sue.super", "sub": "id-1"}

    context.provide(app, token_verifier=_Verifier())
    answer, body = _send(app, method, path, _Endless(), None, {"Authorization": "Bearer x"})
    assert answer.status_code == 413
    assert body.read_bytes <= API_BODY_LIMIT + 64 * 1024
    check_response(method, path, 413, answer.get_json())


def test_an_unsigned_webhook_body_of_300_mib_is_refused_before_it_is_read(app: Flask) -> None:
    answer, body = _send(app, "POST", "/hooks/keycloak", _Endless(), HUGE)
    assert answer.status_code == 413
    assert body.read_bytes == 0
    assert str(WEBHOOK_BODY_LIMIT) in answer.get_json()["error"]


def test_a_chunked_webhook_body_growing_past_its_cap_is_refused_413(app: Flask) -> None:
    answer, body = _send(app, "POST", "/hooks/keycloak", _Endless(), None)
    assert answer.status_code == 413
    assert body.read_bytes <= WEBHOOK_BODY_LIMIT + 64 * 1024


def test_a_signed_webhook_delivery_larger_than_an_api_body_is_still_accepted(app: Flask) -> None:
    # Admin events carry whole representations: the webhook's cap is larger than the API's.
    event = {"kind": "admin", "id": "e1", "representation": "x" * (2 * API_BODY_LIMIT)}
    data = json.dumps(event).encode()
    ts = str(int(time.time()))
    answer = app.test_client().post(
        "/hooks/keycloak",
        data=data,
        content_type="application/json",
        headers={"X-LRS-Timestamp": ts, "X-LRS-Signature": sign(SECRET, ts, data)},
    )
    assert answer.status_code == 204


def test_the_senior_managers_form_over_the_cap_is_refused_413_unread(app: Flask) -> None:
    answer, body = _send(app, "POST", "/recovery/approve/some-token", _Endless(), HUGE)
    assert answer.status_code == 413
    assert body.read_bytes == 0


def test_the_cap_is_a_setting(app: Flask) -> None:
    small = create_app({"TESTING": True, "LRS_MAX_BODY_BYTES": 10, "LRS_DATABASE_URL": "sqlite://"})
    answer = small.test_client().post("/api/v1/recovery-cases", data=b"x" * 11)
    assert answer.status_code == 413
    assert "10 bytes" in answer.get_json()["errors"][0]["message"]


def test_every_api_operation_documents_413() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert "413" in operation["responses"], f"{method} {path}"


# --- the real development server ------------------------------------------------------------------


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    """The app behind Werkzeug's own server (the one `lrs-keycloak serve` runs), on 127.0.0.1."""
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", served.port
    served.shutdown()
    served.server_close()
    thread.join(timeout=10)


def test_the_server_answers_413_to_a_300_mib_content_length_without_waiting_for_it(
    server: tuple[str, int],
) -> None:
    host, port = server
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            b"POST /hooks/keycloak HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {HUGE}\r\n\r\n".encode()
            + b"{"
        )
        answer = http.client.HTTPResponse(conn)
        answer.begin()  # no body follows: only a refusal that reads nothing can come back
        assert answer.status == 413
        answer.read()


def test_the_server_answers_413_to_a_chunked_body_growing_past_the_cap(
    server: tuple[str, int],
) -> None:
    host, port = server
    conn = http.client.HTTPConnection(host, port, timeout=30)
    chunk = b"0" * 16 * 1024

    def chunks() -> Iterator[bytes]:
        for _ in range(WEBHOOK_BODY_LIMIT // len(chunk) + 1):  # one chunk past the cap
            yield chunk

    try:
        conn.request(
            "POST",
            "/hooks/keycloak",
            body=chunks(),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        answer = conn.getresponse()
        assert answer.status == 413
        answer.read()
    finally:
        conn.close()


def test_a_chunked_webhook_delivery_within_its_cap_arrives_whole(server: tuple[str, int]) -> None:
    host, port = server
    data = json.dumps({"kind": "admin", "id": "e2", "representation": "x" * 100_000}).encode()
    ts = str(int(time.time()))
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(
            "POST",
            "/hooks/keycloak",
            body=iter([data[:50_000], data[50_000:]]),
            headers={
                "Content-Type": "application/json",
                "X-LRS-Timestamp": ts,
                "X-LRS-Signature": sign(SECRET, ts, data),
            },
            encode_chunked=True,
        )
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 204  # the signature matched: every byte was read
    finally:
        conn.close()
