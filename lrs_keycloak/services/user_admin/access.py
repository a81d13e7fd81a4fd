"""What every use case shares: the collaborators, who the caller is and what they may see, the
organisation's members as the super-user rules need them, and the one audit record."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.api_clients import ApiClient, check_api_client_action
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import (
    SUPER_USER,
    Actor,
    Member,
    UserPolicy,
    check_last_super_user,
    deputy_warning,
)
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.ports import Audit, Directory
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, NotVisible, Operator
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.locks import OrganisationLocks


def member(user: UserRecord, org_id: str) -> Member:
    return Member(user.username, org_id, user.roles, user.enabled, user.locked)


class Access:
    """One realm's directory, audit log, policy and organisation locks, and the checks every
    use case starts with."""

    def __init__(
        self, directory: Directory, audit: Audit, policy: RealmPolicy, locks: OrganisationLocks
    ) -> None:
        self.directory = directory
        self.audit = audit
        self.policy = policy
        self.locks = locks

    def actor(self, username: str, subject: str | None = None) -> Actor | None:
        """The Actor for a Keycloak user (e.g. a bearer token's subject); None if unknown.

        With ``subject`` (a token's ``sub``), None also when the username now belongs to
        another account: a removed user's generated name may be given to someone new.
        """
        user = self.directory.find_user(username)
        if user is None or (subject is not None and user.id != subject):
            return None
        orgs = user.organisation_ids
        if user.enabled and user.roles:
            self.directory.fill_locks([user])
        return Actor(
            username=user.username,
            organisation_id=orgs[0] if len(orgs) == 1 else None,
            roles=frozenset(r for r in user.roles if r in self.policy.roles.names),
            realm_roles=user.realm_roles,
            active=user.enabled and not user.locked,
        )

    def organisation(self, caller: Caller, org_id: str, action: str) -> OrgGroup:
        group = self.directory.find_organisation(org_id)
        if isinstance(caller, Operator):
            if group is None:
                raise NotVisible(f"organisation {org_id} does not exist")
            return group
        # Other organisations are invisible: the same answer whether or not they exist.
        if group is None or caller.organisation_id != org_id:
            raise NotVisible(f"organisation {org_id} not found")
        if isinstance(caller, ApiClient):  # an integrating system: reads only (ADR 0013)
            refused = check_api_client_action(caller, org_id, action)
            if refused:
                raise NotPermitted(f"{refused.message} ({refused.rule})")
            return group
        if not UserPolicy(caller, org_id).may(action):
            raise NotPermitted(
                f"only an active super user of {org_id} may {action.replace('_', ' ')} its users"
            )
        return group

    def target(self, group: OrgGroup, username: str) -> UserRecord:
        user = self.directory.find_user(username)
        if user is None or group.organisation.id not in user.organisation_ids:
            raise NotVisible(f"user {username} not found in {group.organisation.id}")
        return user

    def members(self, group: OrgGroup, super_user_locks: bool = True) -> list[UserRecord]:
        """The organisation's members; with ``super_user_locks``, its enabled super users' lock
        status asked of Keycloak's brute-force detection (a GET each), not only the listing's."""
        users = self.directory.members(group, self.policy.roles.names)
        if super_user_locks:
            # Locks only matter for the super-user rules: ask only about enabled super users.
            self.directory.fill_locks([u for u in users if u.enabled and SUPER_USER in u.roles])
        return users

    def deputy(self, group: OrgGroup, users: list[UserRecord] | None = None) -> list[Violation]:
        users = users if users is not None else self.members(group)
        warning = deputy_warning([member(u, group.organisation.id) for u in users])
        return [warning] if warning else []

    def guarded(
        self, caller: Caller, org_id: str, username: str, action: str, policy_action: str
    ) -> tuple[OrgGroup, UserRecord, list[UserRecord]]:
        """The organisation, the user and its members, once the change is known not to take
        away the organisation's last active super user (run it under the organisation's lock)."""
        group = self.organisation(caller, org_id, policy_action)
        user = self.target(group, username)
        members = self.members(group)
        last = check_last_super_user([member(u, org_id) for u in members], username, action)
        if last:
            raise RuleViolation([last])
        return group, user, members

    def record(self, caller: Caller, org_id: str | None, action: str, **kw: Any) -> AuditEvent:
        return self.audit.record(self.event(caller, org_id, action, **kw))

    def event(self, caller: Caller, org_id: str | None, action: str, **kw: Any) -> AuditEvent:
        """The event ``record`` stores, not stored yet (for ``Audit.record_many``)."""
        return AuditEvent(action, caller.username, org_id, **kw)
