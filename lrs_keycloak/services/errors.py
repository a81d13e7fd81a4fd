"""What a service call may raise besides a rule's refusal, for the web and the CLI to answer.

The adapters define these; callers of the services name them from here, so that the web and the
CLI depend on the services and never on the adapters themselves (an import-linter contract)."""

from __future__ import annotations

from lrs_keycloak.keycloak.errors import GatewayError, KeycloakUnavailable
from lrs_keycloak.store.locks import OrganisationBusy

__all__ = ["GatewayError", "KeycloakUnavailable", "OrganisationBusy"]
