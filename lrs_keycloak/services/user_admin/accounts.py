"""Making a new account: its details checked, the person's existing account found, a free
username taken, and the account enabled only once its roles and its record exist."""

from __future__ import annotations

from collections.abc import Collection

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.usernames import base_username, candidate_usernames
from lrs_keycloak.domain.users import (
    UserDetails,
    check_lengths,
    repeats_creation,
    unfinished_creation,
    validate_details,
)
from lrs_keycloak.keycloak.errors import Conflict, Rejected
from lrs_keycloak.keycloak.fields import details_of, representation
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord, organisation_path
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.all_or_nothing import Undo
from lrs_keycloak.services.user_admin.refusals import keycloak_refusal

#: Username candidates tried before giving up (each refused one was taken by a concurrent create).
MAX_USERNAME_ATTEMPTS = 500


class Accounts:
    """The steps of a creation that the organisation's registration shares."""

    def __init__(self, access: Access) -> None:
        self.access = access

    def check_new_user(
        self,
        org: Organisation,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> list[Violation]:
        policy = self.access.policy
        errors, warnings = validate_details(
            details,
            policy=policy.generic_names,
            organisation_name=org.name,
            role_names=policy.roles.names,
        )
        errors += check_lengths({"reference": reference})
        errors += policy.roles.check_assignment(list(roles), org)
        if errors:
            raise RuleViolation(errors)
        return warnings

    def existing_person(
        self, group: OrgGroup, details: UserDetails, roles: Collection[str]
    ) -> tuple[UserRecord | None, set[str], bool]:
        """The organisation's account this creation already made, if any; the usernames taken
        by the person's base name (the creation skips them); and whether that account is
        unfinished (domain.users.unfinished_creation: to be completed) rather than done
        (domain.users.repeats_creation: to be answered as it is)."""
        directory = self.access.directory
        org_id = group.organisation.id
        taken = directory.usernames_starting(base_username(details.given_name, details.family_name))
        for username in sorted(taken):
            user = directory.find_user(username)
            if user is None or org_id not in user.organisation_ids:
                continue
            found = details_of(user)
            if unfinished_creation(details, roles, found, user.roles, self._recorded(user, org_id)):
                return user, taken, True
            if repeats_creation(details, roles, found, user.roles, user.enabled):
                return user, taken, False
        return None, taken, False

    def _recorded(self, user: UserRecord, org_id: str) -> bool:
        """Whether the audit trail names the account at all (its creation, a console change)."""
        return bool(self.access.audit.events(organisation_id=org_id, target=user.username, limit=1))

    def create(
        self,
        org: Organisation,
        details: UserDetails,
        roles: Collection[str],
        undo: Undo,
        taken: set[str] | None = None,
    ) -> tuple[str, str]:
        """Create the account disabled, in the group, with its roles; (id, username).

        It is enabled (``activate``) only once its roles and its audit record exist, so
        whatever fails, even the clean-up, no usable account is left without a role or a
        record: at worst a disabled one. ``undo`` deletes it again.
        """
        directory = self.access.directory
        rep = representation(details)
        rep["enabled"] = False
        rep["groups"] = [organisation_path(org.id)]
        base = base_username(details.given_name, details.family_name)
        # Optimistic: most names are free, so try the plain one first; only after a clash ask
        # Keycloak which names with this prefix are taken (a search that grows with the realm)
        # and skip them.
        user_id = username = None
        attempts = 0
        for candidate in candidate_usernames(details.given_name, details.family_name):
            if taken is not None and candidate in taken:
                continue
            attempts += 1
            if attempts > MAX_USERNAME_ATTEMPTS:
                raise RuntimeError(f"no free username after {MAX_USERNAME_ATTEMPTS} attempts")
            try:
                user_id = directory.create_user({**rep, "username": candidate})
            except Conflict as conflict:
                # "same email" only when the realm refuses duplicate emails; a race between
                # concurrent creates surfaces as "same username or email": try the next name.
                if "username" not in str(conflict).lower():
                    raise
                if taken is None:
                    taken = directory.usernames_starting(base)
                continue
            except Rejected as error:
                raise keycloak_refusal(error) from error
            username = candidate
            break
        assert user_id is not None and username is not None
        created = user_id
        undo.push(f"the creation of {username}", lambda: directory.delete_user(created))
        directory.add_roles(user_id, roles)
        return user_id, username

    def activate(self, user_id: str, details: UserDetails, undo: Undo) -> None:
        """Enable a new account (its roles and record exist) and send its set-password email."""
        directory = self.access.directory
        directory.set_enabled(user_id, True)
        undo.push("enabling the new account", lambda: directory.set_enabled(user_id, False))
        if representation(details).get("email"):
            directory.send_set_password_email(user_id)
