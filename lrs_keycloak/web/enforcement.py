"""Wires the enforcer into the companion app: it reacts to the webhook's deliveries.

Only that: the poller (what the webhook missed) and the grace-period sweep are background work
and run in their own process, `lrs-keycloak worker` (lrs_keycloak/cli/worker.py), never in a web
worker, of which gunicorn runs several and restarts any at will. A delivery is handled on one
thread off the request, so the extension is answered at once."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

from lrs_keycloak.services.enforcement import LOCKOUT

log = logging.getLogger(__name__)


class EnforcerRunner:
    """Builds the enforcer on first use (Keycloak may start after the app) and runs it off the
    request thread, one event at a time, so a webhook delivery is answered at once."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._enforcer: Any = None
        self._realm_id: str | None = None
        self._build_lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrs-enforcer")

    def enforcer(self) -> Any:
        with self._build_lock:
            if self._enforcer is None:
                from lrs_keycloak.composition import build_enforcer
                from lrs_keycloak.web import context

                # The same gateway, policy and store as the app's user administration, and the
                # same recovery cases as the help desk's API.
                gateway = context.gateway(self.app)
                self._realm_id = (gateway.get_realm() or {}).get("id")
                self._enforcer = build_enforcer(
                    gateway,
                    context.user_admin(self.app),
                    context.engine(self.app),
                    context.recovery_store(self.app),
                )
            return self._enforcer

    def on_event(self, event: dict[str, Any]) -> None:
        # Admin events, and the login event of a permanent lockout (which disables an account
        # without any admin event).
        if event.get("kind") == "admin" or event.get("type") == LOCKOUT:
            self._worker.submit(self._handle, event)

    def _handle(self, event: dict[str, Any]) -> None:
        try:
            enforcer = self.enforcer()
            if event.get("realmId") == self._realm_id:
                enforcer.handle(event)
        except Exception:  # a bad event must not stop the thread; the worker's poll retries
            log.exception("The enforcer could not handle event %s", event.get("id"))

    def stop(self) -> None:
        self._worker.shutdown(wait=False)


def install(app: Flask) -> EnforcerRunner:
    runner = EnforcerRunner(app)
    app.extensions["lrs_enforcer"] = runner
    app.extensions.setdefault("lrs_event_handlers", []).append(runner.on_event)
    return runner
