"""The project's own Keycloak errors: the one boundary where HTTP codes become meanings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GatewayError(Exception):
    """Keycloak answered something we did not expect; `status` keeps its HTTP code."""

    message: str
    status: int | None = None
    details: list[dict[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class KeycloakUnavailable(GatewayError):
    """Keycloak cannot be reached at all."""


class KeycloakAuthFailed(GatewayError):
    """Our own admin credentials were refused."""


class NotFound(GatewayError):
    pass


class Conflict(GatewayError):
    pass


class Forbidden(GatewayError):
    pass


class Rejected(GatewayError):
    """Keycloak refused the data (HTTP 400), e.g. a user-profile validator said no."""
