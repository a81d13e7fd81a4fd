"""What the app's blueprints share, built once per app on first use: the store's engine, the
user-administration service, the recovery cases (the help desk's API and the enforcer open and
close the same ones), and the access-token verifier."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask

from lrs_keycloak.composition import (
    build_engine,
    build_gateway,
    build_policy,
    build_recovery_store,
    build_user_admin,
)
from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.settings import keycloak_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.store.recovery import RecoveryStore
    from lrs_keycloak.web.tokens import TokenVerifier

T = TypeVar("T")
_lock = threading.RLock()
#: Seconds after a build failed because Keycloak could not be reached during which callers get
#: the same answer at once: requests queued on the lock behind a hung Keycloak would otherwise
#: each wait out a timeout of their own, one after another.
RETRY_AFTER = 5.0


def shared(app: Flask, key: str, build: Callable[[], T]) -> T:
    """`app.extensions[key]`, built by `build` the first time (once, even under threads)."""
    found: Any = app.extensions.get(key)
    if found is None:
        with _lock:
            found = app.extensions.get(key)
            if found is None:
                failed: tuple[float, str] | None = app.extensions.get(f"{key}.unavailable")
                if failed is not None and time.monotonic() < failed[0]:
                    raise KeycloakUnavailable(failed[1])
                try:
                    found = build()
                except KeycloakUnavailable as error:
                    retry_at = time.monotonic() + RETRY_AFTER
                    app.extensions[f"{key}.unavailable"] = (retry_at, str(error))
                    raise
                app.extensions[key] = found
    result: T = found
    return result


def engine(app: Flask) -> Engine:
    return shared(app, "lrs_engine", lambda: build_engine(app.config.get("LRS_DATABASE_URL")))


def gateway(app: Flask) -> KeycloakGateway:
    return shared(app, "lrs_gateway", lambda: build_gateway(app.config["LRS_REALM"]))


def user_admin(app: Flask) -> UserAdmin:
    def build() -> UserAdmin:
        policy = build_policy(app.config["LRS_REALM"])
        return build_user_admin(gateway(app), engine(app), policy)

    return shared(app, "lrs_user_admin", build)


def recovery_store(app: Flask) -> RecoveryStore:
    return shared(app, "lrs_recovery_store", lambda: build_recovery_store(engine(app)))


def token_verifier(app: Flask) -> TokenVerifier:
    def build() -> TokenVerifier:
        from lrs_keycloak.web.tokens import API_CLIENT, TokenVerifier

        settings = keycloak_settings()
        return TokenVerifier(
            settings.url,
            app.config["LRS_REALM"],
            app.config.get("LRS_API_CLIENT", API_CLIENT),
            public_url=settings.public_url,
            timeout=settings.timeout,
        )

    return shared(app, "lrs_token_verifier", build)
