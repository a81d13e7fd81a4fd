"""What a service call may raise besides a rule's refusal, for the web and the CLI to answer.

The adapters define these; callers of the services name them from here, so that the web and the
CLI depend on the services and never on the adapters themselves (an import-linter contract)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from lrs_keycloak.keycloak.errors import GatewayError, KeycloakUnavailable
from lrs_keycloak.store.locks import OrganisationBusy

#: What the answers say when the app's own database cannot be reached (docs/adr/0023).
DATABASE_UNAVAILABLE = (
    "The companion app's database cannot be reached just now. Nothing more was done with "
    "this request; try again in a moment."
)


def database_unavailable(error: BaseException) -> bool:
    """The app's database could not be reached or dropped the connection (a server stopped or
    restarting, a network cut, a file it cannot open), as opposed to a fault in the request:
    answered 503, and the next request tries again on a new connection (the pool drops the
    broken ones), so the service resumes by itself when the database is back."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


__all__ = [
    "DATABASE_UNAVAILABLE",
    "GatewayError",
    "KeycloakUnavailable",
    "OrganisationBusy",
    "database_unavailable",
]
