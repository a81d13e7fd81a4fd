"""A hung Keycloak costs a caller a bounded wait and a clear 503, and does not hold up the rest
of the API (issue 9 §4). "Hung" is a socket on 127.0.0.1 that accepts connections and never
answers. Timings are only bounded loosely: the point is that calls return at all."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from flask import Flask

from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.web import context, create_app
from tests.support.openapi import CheckedClient

#: Far longer than the timeouts set below need, far shorter than python-keycloak's own 60 s.
GIVE_UP = 30.0


@pytest.fixture
def hung_keycloak(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Keycloak URL whose server accepts connections and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setenv("LRS_KEYCLOAK_URL", url)
    monkeypatch.setenv("LRS_ENV", "development")  # a stand-in Keycloak on this machine
    monkeypatch.setenv("LRS_ADMIN_USERNAME", "admin")
    monkeypatch.setenv("LRS_ADMIN_PASSWORD", "admin")
    monkeypatch.setenv("LRS_KEYCLOAK_TIMEOUT", "0.5")
    yield url
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`'s result (or exception), failing the test if it has not returned in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting for a hung Keycloak after {seconds} s"
    if "error" in outcome:
        return outcome["error"]
    return outcome["value"]


def test_the_gateway_gives_up_on_a_hung_keycloak_as_unavailable(hung_keycloak: str) -> None:
    error = _within(GIVE_UP, lambda: KeycloakGateway(keycloak_settings("lrs-unit")))
    assert isinstance(error, KeycloakUnavailable)
    assert hung_keycloak.removeprefix("http://") in str(error)


def test_the_timeout_is_a_setting_with_a_bounded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LRS_KEYCLOAK_TIMEOUT", raising=False)
    assert 0 < keycloak_settings().timeout <= 30
    monkeypatch.setenv("LRS_KEYCLOAK_TIMEOUT", "2.5")
    assert keycloak_settings().timeout == 2.5
    monkeypatch.setenv("LRS_KEYCLOAK_TIMEOUT", "0")
    with pytest.raises(ValueError, match="LRS_KEYCLOAK_TIMEOUT"):
        keycloak_settings()


def _app() -> Flask:
    # Not TESTING: errors are answered as in production.
    app = create_app(
        {"LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://", "LRS_ENFORCE": False}
    )
    app.test_client_class = CheckedClient  # each answer must be one the document describes
    return app


class _Verifier:
    def verify(self, token: str) -> dict[str, Any]:
        return {"preferred_username": "sue.super", "sub": "id-1"}


@pytest.mark.parametrize(
    "path", ["/api/v1/organisations/anytown-college/users", "/api/v1/recovery-cases"]
)
def test_a_token_checked_against_a_hung_keycloak_is_answered_503(
    hung_keycloak: str, path: str
) -> None:
    client = _app().test_client()
    # Well-formed, with a kid: verifying it needs the realm's keys, from the hung Keycloak.
    token = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256", headers={"kid": "k1"})
    bearer = {"Authorization": f"Bearer {token}"}
    answer = _within(GIVE_UP, lambda: client.get(path, headers=bearer))
    assert answer.status_code == 503
    assert answer.get_json()["errors"][0]["code"] == "keycloak-unavailable"


def test_a_user_admin_call_to_a_hung_keycloak_is_answered_503(hung_keycloak: str) -> None:
    app = _app()
    context.provide(app, token_verifier=_Verifier())
    path = "/api/v1/organisations/anytown-college/users"
    answer = _within(GIVE_UP, lambda: app.test_client().get(path, headers={"Authorization": "x"}))
    # No bearer scheme: 401 before any Keycloak call; with one, the gateway times out: 503.
    assert answer.status_code == 401
    answer = _within(
        GIVE_UP, lambda: app.test_client().get(path, headers={"Authorization": "Bearer x"})
    )
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["errors"][0]["code"] == "keycloak-unavailable"
    assert body["error_id"] in body["errors"][0]["message"]


def test_requests_arriving_together_at_a_hung_keycloak_do_not_wait_in_turn(
    hung_keycloak: str,
) -> None:
    app = _app()
    context.provide(app, token_verifier=_Verifier())
    path = "/api/v1/organisations/anytown-college/users"
    statuses: list[int] = []

    def one() -> None:
        statuses.append(
            app.test_client().get(path, headers={"Authorization": "Bearer x"}).status_code
        )

    callers = [threading.Thread(target=one) for _ in range(6)]
    started = time.monotonic()
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(GIVE_UP)
    elapsed = time.monotonic() - started
    assert statuses == [503] * 6
    # In turn, six callers would take six times one caller's wait (two 0.5 s timeouts each);
    # together, about one. Loosely bounded: only "in turn" is ruled out.
    assert elapsed < 6 * 2 * 0.5


def test_tokens_checked_together_against_a_hung_keycloak_do_not_wait_in_turn(
    hung_keycloak: str,
) -> None:
    app = _app()
    token = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256", headers={"kid": "k1"})
    path = "/api/v1/organisations/anytown-college/users"
    statuses: list[int] = []

    def one() -> None:
        answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
        statuses.append(answer.status_code)

    callers = [threading.Thread(target=one) for _ in range(10)]
    started = time.monotonic()
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(GIVE_UP)
    elapsed = time.monotonic() - started
    assert statuses == [503] * 10
    # The keys are fetched under a lock: in turn, ten callers would wait ten 0.5 s timeouts.
    assert elapsed < 10 * 0.5
