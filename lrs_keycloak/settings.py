"""The settings: one typed object, read from the environment (``LRS_*``) and checked at start.

With no configuration at all every command talks to the local development server that
`lrs-keycloak keycloak start` runs; any other Keycloak is reached by setting the variables in
docs/settings.md (generated from `Settings`: ``python -m lrs_keycloak.settings_doc``). Secrets
only ever come from the environment, or, in local development only, from files generated once
in the cache folder.

**Local development** is ``LRS_ENV=development``; when ``LRS_ENV`` is not set, it is local
development exactly when ``LRS_KEYCLOAK_URL`` is the local server (http on a loopback host,
port 8080: ``http://127.0.0.1:8080``, ``http://localhost:8080``), and production otherwise.
Outside local development no secret is generated and no admin credentials are assumed: see
`Settings.production_problems` (docs/adr/0010).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, JsonValue, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lrs_keycloak.settings_keycloak import (
    DEFAULT_KEYCLOAK_TIMEOUT,
    LOCAL_KEYCLOAK_URL,
    KeycloakSettings,
    is_local_keycloak,
)
from lrs_keycloak.settings_limits import API_BODY_LIMIT, IMPORT_BODY_LIMIT, WEBHOOK_BODY_LIMIT
from lrs_keycloak.settings_secrets import generated_secret

KEYCLOAK_VERSION = "26.7.3"
LOCAL_MANAGEMENT_URL = "http://127.0.0.1:9000"
#: Where the senior manager's approval links point in local development (the companion app).
LOCAL_PUBLIC_URL = "http://127.0.0.1:5000"
ENV_PREFIX = "LRS_"

#: The checkout when running from one; once installed, site-packages (never write there).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where the wheel keeps its copy of realm-config/ (copied in at build time by setup.py).
PACKAGED_CONFIG = ("defaults", "realm-config")

Environment = Literal["development", "production"]


class SettingsError(ValueError):
    """A setting is refused: the message names the variable and says why, on one line."""


def _shown(default: str) -> dict[str, JsonValue]:
    """How docs/settings.md shows a default that is worked out rather than a value."""
    return {"default_doc": default}


class Settings(BaseSettings):
    """Every setting of the CLI and the companion app. Read once (`load_settings`) and handed
    to the composition root; the field order is docs/settings.md's order."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,  # VAR= is the same as not setting VAR (as before)
        frozen=True,
        extra="ignore",
        populate_by_name=True,  # values handed in by field name too (load_settings, replace)
    )

    env: Environment | None = Field(
        None,
        description="`production` refuses generated secrets and assumed admin credentials",
        json_schema_extra=_shown(
            "`development` when `LRS_KEYCLOAK_URL` is the local default, else `production`"
        ),
    )
    # --- Keycloak ---
    keycloak_url: str = Field(LOCAL_KEYCLOAK_URL, description="Keycloak to manage")
    keycloak_public_url: str | None = Field(
        None,
        description="Keycloak as browsers reach it (behind a proxy): the issuer the API "
        "requires in access tokens; the keys are still fetched from `LRS_KEYCLOAK_URL`",
        json_schema_extra=_shown("`LRS_KEYCLOAK_URL`"),
    )
    keycloak_timeout: float = Field(
        DEFAULT_KEYCLOAK_TIMEOUT,
        gt=0,
        le=300,
        description="seconds any call to Keycloak may wait to connect or for its answer's "
        "next bytes (python-keycloak retries once); a hung Keycloak is answered 503",
    )
    keycloak_verify_tls: bool = Field(True, description="set `false` only for a test server")
    realm: str = Field("lrs", description="realm name")
    admin_realm: str = Field("master", description="realm the admin credentials belong to")
    admin_username: str | None = Field(
        None,
        description="admin user (refused as `admin`/`admin` outside local development)",
        json_schema_extra=_shown(
            "local development on the local Keycloak only: `KC_BOOTSTRAP_ADMIN_USERNAME`, "
            "else `admin`"
        ),
    )
    admin_password: SecretStr | None = Field(
        None,
        description="the admin user's password",
        json_schema_extra=_shown(
            "local development on the local Keycloak only: `KC_BOOTSTRAP_ADMIN_PASSWORD`, "
            "else `admin`"
        ),
    )
    admin_client_id: str = Field("admin-cli", description="client of the admin credentials")
    admin_client_secret: SecretStr | None = Field(
        None, description="use this client's service account instead of an admin user"
    )
    # Keycloak's own names for the local server's first admin (the launcher sets them too).
    bootstrap_admin_username: str | None = Field(
        None,
        alias="KC_BOOTSTRAP_ADMIN_USERNAME",
        description="Keycloak's own variable: the local server's first admin",
    )
    bootstrap_admin_password: SecretStr | None = Field(
        None,
        alias="KC_BOOTSTRAP_ADMIN_PASSWORD",
        description="Keycloak's own variable: that admin's password",
    )
    # --- files ---
    config_dir: Path | None = Field(
        None,
        description="policy folder (docs/adr/0008)",
        json_schema_extra=_shown(
            "`realm-config/` in a checkout; installed, the copy shipped in the package "
            "(`lrs-keycloak init DIR` makes an editable one)"
        ),
    )
    cache_dir: Path | None = Field(
        None,
        description="Keycloak distribution, data, pid and log, the SQLite store, generated secrets",
        json_schema_extra=_shown(
            "`.cache/` in a checkout; installed, the user cache folder "
            "(`~/.cache/lrs-keycloak`), never site-packages"
        ),
    )
    # --- the companion app ---
    database_url: str | None = Field(
        None,
        description="the companion app's store (audit log, flags, recovery cases), any "
        "SQLAlchemy URL (PostgreSQL e.g. `postgresql+psycopg://…`); its schema is brought up "
        "to date by `lrs-keycloak db upgrade`",
        json_schema_extra=_shown("SQLite file `lrs.sqlite` in the cache folder"),
    )
    public_url: str = Field(
        LOCAL_PUBLIC_URL,
        description="the companion app as browsers reach it: the senior manager's approval links",
    )
    help_desk_contact: str = Field(
        "the MIAP help desk", description="how every page's footer says to reach the help desk"
    )
    guide_url: str | None = Field(None, description="the guide every page's footer links to")
    helpdesk_email: str | None = Field(
        None,
        description="the help desk's mailbox, told when an organisation loses its last super user",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="signs the senior manager's approval links (required outside local "
        "development)",
        json_schema_extra=_shown("local development only: generated in the cache folder's `run/`"),
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="the HMAC secret of the extension's webhook deliveries (required outside local "
        "development)",
        json_schema_extra=_shown("local development only: generated in the cache folder's `run/`"),
    )
    companion_client_secret: SecretStr | None = Field(
        None,
        description="the companion app's OIDC client secret (client `lrs-companion`, set by "
        "sync; required outside local development)",
        json_schema_extra=_shown("local development only: generated in the cache folder's `run/`"),
    )
    max_body_bytes: int = Field(
        API_BODY_LIMIT,
        ge=1,
        description="largest request body the app reads (API, approval form); larger is "
        "refused 413",
    )
    max_webhook_bytes: int = Field(
        WEBHOOK_BODY_LIMIT,
        ge=1,
        description="largest webhook delivery the app reads: an admin event carries a whole "
        "representation (a realm with its User Agreement text)",
    )
    max_import_bytes: int = Field(
        IMPORT_BODY_LIMIT,
        ge=1,
        description="largest file of people `POST /api/v1/organisations/{org}/imports` reads",
    )
    # --- serving (`lrs-keycloak serve`, `worker`: docs/operations.md) ---
    bind: str = Field("127.0.0.1:5000", description="host:port `serve` listens on")
    workers: int = Field(2, ge=1, description="gunicorn worker processes of `serve`")
    threads: int = Field(4, ge=1, description="threads per gunicorn worker")
    request_timeout: int = Field(60, ge=1, description="seconds one request may take")
    trusted_proxies: int = Field(0, ge=0, description="proxies whose X-Forwarded-* are trusted")
    metrics_token: SecretStr | None = Field(None, description="bearer token `/metrics` requires")
    poll_seconds: float = Field(15, gt=0, description="seconds between the worker's polls/sweeps")
    event_lease_seconds: float = Field(
        120,
        gt=0,
        description="seconds a process holds a Keycloak event it took before another may take"
        " it up (docs/adr/0023); above the time one event takes, Keycloak timeouts included",
    )
    lifecycle_minutes: float = Field(
        60,
        ge=0,
        description="minutes between the worker's lifecycle runs (realm-config/lifecycle.yaml);"
        " 0: never (run `lrs-keycloak lifecycle run` from cron)",
    )
    import_job_days: int = Field(
        30,
        ge=1,
        description="days a finished import job (done or failed: its report) is kept after it "
        "ended; the worker's import round deletes older ones",
    )
    # --- outgoing mail (the approval emails); the defaults are realm.yaml's local dev server ---
    smtp_host: str = Field("127.0.0.1", description="SMTP server")
    smtp_port: int = Field(2525, ge=1, le=65535, description="SMTP server's port")
    smtp_from: str = Field("lrs-no-reply@localhost", description="sender address")
    smtp_from_name: str = Field("Learner Registration Service", description="sender name")
    smtp_ssl: bool = Field(False, description="connect with TLS")
    smtp_starttls: bool = Field(False, description="upgrade the connection with STARTTLS")
    smtp_user: str | None = Field(None, description="log in to the SMTP server as this user")
    smtp_password: SecretStr | None = Field(None, description="password of `LRS_SMTP_USER`")
    # --- the local Keycloak launcher (`lrs-keycloak keycloak start`, `run`) ---
    webhook_url: str = Field(
        f"{LOCAL_PUBLIC_URL}/hooks/keycloak",
        description="where the local Keycloak's extension posts events",
    )
    keycloak_database: Literal["dev-file", "postgres"] = Field(
        "dev-file",
        description="the local Keycloak's database, as `--database` for `keycloak start` and `run`",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment only (and values handed in): no .env file, no secrets folder.
        return init_settings, env_settings

    @field_validator("keycloak_url", "keycloak_public_url", "public_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                make_url(value)
            except ArgumentError:
                raise ValueError("must be an SQLAlchemy database URL") from None
        return value

    # --- where it runs ----------------------------------------------------------------------

    @property
    def keycloak_is_local(self) -> bool:
        return is_local_keycloak(self.keycloak_url)

    @property
    def environment(self) -> Environment:
        if self.env is not None:
            return self.env
        return "development" if self.keycloak_is_local else "production"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    def production_problems(self) -> list[str]:
        """What local development allows and production refuses (empty in development)."""
        if self.is_development:
            return []
        problems = [
            _not_generated(variable)
            for variable, value in (
                ("LRS_SECRET_KEY", self.secret_key),
                ("LRS_WEBHOOK_SECRET", self.webhook_secret),
                ("LRS_COMPANION_CLIENT_SECRET", self.companion_client_secret),
            )
            if value is None
        ]
        return problems + self._admin_problems()

    def _admin_problems(self) -> list[str]:
        if self.is_development or self.admin_client_secret is not None:
            return []
        username, password = self._admin_credentials()
        if not username or not password:
            return [
                "LRS_ADMIN_USERNAME and LRS_ADMIN_PASSWORD (or LRS_ADMIN_CLIENT_SECRET) are not "
                "set (admin credentials are assumed for local development only)"
            ]
        if (username, password) == ("admin", "admin"):
            return ["LRS_ADMIN_USERNAME/LRS_ADMIN_PASSWORD admin/admin is for local development"]
        return []

    def replace(self, **values: Any) -> Settings:
        """These settings with ``values`` (by field name or alias) instead, checked again."""
        try:
            return type(self).model_validate({**self.model_dump(by_alias=True), **values})
        except ValidationError as error:
            raise _explain(error) from None

    def refuse_unsafe(self) -> None:
        """Raise `SettingsError` naming each production problem (the companion app at start)."""
        _refuse(self, self.production_problems())

    def refuse_unsafe_admin(self) -> None:
        """Raise `SettingsError` when the admin credentials are refused here (any Keycloak
        connection made with them)."""
        _refuse(self, self._admin_problems())

    # --- Keycloak ---------------------------------------------------------------------------

    def _admin_credentials(self) -> tuple[str | None, str | None]:
        if self.admin_client_secret is not None:
            return None, None
        # admin/admin is only ever assumed for the local development server this project starts.
        assume = self.is_development and self.keycloak_is_local
        default_user = (self.bootstrap_admin_username or "admin") if assume else None
        default_password = (_plain(self.bootstrap_admin_password) or "admin") if assume else None
        return (
            self.admin_username or default_user,
            _plain(self.admin_password) or default_password,
        )

    def keycloak(self, realm: str | None = None) -> KeycloakSettings:
        """How to reach Keycloak's admin API for ``realm`` (else `realm`)."""
        username, password = self._admin_credentials()
        return KeycloakSettings(
            url=self.keycloak_url,
            realm=realm or self.realm,
            admin_realm=self.admin_realm,
            username=username,
            password=password,
            client_id=self.admin_client_id,
            client_secret=_plain(self.admin_client_secret),
            verify_tls=self.keycloak_verify_tls,
            public_url=self.keycloak_public_url,
            timeout=self.keycloak_timeout,
            local_development=self.is_development,
        )

    # --- files and secrets ------------------------------------------------------------------

    def config_path(self) -> Path:
        """The policy folder: ``LRS_CONFIG_DIR``, else the default policy."""
        return self.config_dir or default_config_dir()

    def cache_path(self) -> Path:
        """``LRS_CACHE_DIR``, else the checkout's ignored .cache/, else the user's cache folder.
        Never inside the installed package: site-packages may be read-only or shared, and is
        replaced by every upgrade."""
        if self.cache_dir is not None:
            return self.cache_dir
        if running_from_checkout():
            return PROJECT_ROOT / ".cache"
        return Path(platformdirs.user_cache_dir("lrs-keycloak", appauthor=False))

    def database(self) -> str:
        """``LRS_DATABASE_URL``, else the SQLite file in the cache folder (made on first use)."""
        if self.database_url:
            return self.database_url
        folder = self.cache_path()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'lrs.sqlite'}"

    def signing_key(self) -> str:
        """``LRS_SECRET_KEY``; in local development only, one generated once."""
        return self._secret(self.secret_key, "LRS_SECRET_KEY", "secret-key")

    def webhook_key(self) -> str:
        """``LRS_WEBHOOK_SECRET``; in local development only, one generated once under the
        cache's run/ folder, which the local Keycloak (started by ``lrs-keycloak keycloak
        start``) and the companion app on the same machine both read."""
        return self._secret(self.webhook_secret, "LRS_WEBHOOK_SECRET", "webhook-secret")

    def companion_secret(self) -> str:
        """``LRS_COMPANION_CLIENT_SECRET``; in local development only, one generated once (sync
        gives it to the client, the app signs in with it)."""
        return self._secret(
            self.companion_client_secret, "LRS_COMPANION_CLIENT_SECRET", "companion-secret"
        )

    def _secret(self, configured: SecretStr | None, variable: str, file: str) -> str:
        if configured is not None:
            return configured.get_secret_value()
        if not self.is_development:
            _refuse(self, [_not_generated(variable)])
        return generated_secret(self.cache_path() / "run" / file)


def _plain(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _not_generated(variable: str) -> str:
    return f"{variable} is not set (a generated secret is for local development only)"


def _refuse(settings: Settings, problems: list[str]) -> None:
    if problems:
        where = f"LRS_ENV={settings.environment}"
        raise SettingsError(f"Refused outside local development ({where}): " + "; ".join(problems))


def variable(field: str) -> str:
    """The environment variable of a `Settings` field (its alias, else ``LRS_`` + its name)."""
    info = Settings.model_fields.get(field)
    if info is None:  # already an alias: pydantic reports aliased fields by their alias
        return field
    return info.alias or ENV_PREFIX + field.upper()


def _explain(error: ValidationError) -> SettingsError:
    said = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        info = Settings.model_fields.get(field)
        secret = info is not None and SecretStr in get_args(info.annotation)
        shown = "" if secret else f"={problem.get('input')!r}"
        why = str(problem["msg"]).removeprefix("Value error, ")
        said.append(f"{variable(field)}{shown} is refused: {why}")
    return SettingsError("; ".join(said) + " (docs/settings.md)")


def load_settings(**values: Any) -> Settings:
    """The settings from the environment (``values`` win over it, by field name or alias);
    a bad value is a `SettingsError` naming its variable."""
    try:
        return Settings(**values)
    except ValidationError as error:
        raise _explain(error) from None


# --- the functions the rest of the package has always called: each reads the settings anew ---


def keycloak_settings(realm: str | None = None) -> KeycloakSettings:
    return load_settings().keycloak(realm)


def running_from_checkout() -> bool:
    """True in a source checkout (pyproject.toml beside the package), False once installed."""
    return (PROJECT_ROOT / "pyproject.toml").is_file()


def packaged_config_dir() -> Path:
    """The default policy shipped inside the package. A wheel is always unpacked on disk, so
    the resource is a real folder that ``load_policy`` can read like any other."""
    return Path(str(resources.files("lrs_keycloak").joinpath(*PACKAGED_CONFIG)))


def default_config_dir() -> Path:
    """The default policy: the checkout's realm-config/ (the source of truth, edited there),
    else the copy shipped in the package."""
    checkout = PROJECT_ROOT / "realm-config"
    return checkout if running_from_checkout() and checkout.is_dir() else packaged_config_dir()


def config_dir() -> Path:
    """The policy folder: ``LRS_CONFIG_DIR``, else the default policy."""
    return load_settings().config_path()


def cache_dir() -> Path:
    """The folder for the Keycloak distribution, its data, pid and logs, the SQLite store and
    generated secrets (`Settings.cache_path`)."""
    return load_settings().cache_path()


def webhook_secret() -> str:
    """The shared secret that signs webhook deliveries (`Settings.webhook_key`)."""
    return load_settings().webhook_key()
