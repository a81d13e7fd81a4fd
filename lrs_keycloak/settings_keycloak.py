"""How the CLI and the companion app reach Keycloak's admin API: the part of the settings
(`lrs_keycloak.settings.Settings.keycloak`) that the gateway is built from."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_KEYCLOAK_URL = "http://127.0.0.1:8080"
#: Seconds any one call to Keycloak may wait to connect, or for the next bytes of an answer:
#: a hung Keycloak must fail a request, not hold a worker (and the locks it holds) for minutes.
DEFAULT_KEYCLOAK_TIMEOUT = 10.0
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def is_local_keycloak(url: str) -> bool:
    """The local development server `lrs-keycloak keycloak start` runs, by whichever loopback
    name it is given (Keycloak itself prints ``localhost``)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK and port == 8080


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
    #: False with ``LRS_ENV=production``, even on the local Keycloak's URL.
    local_development: bool = True

    @property
    def is_local_default(self) -> bool:
        """The local development server this project starts (where ``--agent`` is allowed)."""
        return self.local_development and is_local_keycloak(self.url)

    @property
    def issuer_url(self) -> str:
        """The base of the `iss` claim Keycloak puts in this realm's tokens."""
        return (self.public_url or self.url).rstrip("/")
