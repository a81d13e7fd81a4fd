"""The composition root: the one place that builds the gateway, the stores and the services.

The web app and every CLI command get their collaborators from here. Each builder takes what
it is made of explicitly, so the web app can hand in the parts it shares (or that a test put in
its place) and the CLI builds a whole set for one realm with ``Root``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lrs_keycloak.config import RealmPolicy
    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.keycloak.users import UserDirectory
    from lrs_keycloak.services.api_clients import ApiClients
    from lrs_keycloak.services.console_trail import ConsoleTrail
    from lrs_keycloak.services.enforcement import Enforcer
    from lrs_keycloak.services.import_jobs import ImportJobs
    from lrs_keycloak.services.lifecycle import Lifecycle
    from lrs_keycloak.services.notices import Notices
    from lrs_keycloak.services.recovery import Mailer, RecoveryService
    from lrs_keycloak.services.reviews import Reviews
    from lrs_keycloak.services.signatories import SignatoryBook
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.store.deliveries import DeliveryLog
    from lrs_keycloak.store.idempotency import IdempotencyKeys
    from lrs_keycloak.store.recovery import RecoveryStore
    from lrs_keycloak.store.web_sessions import WebSessionStore

T = TypeVar("T")
#: Seconds after a build failed because Keycloak could not be reached during which callers get
#: the same answer at once: requests queued on the lock behind a hung Keycloak would otherwise
#: each wait out a timeout of their own, one after another.
RETRY_AFTER = 5.0

# --- the builders ---------------------------------------------------------------------------------


def build_policy(
    realm: str | None = None, config: Path | None = None, settings: Settings | None = None
) -> RealmPolicy:
    from lrs_keycloak.config import load_policy
    from lrs_keycloak.config.companion import with_companion

    settings = settings or load_settings()
    policy = load_policy(config or settings.config_path(), realm=realm)
    return with_companion(policy, settings.public_url, settings.companion_secret())


def build_gateway(realm: str, settings: Settings | None = None) -> KeycloakGateway:
    """A gateway on ``realm``, with the settings' admin credentials (refused outside local
    development when they are missing or admin/admin)."""
    from lrs_keycloak.keycloak.gateway import KeycloakGateway

    settings = settings or load_settings()
    settings.refuse_unsafe_admin()
    return KeycloakGateway(settings.keycloak(realm))


def build_directory(gateway: KeycloakGateway) -> UserDirectory:
    from lrs_keycloak.keycloak.users import UserDirectory

    return UserDirectory(gateway)


def build_engine(database_url: str | None = None, settings: Settings | None = None) -> Engine:
    """An engine on the store, refused when its schema is behind (see `upgrade_database`)."""
    from lrs_keycloak.store.db import make_engine

    return make_engine(database_url, settings=settings)


def upgrade_database(
    settings: Settings | None = None, database_url: str | None = None
) -> tuple[str | None, str]:
    """Bring the store's schema to this version's (``lrs-keycloak db upgrade``): the revisions
    it was at (None: a new database) and is at now."""
    from lrs_keycloak.store.db import head_revision, make_engine, schema_revision, upgrade

    engine = make_engine(database_url, settings=settings, check=False)
    try:
        with engine.connect() as connection:
            before = schema_revision(connection)
        upgrade(engine)
    finally:
        engine.dispose()
    return before, head_revision()


def database_revision(
    settings: Settings | None = None, database_url: str | None = None
) -> tuple[str | None, str]:
    """The store's schema revision (None: never migrated) and this version's (``lrs-keycloak db
    current``); changes nothing."""
    from lrs_keycloak.store.db import head_revision, make_engine, schema_revision

    engine = make_engine(database_url, settings=settings, check=False)
    try:
        with engine.connect() as connection:
            return schema_revision(connection), head_revision()
    finally:
        engine.dispose()


def build_user_admin(
    gateway: KeycloakGateway, engine: Engine, policy: RealmPolicy, notices: Notices | None = None
) -> UserAdmin:
    """The use cases; with ``notices``, the help desk hears when a suspension or removal takes
    an organisation's primary contact."""
    from lrs_keycloak.keycloak.contacts import OrganisationContacts
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.store.audit import AuditLog

    contacts = OrganisationContacts(gateway)
    return UserAdmin(
        build_directory(gateway), AuditLog(engine), policy, contacts=contacts, notices=notices
    )


def build_mailer(mailer: Mailer | None, settings: Settings) -> Mailer:
    """``mailer``, else one sending through the settings' LRS_SMTP_*."""
    from lrs_keycloak.services.recovery import SmtpMailer
    from lrs_keycloak.services.recovery.mail import SmtpSettings

    return mailer or SmtpMailer(SmtpSettings.from_env(settings))


def build_notices(
    gateway: KeycloakGateway,
    engine: Engine,
    mailer: Mailer | None = None,
    settings: Settings | None = None,
) -> Notices:
    """The emails of what happened on its own or elsewhere (services.notices), through
    ``mailer`` (else the settings' LRS_SMTP_*), to the help desk at LRS_HELPDESK_EMAIL."""
    from lrs_keycloak.keycloak.contacts import OrganisationContacts
    from lrs_keycloak.services.notices import Notices
    from lrs_keycloak.store.notices import NoticeLog

    settings = settings or load_settings()
    return Notices(
        build_directory(gateway),
        build_mailer(mailer, settings),
        settings.helpdesk_email,
        contacts=OrganisationContacts(gateway),
        sent=NoticeLog(engine),
        public_url=settings.public_url,
    )


def build_api_clients(gateway: KeycloakGateway, engine: Engine) -> ApiClients:
    """Organisations' integrating systems' API clients (docs/adr/0013)."""
    from lrs_keycloak.keycloak.api_clients import ApiClientDirectory
    from lrs_keycloak.services.api_clients import ApiClients
    from lrs_keycloak.store.audit import AuditLog

    return ApiClients(ApiClientDirectory(gateway), build_directory(gateway), AuditLog(engine))


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
    settings: Settings | None = None,
) -> RecoveryService:
    """The help desk's recovery service: ``secret`` signs the approval links, ``public_url``
    starts them and ``mailer`` sends them (else the settings': LRS_SECRET_KEY, LRS_PUBLIC_URL,
    LRS_SMTP_*)."""
    from lrs_keycloak.keycloak.contacts import OrganisationContacts
    from lrs_keycloak.services.recovery import ApprovalLinks, RecoveryService

    settings = settings or load_settings()
    return RecoveryService(
        admin,
        store,
        OrganisationContacts(gateway),
        build_mailer(mailer, settings),
        ApprovalLinks(secret or settings.signing_key()),
        public_url or settings.public_url,
        signatories=build_signatories(engine, admin),
    )


def build_console_trail(gateway: KeycloakGateway, admin: UserAdmin, engine: Engine) -> ConsoleTrail:
    """Console changes into the audit trail under who made them, and their reasons (ADR 16)."""
    from lrs_keycloak.keycloak.actors import Actors
    from lrs_keycloak.services.console_trail import ConsoleTrail
    from lrs_keycloak.store.console_changes import ConsoleChanges
    from lrs_keycloak.store.enforcement import EnforcementStore

    directory = build_directory(gateway)
    return ConsoleTrail(
        Actors(gateway),
        ConsoleChanges(engine),
        directory,
        EnforcementStore(engine),
        admin.audit,
        directory.client_uuid,
        frozenset(admin.policy.roles.names),
        admin.authorise,
    )


def build_enforcer(
    gateway: KeycloakGateway,
    admin: UserAdmin,
    engine: Engine,
    recovery: RecoveryStore,
    mailer: Mailer | None = None,
    settings: Settings | None = None,
) -> Enforcer:
    """The enforcer, on the same policy and audit log as ``admin`` and the same recovery cases
    as the help desk; it records console changes and puts back the last active super user,
    emailing whoever took them away through ``mailer`` (else the settings' LRS_SMTP_*)."""
    from lrs_keycloak.keycloak.actors import Actors
    from lrs_keycloak.services.enforcement import Enforcer
    from lrs_keycloak.services.last_super_user import LastSuperUser
    from lrs_keycloak.store.enforcement import EnforcementStore
    from lrs_keycloak.store.event_claims import EventClaims
    from lrs_keycloak.store.locks import engine_locks

    settings = settings or load_settings()
    mailer = build_mailer(mailer, settings)
    directory = build_directory(gateway)
    return Enforcer(
        directory,
        admin.policy,
        admin.audit,
        EnforcementStore(engine),
        recovery=recovery,
        trail=build_console_trail(gateway, admin, engine),
        last_super_user=LastSuperUser(directory, admin.audit, Actors(gateway), mailer),
        notices=build_notices(gateway, engine, mailer, settings),
        claims=EventClaims(engine, timedelta(seconds=settings.event_lease_seconds)),
        locks=engine_locks(engine),
    )


def build_lifecycle(
    admin: UserAdmin, engine: Engine, mailer: Mailer | None = None, settings: Settings | None = None
) -> Lifecycle:
    """End dates, inactivity and access reviews (realm-config/lifecycle.yaml) on ``admin``'s
    realm; its emails through ``mailer`` (else LRS_SMTP_*)."""
    from lrs_keycloak.services.lifecycle import Lifecycle
    from lrs_keycloak.services.notices import Notices
    from lrs_keycloak.services.reviews import Reviews
    from lrs_keycloak.store.lifecycle import LifecycleStore
    from lrs_keycloak.store.reviews import ReviewStore

    settings = settings or load_settings()
    mailer = build_mailer(mailer, settings)
    # The review's start is told to the super users through the notices (one place for who
    # hears of what), on the same mailer; only that notice is used, so no contacts or log.
    notices = Notices(
        admin.directory, mailer, settings.helpdesk_email, public_url=settings.public_url
    )
    reviews = Reviews(admin, ReviewStore(engine), mailer, notices)
    return Lifecycle(admin, LifecycleStore(engine), mailer, reviews)


def build_import_jobs(
    admin: UserAdmin, engine: Engine, settings: Settings | None = None
) -> ImportJobs:
    """Files of people accepted by the API, imported by the worker (docs/adr/0019); finished
    jobs kept ``LRS_IMPORT_JOB_DAYS``."""
    from lrs_keycloak.services.import_jobs import ImportJobs
    from lrs_keycloak.store.import_jobs import ImportJobStore

    settings = settings or load_settings()
    return ImportJobs(admin, ImportJobStore(engine), keep_days=settings.import_job_days)


def build_idempotency_keys(engine: Engine) -> IdempotencyKeys:
    from lrs_keycloak.store.idempotency import IdempotencyKeys

    return IdempotencyKeys(engine)


def build_delivery_log(engine: Engine, keep: timedelta) -> DeliveryLog:
    """The webhook deliveries accepted in the last ``keep`` (the replay guard)."""
    from lrs_keycloak.store.deliveries import DeliveryLog

    return DeliveryLog(engine, keep)


def on_keycloak_call(hook: Callable[[str, str, bool, float], None]) -> None:
    """Tell ``hook`` of every admin-API request any gateway makes (the web app's metrics):
    ``(method, outcome, ok, seconds)``, see `lrs_keycloak.keycloak.gateway.CALL_HOOKS`."""
    from lrs_keycloak.keycloak.gateway import CALL_HOOKS

    if hook not in CALL_HOOKS:
        CALL_HOOKS.append(hook)


# --- one realm's whole set: for a CLI command, and for the web app ------------------------------


class Root:
    """Everything for one realm, each part built once on first use (thread-safe).

    ``settings`` are read from the environment on first use when not given. A part whose build
    failed because Keycloak could not be reached fails at once for `RETRY_AFTER` seconds.
    """

    def __init__(
        self,
        realm: str | None = None,
        database_url: str | None = None,
        config: Path | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        self._realm = realm
        self._database_url = database_url
        self._config = config
        self._settings = settings
        self._built: dict[str, Any] = {}
        self._unavailable: dict[str, tuple[float, str]] = {}
        self._lock = threading.RLock()

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = load_settings()
            return self._settings

    def part(self, name: str, build: Callable[[], T]) -> T:
        """The part called ``name``, built by ``build`` the first time (once, even under
        threads). Also for parts the web app's blueprints make from these (their own names)."""
        found: Any = self._built.get(name)
        if found is None:
            with self._lock:
                found = self._built.get(name)
                if found is None:
                    failed = self._unavailable.get(name)
                    if failed is not None and time.monotonic() < failed[0]:
                        raise KeycloakUnavailable(failed[1])
                    try:
                        found = build()
                    except KeycloakUnavailable as error:
                        self._unavailable[name] = (time.monotonic() + RETRY_AFTER, str(error))
                        raise
                    self._built[name] = found
        result: T = found
        return result

    def provide(self, **parts: object) -> None:
        """Put parts in place of the ones this root would build (a test's fakes), by the names
        of the methods that return them (``user_admin=``, ``token_verifier=``…)."""
        with self._lock:
            self._built.update(parts)

    def policy(self) -> RealmPolicy:
        return self.part(
            "policy", lambda: build_policy(self._realm, self._config, settings=self.settings)
        )

    def gateway(self) -> KeycloakGateway:
        def build() -> KeycloakGateway:
            return build_gateway(self._realm or self.policy().realm, settings=self.settings)

        return self.part("gateway", build)

    def engine(self) -> Engine:
        return self.part("engine", lambda: build_engine(self._database_url, settings=self.settings))

    def user_admin(self) -> UserAdmin:
        return self.part(
            "user_admin",
            lambda: build_user_admin(self.gateway(), self.engine(), self.policy(), self.notices()),
        )

    def notices(self) -> Notices:
        return self.part(
            "notices", lambda: build_notices(self.gateway(), self.engine(), settings=self.settings)
        )

    def api_clients(self) -> ApiClients:
        return self.part("api_clients", lambda: build_api_clients(self.gateway(), self.engine()))

    def web_sessions(self) -> WebSessionStore:
        """What the app's processes share about sign-in: ended sessions, form post counts."""

        def build() -> WebSessionStore:
            from lrs_keycloak.store.web_sessions import WebSessionStore

            return WebSessionStore(self.engine())

        return self.part("web_sessions", build)

    def recovery_store(self) -> RecoveryStore:
        return self.part("recovery_store", lambda: build_recovery_store(self.engine()))

    def recovery(self) -> RecoveryService:
        def build() -> RecoveryService:
            return build_recovery(
                self.user_admin(),
                self.recovery_store(),
                self.gateway(),
                self.engine(),
                settings=self.settings,
            )

        return self.part("recovery", build)

    def enforcer(self) -> Enforcer:
        return self.part(
            "enforcer",
            lambda: build_enforcer(
                self.gateway(),
                self.user_admin(),
                self.engine(),
                self.recovery_store(),
                settings=self.settings,
            ),
        )

    def lifecycle(self) -> Lifecycle:
        return self.part(
            "lifecycle",
            lambda: build_lifecycle(self.user_admin(), self.engine(), settings=self.settings),
        )

    def reviews(self) -> Reviews:
        """Access reviews (guide §8): the lifecycle's, so both share one store and mailer."""
        reviews = self.lifecycle().reviews
        assert reviews is not None  # build_lifecycle always gives it one
        return reviews

    def console_trail(self) -> ConsoleTrail:
        """Console changes owing a reason, and adding it (dashboard, API, CLI)."""
        return self.part(
            "console_trail",
            lambda: build_console_trail(self.gateway(), self.user_admin(), self.engine()),
        )

    def resync(self) -> None:
        """Read the policy folder again and apply it to the realm (as `lrs-keycloak sync`
        does): after a change to the policy files, such as a published User Agreement."""
        from lrs_keycloak.keycloak.sync import apply, plan

        policy = build_policy(self._realm, self._config, settings=self.settings)
        with self._lock:
            self._built["policy"] = policy
        gateway = self.gateway()
        apply(gateway, plan(gateway, policy))

    def import_jobs(self) -> ImportJobs:
        return self.part(
            "import_jobs",
            lambda: build_import_jobs(self.user_admin(), self.engine(), self.settings),
        )

    def idempotency_keys(self) -> IdempotencyKeys:
        return self.part("idempotency_keys", lambda: build_idempotency_keys(self.engine()))

    def delivery_log(self, keep: timedelta) -> DeliveryLog:
        return self.part("replay_guard", lambda: build_delivery_log(self.engine(), keep))
