"""An organisation's integrating system and its API client (docs/adr/0013): the operator or the
help desk creates it, replaces its secret, deletes it; the API finds the caller behind a token.

The secret is answered once, to whoever created or rotated it, and kept nowhere by the app
(Keycloak holds it). Each change is recorded in the organisation's audit trail, naming the
integration ``api-client:<org>`` as its target, or undone (docs/adr/0007).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lrs_keycloak.domain.api_clients import ApiClient, client_id_for, identity
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.api_clients import ApiClientRecord
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.ports import Audit
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing, recorded
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, NotVisible
from lrs_keycloak.store.audit import AuditEvent

API_CLIENT_EXISTS = "api-client-exists"
API_CLIENT_RULE = "ADR 0013: one API client per organisation, its secret shown once"


class Clients(Protocol):
    """The integrations' clients in Keycloak (keycloak.api_clients.ApiClientDirectory)."""

    def find(self, client_id: str) -> ApiClientRecord | None: ...
    def create(self, client_id: str, org_id: str, description: str) -> str: ...
    def new_secret(self, client_uuid: str) -> str: ...
    def delete(self, client_uuid: str) -> None: ...
    def service_account_id(self, client_uuid: str) -> str | None: ...


class Organisations(Protocol):
    """Where organisations are looked up (keycloak.users.UserDirectory)."""

    def find_organisation(self, org_id: str) -> OrgGroup | None: ...


@dataclass(frozen=True)
class Issued:
    """A client and its secret, answered once: the app keeps no copy."""

    organisation_id: str
    client_id: str
    secret: str
    identity: str


class ApiClients:
    """Create, rotate and delete organisations' API clients; find the caller behind a token."""

    def __init__(self, clients: Clients, organisations: Organisations, audit: Audit) -> None:
        self.clients = clients
        self.organisations = organisations
        self.audit = audit

    # --- who may manage them -------------------------------------------------------------------

    def _organisation(self, caller: Caller, org_id: str) -> OrgGroup:
        """Only MIAP manages integrations: the operator (admin credentials) or an active help
        desk agent; a super user does not give a machine access (ADR 0013)."""
        if isinstance(caller, Actor) and not caller.is_helpdesk:
            raise NotPermitted("only the operator or the MIAP help desk manages API clients")
        group = self.organisations.find_organisation(org_id)
        if group is None:
            raise NotVisible(f"organisation {org_id} does not exist")
        return group

    def _existing(self, caller: Caller, org_id: str) -> ApiClientRecord:
        self._organisation(caller, org_id)
        found = self.clients.find(client_id_for(org_id))
        if found is None or found.organisation_id != org_id:
            raise NotVisible(f"{org_id} has no API client")
        return found

    def _record(self, caller: Caller, org_id: str, kind: AuditKind, **details: str) -> AuditEvent:
        return self.audit.record(
            AuditEvent(
                kind,
                caller.username,
                org_id,
                target=identity(org_id),
                details={"client_id": client_id_for(org_id), **details},
            )
        )

    # --- the use cases ---------------------------------------------------------------------------

    def create(self, caller: Caller, org_id: str) -> Issued:
        """A new client for the organisation's integrating system, and its secret."""
        group = self._organisation(caller, org_id)
        client_id = client_id_for(org_id)
        if self.clients.find(client_id) is not None:
            raise RuleViolation(
                [
                    Violation(
                        "org",
                        API_CLIENT_EXISTS,
                        f"{org_id} already has an API client ({client_id}). Rotate its secret "
                        "if it was lost, or delete it first.",
                        API_CLIENT_RULE,
                    )
                ]
            )
        description = (
            f"The integrating system of {group.organisation.name}: reads its users and audit "
            "trail through the LRS JSON API (docs/adr/0013). Managed by lrs-keycloak."
        )
        with all_or_nothing() as undo:
            uuid = self.clients.create(client_id, org_id, description)
            undo.push(f"client {client_id}", lambda: self.clients.delete(uuid))
            secret = self.clients.new_secret(uuid)
            self._record(caller, org_id, AuditKind.API_CLIENT_CREATED)
        return Issued(org_id, client_id, secret, identity(org_id))

    def rotate(self, caller: Caller, org_id: str) -> Issued:
        """A new secret; the old one stops working at once (tokens already issued with it run
        to their expiry)."""
        found = self._existing(caller, org_id)
        with all_or_nothing() as undo:
            event = self._record(caller, org_id, AuditKind.API_CLIENT_SECRET_ROTATED)
            recorded(self.audit, undo, event)
            secret = self.clients.new_secret(found.id)
        return Issued(org_id, found.client_id, secret, identity(org_id))

    def delete(self, caller: Caller, org_id: str) -> None:
        """Delete the client and its service account: its tokens are refused from then on."""
        found = self._existing(caller, org_id)
        with all_or_nothing() as undo:
            recorded(self.audit, undo, self._record(caller, org_id, AuditKind.API_CLIENT_DELETED))
            self.clients.delete(found.id)

    # --- the API's caller ------------------------------------------------------------------------

    def caller(self, org_id: str, subject: str) -> ApiClient | None:
        """The integration whose token this is (``azp`` ``lrs-api-<org>``, ``sub`` its service
        account); None when the client is gone, disabled, not marked for that organisation, was
        given another grant, or the subject is not its service account."""
        found = self.clients.find(client_id_for(org_id))
        if (
            found is None
            or found.organisation_id != org_id
            or not found.enabled
            or not found.service_account_only
        ):
            return None
        if self.clients.service_account_id(found.id) != subject:
            return None
        return ApiClient.of(org_id)


__all__ = [
    "API_CLIENT_EXISTS",
    "API_CLIENT_RULE",
    "ApiClients",
    "Clients",
    "Issued",
    "Organisations",
]
