"""What the app's blueprints share: one `Root` of the composition (``app.extensions["lrs"]``),
which `create_app` puts in place and which builds each part once per app on first use: the
store's engine, the user-administration service, the recovery cases (the help desk's API and
the enforcer open and close the same ones), and the access-token verifier.

The functions below are the typed way in. A test puts its fakes in place with `provide`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from flask import Flask

from lrs_keycloak.composition import RETRY_AFTER, Root

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.services.ports import Flags
    from lrs_keycloak.services.recovery import RecoveryService
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.settings import Settings
    from lrs_keycloak.store.deliveries import DeliveryLog
    from lrs_keycloak.store.idempotency import IdempotencyKeys
    from lrs_keycloak.store.recovery import RecoveryStore
    from lrs_keycloak.web.tokens import TokenVerifier

T = TypeVar("T")
KEY = "lrs"

__all__ = [
    "RETRY_AFTER",
    "delivery_log",
    "engine",
    "flags",
    "gateway",
    "idempotency_keys",
    "install",
    "provide",
    "recovery",
    "recovery_store",
    "root",
    "settings",
    "shared",
    "token_verifier",
    "user_admin",
]


def install(app: Flask, root: Root) -> None:
    app.extensions[KEY] = root


def root(app: Flask) -> Root:
    found: Root = app.extensions[KEY]
    return found


def settings(app: Flask) -> Settings:
    return root(app).settings


def provide(app: Flask, **parts: object) -> None:
    """Put parts in place of the ones the app would build (`Root.provide`)."""
    root(app).provide(**parts)


def shared(app: Flask, name: str, build: Callable[[], T]) -> T:
    """A part a blueprint makes from the shared ones, built by ``build`` the first time (once,
    even under threads). The ``lrs_`` that the names had as extension keys is dropped, so
    that ``"lrs_recovery"`` is `recovery`'s part."""
    return root(app).part(name.removeprefix("lrs_"), build)


def engine(app: Flask) -> Engine:
    return root(app).engine()


def gateway(app: Flask) -> KeycloakGateway:
    return root(app).gateway()


def user_admin(app: Flask) -> UserAdmin:
    return root(app).user_admin()


def flags(app: Flask) -> Flags:
    """The enforcer's flags (its store), which reports and the dashboard show."""
    return root(app).enforcer().store


def recovery_store(app: Flask) -> RecoveryStore:
    return root(app).recovery_store()


def recovery(app: Flask) -> RecoveryService:
    return root(app).recovery()


def idempotency_keys(app: Flask) -> IdempotencyKeys:
    return root(app).idempotency_keys()


def delivery_log(app: Flask, keep: timedelta) -> DeliveryLog:
    return root(app).delivery_log(keep)


def token_verifier(app: Flask) -> TokenVerifier:
    """The checker of the realm's access tokens for the API's client (``LRS_API_CLIENT``)."""

    def build() -> TokenVerifier:
        from lrs_keycloak.web.tokens import API_CLIENT, TokenVerifier

        keycloak = settings(app).keycloak(app.config["LRS_REALM"])
        return TokenVerifier(
            keycloak.url,
            keycloak.realm,
            app.config.get("LRS_API_CLIENT", API_CLIENT),
            public_url=keycloak.public_url,
            timeout=keycloak.timeout,
        )

    return root(app).part("token_verifier", build)
