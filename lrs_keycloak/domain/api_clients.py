"""An integrating system's access to the JSON API (docs/adr/0013): who it is, what it may do.

An organisation's integrating system (its MIS, HR or reporting job) gets a client-credentials
client of its own, ``lrs-api-<org>``. It is not a person, so it is not a user of the
organisation (guide §4: named accounts, no generic ones) and holds no LRS role; it is never a
super user (guide §3: super users are named people answerable for their organisation's
access). It reads: the organisation's users, one user, the User Agreement report and the audit
trail. Every change to access stays with a named super user, so each change in the audit log
names the person who made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import ACTIONS, Actor

#: The Keycloak client id of an organisation's integration is this prefix plus its id.
CLIENT_PREFIX = "lrs-api-"
#: How an integration is named in the audit log and wherever a caller is named.
IDENTITY_PREFIX = "api-client:"
#: Keycloak's name for a client's service-account user is this prefix plus the client id.
SERVICE_ACCOUNT_PREFIX = "service-account-"

#: The actions (domain.policies.ACTIONS) an integration may take in its own organisation.
API_CLIENT_ACTIONS: frozenset[str] = frozenset({"view", "view_audit"})

READ_ONLY = "api-client-read-only"
READ_ONLY_RULE = (
    "ADR 0013: an integrating system reads its organisation's users and audit trail; only a "
    "named super user changes access (guide §3, §4)"
)


def client_id_for(org_id: str) -> str:
    """The Keycloak client id of ``org_id``'s integration."""
    return f"{CLIENT_PREFIX}{org_id}"


def organisation_of(client_id: object) -> str | None:
    """The organisation whose integration client this is (a token's ``azp``); None when the
    client is not an integration's."""
    if not isinstance(client_id, str) or not client_id.startswith(CLIENT_PREFIX):
        return None
    org_id = client_id[len(CLIENT_PREFIX) :]
    return org_id or None


def service_account_name(org_id: str) -> str:
    """The username Keycloak gives the service account of ``org_id``'s integration client."""
    return f"{SERVICE_ACCOUNT_PREFIX}{client_id_for(org_id)}"


def identity(org_id: str) -> str:
    """``api-client:<org>``: the integration as the audit log names it."""
    return f"{IDENTITY_PREFIX}{org_id}"


@dataclass(frozen=True)
class ApiClient(Actor):
    """An organisation's integrating system, calling the API with its client's token.

    An ``Actor`` with no LRS role and no realm role: wherever a person's powers are checked
    (``UserPolicy``, a user's own details, the help desk) it has none. Its own powers are
    ``API_CLIENT_ACTIONS`` in ``organisation_id``, checked by ``check_api_client_action``.
    """

    @classmethod
    def of(cls, org_id: str) -> ApiClient:
        return cls(username=identity(org_id), organisation_id=org_id, roles=frozenset())


def check_api_client_action(client: ApiClient, org_id: str, action: str) -> Violation | None:
    """None when the integration may take ``action`` (domain.policies.ACTIONS) on ``org_id``'s
    users, else the refusal. Another organisation is the caller's to hide (404), not this."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    if client.organisation_id != org_id:
        raise ValueError(f"{client.username} asked about another organisation, {org_id}")
    if action in API_CLIENT_ACTIONS:
        return None
    return Violation(
        field="",
        code=READ_ONLY,
        message=(
            f"An integrating system may only read {org_id}'s users and audit trail; it may not "
            f"{action.replace('_', ' ')} users. Ask one of the organisation's super users to "
            "make the change: each change to access is made and answered for by a named person."
        ),
        rule=READ_ONLY_RULE,
    )


__all__ = [
    "API_CLIENT_ACTIONS",
    "CLIENT_PREFIX",
    "IDENTITY_PREFIX",
    "READ_ONLY",
    "READ_ONLY_RULE",
    "SERVICE_ACCOUNT_PREFIX",
    "ApiClient",
    "check_api_client_action",
    "client_id_for",
    "identity",
    "organisation_of",
    "service_account_name",
]
