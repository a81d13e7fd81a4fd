"""The authenticator app of every person a test logs on (docs/adr/0015): the TOTP secret
Keycloak showed when they set it up, remembered per realm and username for the test process,
and codes computed from it with pyotp.

Keycloak refuses a code used once already (its OTP policy: codes are not reusable) and accepts
the codes of the time steps either side of now (look-around window 1). So each code handed out
is one not handed out before for that person: now's, else the next step's, else the previous
step's; only a fourth logon within the same 30 seconds waits for the next step.
"""

from __future__ import annotations

import base64
import threading
import time

import pyotp

_STEP = 30  # seconds: Keycloak's default TOTP period (realm OTP policy)
_secrets: dict[tuple[str, str], str] = {}
_used: dict[tuple[str, str], set[int]] = {}
_lock = threading.Lock()


def base32_of_raw(raw_secret: str) -> str:
    """The base32 key of the raw secret Keycloak's set-up form carries (`totpSecret`): what the
    "Unable to scan?" page shows, spaced in fours."""
    return base64.b32encode(raw_secret.encode()).decode().rstrip("=")


def remember(realm: str, username: str, base32_secret: str) -> None:
    """Keep the person's new authenticator key (a reset and a new set-up replace it)."""
    with _lock:
        _secrets[(realm, username)] = base32_secret.replace(" ", "").upper()
        _used[(realm, username)] = set()


def secret(realm: str, username: str) -> str | None:
    return _secrets.get((realm, username))


def code(realm: str, username: str) -> str:
    """A code Keycloak accepts now and has not seen for this person."""
    key = (realm, username)
    with _lock:
        if key not in _secrets:
            raise KeyError(f"no authenticator set up in this test run for {username} in {realm}")
        totp = pyotp.TOTP(_secrets[key])
        while True:
            now = int(time.time()) // _STEP
            for counter in (now, now + 1, now - 1):
                value = totp.at(counter * _STEP)
                if counter not in _used[key] and value not in {
                    totp.at(c * _STEP) for c in _used[key]
                }:
                    _used[key].add(counter)
                    return value
            time.sleep(_STEP - time.time() % _STEP + 0.5)


def wrong_code(realm: str, username: str) -> str:
    """A six-digit code that is none of the ones Keycloak would accept now."""
    key = (realm, username)
    totp = pyotp.TOTP(_secrets[key])
    now = int(time.time()) // _STEP
    near = {totp.at((now + d) * _STEP) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
