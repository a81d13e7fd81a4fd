"""What every signed-in LRS user may read about themselves (the companion app's home page): their
organisations with those organisations' super users to contact (guide §2.3 key point 3: "users
in your organisation must contact your super users first"; §3), their roles as the guide
describes them, and the User Agreement they accepted and when (§4.3), with its text as HTML.

No authorisation beyond being the user: it reads only the user's own record and, for each of
their own organisations, the super users' names and email addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrs_keycloak.config.agreement_html import agreement_html
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.services.agreement import Acceptance, acceptance
from lrs_keycloak.services.user_admin.service import UserAdmin


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None


@dataclass(frozen=True)
class OwnOrganisation:
    id: str
    name: str
    super_users: tuple[Contact, ...]


@dataclass(frozen=True)
class OwnRole:
    name: str
    description: str


@dataclass(frozen=True)
class OwnAccount:
    username: str
    organisations: tuple[OwnOrganisation, ...]
    roles: tuple[OwnRole, ...]
    #: The version accepted and when (None: the account's record was not found).
    agreement: Acceptance | None
    #: The current agreement: its version and text as sanitised HTML (None: no agreement).
    agreement_version: str | None
    agreement_html: str | None


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def own_account(admin: UserAdmin, username: str) -> OwnAccount:
    """``username``'s own account as their home page shows it, read from Keycloak now (not the
    session), so that a role or organisation changed since sign-in shows as it is."""
    directory, policy = admin.directory, admin.policy
    user = directory.find_user(username)
    current = policy.agreement.current if policy.agreement else None
    organisations: list[OwnOrganisation] = []
    for org_id in user.organisation_ids if user else ():
        group = directory.find_organisation(org_id)
        if group is None:
            continue
        members = directory.members(group, (SUPER_USER,))
        super_users = tuple(
            Contact(_name(u.first_name, u.last_name, u.username), u.email)
            for u in sorted(members, key=lambda u: (u.last_name, u.first_name, u.username))
            if u.enabled and SUPER_USER in u.roles
        )
        organisations.append(OwnOrganisation(org_id, group.organisation.name, super_users))
    held = user.roles if user else frozenset()
    roles = tuple(OwnRole(r.name, r.description) for r in policy.roles.roles if r.name in held)
    return OwnAccount(
        username=username,
        organisations=tuple(organisations),
        roles=roles,
        agreement=(
            acceptance(
                username, _name(user.first_name, user.last_name, username), user.attributes, current
            )
            if user
            else None
        ),
        agreement_version=current,
        agreement_html=agreement_html(policy.agreement.text) if policy.agreement else None,
    )
