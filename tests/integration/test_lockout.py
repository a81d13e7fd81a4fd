"""Guide §6.1: repeated wrong passwords lock the account; a slip of the finger does not."""

from __future__ import annotations

import time

from lrs_keycloak.keycloak.gateway import KeycloakGateway
from tests.support.oidc import LogonRefused, log_on
from tests.support.people import make_person

PASSWORD = "a long enough passphrase"


def _user(gw: KeycloakGateway, first: str, last: str) -> tuple[str, str]:
    return make_person(gw, first, last, password=PASSWORD)


def _wrong(gw: KeycloakGateway, username: str) -> None:
    try:
        log_on(gw.realm, username, "not the password")
    except LogonRefused:
        return
    raise AssertionError("a wrong password was accepted")


def test_two_quick_wrong_passwords_do_not_lock_the_account(
    synced_gateway: KeycloakGateway,
) -> None:
    username, user_id = _user(synced_gateway, "Quinn", "Doubleclick")
    _wrong(synced_gateway, username)
    _wrong(synced_gateway, username)
    time.sleep(1.0)  # Keycloak counts failures in the background
    status = synced_gateway.call("GET", f"/attack-detection/brute-force/users/{user_id}")
    assert status["disabled"] is False
    assert log_on(synced_gateway.realm, username, PASSWORD).code


def test_five_wrong_passwords_lock_the_account_until_reinstated(
    synced_gateway: KeycloakGateway,
) -> None:
    username, user_id = _user(synced_gateway, "Lena", "Lockwood")
    for _ in range(5):
        _wrong(synced_gateway, username)
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    status: dict = {}
    while time.monotonic() < deadline and not status.get("disabled"):
        status = synced_gateway.call("GET", f"/attack-detection/brute-force/users/{user_id}")
        time.sleep(0.3)
    assert status["disabled"] is True
    try:
        log_on(synced_gateway.realm, username, PASSWORD)
        raise AssertionError("a locked account logged on")
    except LogonRefused:
        pass
    user = synced_gateway.call("GET", f"/users/{user_id}")
    # Keycloak 26.7.3 disables a permanently locked user and says why.
    assert user["enabled"] is False
    assert user["attributes"]["disabledReason"] == ["permanentLockout"]
    # Reinstating (guide §6.1 "change the status to active") = clear the lock and enable.
    synced_gateway.call("DELETE", f"/attack-detection/brute-force/users/{user_id}")
    synced_gateway.call("PUT", f"/users/{user_id}", {"enabled": True})
    assert log_on(synced_gateway.realm, username, PASSWORD).code
