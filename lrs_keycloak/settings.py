"""Where things are and how to reach Keycloak, read once from the environment.

With no configuration at all every command talks to the local development server that
`lrs-keycloak keycloak start` runs; any other Keycloak is reached by setting the variables
documented in the README. Secrets only ever come from the environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

KEYCLOAK_VERSION = "26.7.3"
LOCAL_KEYCLOAK_URL = "http://127.0.0.1:8080"
LOCAL_MANAGEMENT_URL = "http://127.0.0.1:9000"
#: Seconds any one call to Keycloak may wait to connect, or for the next bytes of an answer:
#: a hung Keycloak must fail a request, not hold a worker (and the locks it holds) for minutes.
DEFAULT_KEYCLOAK_TIMEOUT = 10.0

#: The checkout when running from one; once installed, site-packages (never write there).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where the wheel keeps its copy of realm-config/ (copied in at build time by setup.py).
PACKAGED_CONFIG = ("defaults", "realm-config")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class KeycloakSettings:
    """How the companion app and the CLI authenticate to Keycloak's admin API."""

    url: str
    realm: str
    admin_realm: str
    username: str | None
    password: str | None
    client_id: str
    client_secret: str | None
    verify_tls: bool
    #: Keycloak's public URL, as browsers (and so the tokens' issuer) name it; behind a proxy it
    #: differs from `url`, which is how this app reaches Keycloak. None: the same as `url`.
    public_url: str | None = None
    timeout: float = DEFAULT_KEYCLOAK_TIMEOUT

    @property
    def is_local_default(self) -> bool:
        return self.url.rstrip("/") == LOCAL_KEYCLOAK_URL

    @property
    def issuer_url(self) -> str:
        """The base of the `iss` claim Keycloak puts in this realm's tokens."""
        return (self.public_url or self.url).rstrip("/")


def keycloak_settings(realm: str | None = None) -> KeycloakSettings:
    url = _env("LRS_KEYCLOAK_URL", LOCAL_KEYCLOAK_URL) or LOCAL_KEYCLOAK_URL
    local = url.rstrip("/") == LOCAL_KEYCLOAK_URL
    # admin/admin is only ever assumed for the local development server this project starts.
    default_user = _env("KC_BOOTSTRAP_ADMIN_USERNAME", "admin") if local else None
    default_password = _env("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin") if local else None
    client_secret = _env("LRS_ADMIN_CLIENT_SECRET")
    return KeycloakSettings(
        url=url,
        realm=realm or _env("LRS_REALM", "lrs") or "lrs",
        admin_realm=_env("LRS_ADMIN_REALM", "master") or "master",
        username=None if client_secret else _env("LRS_ADMIN_USERNAME", default_user),
        password=None if client_secret else _env("LRS_ADMIN_PASSWORD", default_password),
        client_id=_env("LRS_ADMIN_CLIENT_ID", "admin-cli") or "admin-cli",
        client_secret=client_secret,
        verify_tls=(_env("LRS_KEYCLOAK_VERIFY_TLS", "true") or "true").lower() != "false",
        public_url=_env("LRS_KEYCLOAK_PUBLIC_URL"),
        timeout=_seconds("LRS_KEYCLOAK_TIMEOUT", DEFAULT_KEYCLOAK_TIMEOUT),
    )


def _seconds(name: str, default: float) -> float:
    raw = _env(name)
    try:
        value = float(raw) if raw is not None else default
    except ValueError as error:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from error
    if not 0 < value <= 300:
        raise ValueError(f"{name} must be more than 0 and at most 300 seconds, not {raw!r}")
    return value


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
    if running_from_checkout() and checkout.is_dir():
        return checkout
    return packaged_config_dir()


def config_dir() -> Path:
    """The policy folder: ``LRS_CONFIG_DIR``, else the default policy."""
    configured = _env("LRS_CONFIG_DIR")
    return Path(configured) if configured else default_config_dir()


def cache_dir() -> Path:
    """The folder for the Keycloak distribution, its data, pid and logs, the SQLite store and
    generated secrets: ``LRS_CACHE_DIR``, else the checkout's ignored .cache/, else the user's
    cache folder. Never inside the installed package: site-packages may be read-only or
    shared, and is replaced by every upgrade."""
    configured = _env("LRS_CACHE_DIR")
    if configured:
        return Path(configured)
    if running_from_checkout():
        return PROJECT_ROOT / ".cache"
    return Path(platformdirs.user_cache_dir("lrs-keycloak", appauthor=False))


def webhook_secret() -> str:
    """The shared secret that signs webhook deliveries: ``LRS_WEBHOOK_SECRET``, else one
    generated once under the cache's run/ folder, which the local Keycloak (started by
    ``lrs-keycloak keycloak start``) and the companion app on the same machine both read."""
    configured = _env("LRS_WEBHOOK_SECRET")
    if configured:
        return configured
    path = cache_dir() / "run" / "webhook-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together keep one secret, readable by this user only.
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip()
