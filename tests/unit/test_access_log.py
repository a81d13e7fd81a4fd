"""The senior manager's approval token is a credential: it never reaches a log (issue 9 §4).

Werkzeug's server (what ``lrs-keycloak serve`` runs) logs one line a request with its path; the
path of the approval page is ``/recovery/approve/<token>``.
"""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.services.recovery import LinkRefused
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.logs import redact

TOKEN = "eyJjYXNlIjo3fQ.ZmFrZS1zaWduYXR1cmU.c2VjcmV0LXRva2Vu-_x"


class _Links:
    """A RecoveryService whose links are all expired, or all fail unexpectedly."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    def view_link(self, token: str, *args: Any) -> Any:
        if self.broken:
            raise RuntimeError("the store is down")
        raise LinkRefused(Violation("token", "link-expired", "This link has expired.", "§10.2"))

    decide_by_link = view_link


def _app(broken: bool = False) -> Flask:
    app = create_app(
        {"LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://", "LRS_ENFORCE": False}
    )
    context.provide(app, recovery=_Links(broken))
    return app


@pytest.fixture
def server() -> Iterator[int]:
    served = make_server("127.0.0.1", 0, _app(), threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served.port
    served.shutdown()
    served.server_close()
    thread.join(timeout=10)


def _get(port: int, method: str, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = "decision=approve" if method == "POST" else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_access_log_names_the_approval_page_but_never_its_token(
    server: int, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        status = _get(server, method, f"/recovery/approve/{TOKEN}?utm=mail")
    assert status == 410
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/recovery/approve/[redacted]" in line for line in lines), lines
    assert TOKEN not in caplog.text


def test_an_unexpected_error_on_the_approval_page_is_logged_without_its_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = _app(broken=True).test_client().get(f"/recovery/approve/{TOKEN}")
    assert answer.status_code == 500
    assert "the store is down" in caplog.text  # the detail is logged…
    assert TOKEN not in caplog.text  # …but not the credential


def test_redaction_leaves_other_paths_alone() -> None:
    assert (
        redact("GET /api/v1/recovery-cases/7 HTTP/1.1") == "GET /api/v1/recovery-cases/7 HTTP/1.1"
    )
    assert redact(f'"POST /recovery/approve/{TOKEN} HTTP/1.1" 200') == (
        '"POST /recovery/approve/[redacted] HTTP/1.1" 200'
    )
