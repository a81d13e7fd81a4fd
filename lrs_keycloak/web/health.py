"""``/healthz``: whether the app can do its work, i.e. whether its database and Keycloak answer.

200 with each dependency's status when both answer; 503 naming the one that did not. Each check
waits at most `CHECK_SECONDS` (a hung dependency must not hang the orchestrator's probe, nor a
worker), and an answer says what failed in a few words, never a traceback (the log has it).

- database: the store's engine (refused when its schema is behind) runs ``SELECT 1``;
- keycloak: the realm's public endpoint (``/realms/<realm>``) answers 200, so Keycloak is up
  and the realm this app serves exists (the admin token is not fetched: a probe every few
  seconds must not log in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimedOut
from typing import Any

import requests
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from lrs_keycloak import __version__
from lrs_keycloak.web import context

CHECK_SECONDS = 2.0
UP, DOWN = "UP", "DOWN"
log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
# Shared by every request, so that checks stuck on a hung dependency cannot pile up threads
# without bound: at most this many run at once, the rest wait (and time out) in the queue.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lrs-health")


def database(app: Flask) -> None:
    with context.engine(app).connect() as connection:
        connection.execute(text("SELECT 1"))


def keycloak(app: Flask) -> None:
    settings = context.settings(app)
    url = f"{settings.keycloak_url.rstrip('/')}/realms/{app.config['LRS_REALM']}"
    response = requests.get(url, timeout=CHECK_SECONDS, verify=settings.keycloak_verify_tls)
    if response.status_code != 200:
        raise RuntimeError(f"realm {app.config['LRS_REALM']} answered HTTP {response.status_code}")


CHECKS: dict[str, Callable[[Flask], None]] = {"database": database, "keycloak": keycloak}


def _reason(error: BaseException) -> str:
    if isinstance(error, requests.RequestException):
        return "unreachable"
    if isinstance(error, RuntimeError) and error.args:
        return str(error.args[0])
    name = type(error).__name__
    return "schema out of date (run lrs-keycloak db upgrade)" if name == "SchemaOutOfDate" else name


def report(app: Flask) -> dict[str, dict[str, str]]:
    """Each dependency's status, the checks run side by side."""
    running = {name: _checks.submit(check, app) for name, check in CHECKS.items()}
    statuses: dict[str, dict[str, str]] = {}
    for name, future in running.items():
        try:
            future.result(timeout=CHECK_SECONDS + 0.5)
            statuses[name] = {"status": UP}
        except CheckTimedOut:
            statuses[name] = {"status": DOWN, "error": f"no answer within {CHECK_SECONDS:g} s"}
        except Exception as error:
            log.warning("Health check %s failed: %s", name, error)
            statuses[name] = {"status": DOWN, "error": _reason(error)}
    return statuses


@bp.get("/healthz")
def healthz() -> Any:
    checks = report(current_app._get_current_object())  # type: ignore[attr-defined]
    up = all(check["status"] == UP for check in checks.values())
    body = jsonify(status=UP if up else DOWN, version=__version__, checks=checks)
    return body, 200 if up else 503
