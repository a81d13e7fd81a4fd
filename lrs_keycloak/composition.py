"""The composition root: the one place that builds the gateway, the stores and the services.

The web app and every CLI command get their collaborators from here. Each builder takes what
it is made of explicitly, so the web app can hand in the parts it shares (or that a test put in
its place) and the CLI builds a whole set for one realm with ``Root``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lrs_keycloak.settings import config_dir, keycloak_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lrs_keycloak.config import RealmPolicy
    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.keycloak.users import UserDirectory
    from lrs_keycloak.services.enforcement import Enforcer
    from lrs_keycloak.services.recovery import Mailer, RecoveryService
    from lrs_keycloak.services.signatories import SignatoryBook
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.store.recovery import RecoveryStore

T = TypeVar("T")
#: Where the senior manager's approval links point when LRS_PUBLIC_URL is not set.
LOCAL_PUBLIC_URL = "http://127.0.0.1:5000"


# --- the builders ---------------------------------------------------------------------------------


def build_policy(realm: str | None = None, config: Path | None = None) -> RealmPolicy:
    from lrs_keycloak.config import load_policy

    return load_policy(config or config_dir(), realm=realm)


def build_gateway(realm: str) -> KeycloakGateway:
    from lrs_keycloak.keycloak.gateway import KeycloakGateway

    return KeycloakGateway(keycloak_settings(realm))


def build_directory(gateway: KeycloakGateway) -> UserDirectory:
    from lrs_keycloak.keycloak.users import UserDirectory

    return UserDirectory(gateway)


def build_engine(database_url: str | None = None) -> Engine:
    from lrs_keycloak.store.db import make_engine

    return make_engine(database_url)


def build_user_admin(gateway: KeycloakGateway, engine: Engine, policy: RealmPolicy) -> UserAdmin:
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.store.audit import AuditLog

    return UserAdmin(build_directory(gateway), AuditLog(engine), policy)


def build_recovery_store(engine: Engine) -> RecoveryStore:
    from lrs_keycloak.store.recovery import RecoveryStore

    return RecoveryStore(engine)


def build_signatories(engine: Engine, admin: UserAdmin) -> SignatoryBook:
    from lrs_keycloak.services.signatories import SignatoryBook
    from lrs_keycloak.store.signatories import SignatoryStore

    return SignatoryBook(SignatoryStore(engine), admin.directory)


def build_recovery(
    admin: UserAdmin,
    store: RecoveryStore,
    gateway: KeycloakGateway,
    engine: Engine,
    secret: str | None = None,
    public_url: str | None = None,
    mailer: Mailer | None = None,
) -> RecoveryService:
    """The help desk's recovery service: ``secret`` signs the approval links (else
    ``LRS_SECRET_KEY``, or one generated for local development)."""
    from lrs_keycloak.keycloak.contacts import OrganisationContacts
    from lrs_keycloak.services.recovery import (
        ApprovalLinks,
        RecoveryService,
        SmtpMailer,
        secret_key,
    )

    return RecoveryService(
        admin,
        store,
        OrganisationContacts(gateway),
        mailer or SmtpMailer(),
        ApprovalLinks(secret or secret_key()),
        public_url or os.environ.get("LRS_PUBLIC_URL") or LOCAL_PUBLIC_URL,
        signatories=build_signatories(engine, admin),
    )


def build_enforcer(
    gateway: KeycloakGateway, admin: UserAdmin, engine: Engine, recovery: RecoveryStore
) -> Enforcer:
    """The enforcer, on the same policy and audit log as ``admin`` and the same recovery cases
    as the help desk."""
    from lrs_keycloak.services.enforcement import Enforcer
    from lrs_keycloak.store.enforcement import EnforcementStore

    return Enforcer(
        build_directory(gateway),
        admin.policy,
        admin.audit,
        EnforcementStore(engine),
        recovery=recovery,
    )


# --- one realm's whole set, for the CLI ----------------------------------------------------------


class Root:
    """Everything for one realm, each part built once on first use (thread-safe)."""

    def __init__(
        self,
        realm: str | None = None,
        database_url: str | None = None,
        config: Path | None = None,
    ) -> None:
        self._realm = realm
        self._database_url = database_url
        self._config = config
        self._built: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            found: T = self._built[name]
            return found

    def policy(self) -> RealmPolicy:
        return self._once("policy", lambda: build_policy(self._realm, self._config))

    def gateway(self) -> KeycloakGateway:
        return self._once("gateway", lambda: build_gateway(self.policy().realm))

    def engine(self) -> Engine:
        return self._once("engine", lambda: build_engine(self._database_url))

    def user_admin(self) -> UserAdmin:
        return self._once(
            "user_admin", lambda: build_user_admin(self.gateway(), self.engine(), self.policy())
        )

    def recovery_store(self) -> RecoveryStore:
        return self._once("recovery_store", lambda: build_recovery_store(self.engine()))

    def recovery(self) -> RecoveryService:
        return self._once(
            "recovery",
            lambda: build_recovery(
                self.user_admin(), self.recovery_store(), self.gateway(), self.engine()
            ),
        )

    def enforcer(self) -> Enforcer:
        return self._once(
            "enforcer",
            lambda: build_enforcer(
                self.gateway(), self.user_admin(), self.engine(), self.recovery_store()
            ),
        )


__all__ = [
    "Root",
    "build_directory",
    "build_enforcer",
    "build_engine",
    "build_gateway",
    "build_policy",
    "build_recovery",
    "build_recovery_store",
    "build_signatories",
    "build_user_admin",
]
