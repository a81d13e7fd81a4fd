"""Super users manage their organisation's users (guide §3-§7); operators register organisations.

Each use case authorises, checks the domain rules, makes the change in Keycloak and records
exactly one audit event. A change is all-or-nothing (docs/adr/0007): when a later step fails,
the audit record included, the earlier ones are undone, so no access changes without its record
and no record names a change that did not happen. A removal is recorded first and the record
withdrawn if the account could not be deleted; a new account stays disabled until its roles and
its record exist. Changes that may take away an organisation's last active super user run one
at a time per organisation, across processes (store/locks.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import Organisation, check_organisation
from lrs_keycloak.domain.policies import (
    SUPER_USER,
    Actor,
    Member,
    UserPolicy,
    check_last_super_user,
    deputy_warning,
    may_update_own_details,
    removes_super_user,
    role_change_needs_authorisation,
)
from lrs_keycloak.domain.usernames import base_username, candidate_usernames
from lrs_keycloak.domain.users import (
    UserDetails,
    check_lengths,
    identifies_person,
    repeats_creation,
    validate_details,
)
from lrs_keycloak.keycloak.errors import Conflict, Rejected
from lrs_keycloak.keycloak.fields import (
    ATTRIBUTE_FIELDS,
    KEYCLOAK_FIELDS,
    TOP_LEVEL,
    details_of,
    public_user,
    representation,
)
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord, organisation_path
from lrs_keycloak.services.agreement import acceptance
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.locks import OrganisationLocks, engine_locks

log = logging.getLogger(__name__)

#: Username candidates tried before giving up (each refused one was taken by a concurrent create).
MAX_USERNAME_ATTEMPTS = 500

#: What a user may change about themselves (guide §5: names and contact numbers, never roles).
SELF_EDITABLE = frozenset(
    {"title", "given_name", "family_name", "email", "telephone", "mobile", "preferred_language"}
)
EDITABLE = frozenset(TOP_LEVEL) | frozenset(ATTRIBUTE_FIELDS)


@dataclass(frozen=True)
class Operator:
    """MIAP's operator, acting with the admin credentials (CLI): registers organisations."""

    name: str

    @property
    def username(self) -> str:
        return f"operator:{self.name}"


Caller = Actor | Operator


class NotVisible(Exception):
    """The organisation or user does not exist for this caller (HTTP 404, never 403)."""


class NotPermitted(Exception):
    """The caller sees the organisation but may not do this (HTTP 403)."""


class Directory(Protocol):
    """What the services need from Keycloak (keycloak.users.UserDirectory; fakes in tests)."""

    def find_organisation(self, org_id: str) -> OrgGroup | None: ...
    def create_organisation(self, org: Organisation) -> OrgGroup: ...
    def delete_group(self, group_id: str) -> None: ...
    def members(
        self, group: OrgGroup, roles: Collection[str], locks: bool = True
    ) -> list[UserRecord]: ...
    def fill_locks(self, users: list[UserRecord]) -> None: ...
    def last_logins(self, user_ids: Collection[str]) -> dict[str, int]: ...
    def find_user(self, username: str) -> UserRecord | None: ...
    def usernames_starting(self, prefix: str) -> set[str]: ...
    def create_user(self, representation: dict[str, Any]) -> str: ...
    def add_roles(self, user_id: str, roles: Collection[str]) -> None: ...
    def remove_roles(self, user_id: str, roles: Collection[str]) -> None: ...
    def update_user(self, user_id: str, fields: dict[str, Any]) -> None: ...
    def get_user(self, user_id: str) -> dict[str, Any]: ...
    def delete_user(self, user_id: str) -> None: ...
    def set_enabled(self, user_id: str, enabled: bool) -> None: ...
    def logout(self, user_id: str) -> None: ...
    def clear_lock(self, user_id: str) -> None: ...
    def send_set_password_email(self, user_id: str) -> None: ...


@dataclass
class Result:
    """What a use case answers: the user (if any), warnings, and the audit event written."""

    user: dict[str, Any] | None = None
    warnings: list[Violation] = field(default_factory=list)
    event: AuditEvent | None = None
    users: list[dict[str, Any]] | None = None
    #: A creation answered with the account the person already has (nothing was created).
    existing: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"warnings": [w.as_dict() for w in self.warnings]}
        if self.existing:
            out["existing"] = True
        if self.user is not None:
            out["user"] = self.user
        if self.users is not None:
            out["users"] = self.users
        if self.event is not None:
            out["event_id"] = self.event.id
        return out


def _violation(field_name: str, code: str, message: str, rule: str) -> Violation:
    return Violation(field=field_name, code=code, message=message, rule=rule)


def _reason_required(action: str) -> Violation:
    return _violation(
        "reason",
        "reason-required",
        f"Give the reason for this {action}; it is kept in the audit log.",
        "guide §6, §8: suspensions and reinstatements are recorded with their reason",
    )


def _refuse_oversized(**values: str | None) -> None:
    """Refuse a reference or reason longer than the audit log keeps, before anything is written."""
    oversized = check_lengths(values)
    if oversized:
        raise RuleViolation(oversized)


class _Undo:
    """The steps that put things back, taken newest first when a later step fails."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def push(self, what: str, step: Callable[[], object]) -> None:
        self._steps.append((what, step))

    def run(self, error: BaseException) -> None:
        for what, step in reversed(self._steps):
            try:
                step()
            except Exception as failed:  # keep undoing the rest; the first error is the answer
                log.error("could not undo %s: %s", what, failed)
                error.add_note(f"could not undo {what}: {failed}")


@contextlib.contextmanager
def _all_or_nothing() -> Iterator[_Undo]:
    """A change in steps: when one fails (the audit record included), the earlier ones are
    undone and the first failure is raised."""
    undo = _Undo()
    try:
        yield undo
    except BaseException as error:
        undo.run(error)
        raise


def _keycloak_refusal(error: Rejected) -> RuleViolation:
    """Keycloak's own validators said no (the user profile): report it like a domain rule."""
    found = [
        _violation(
            KEYCLOAK_FIELDS.get(d.get("field", ""), d.get("field", "")),
            "keycloak-refused",
            f"Keycloak refused the {d.get('field') or 'request'}: {d.get('message')}",
            "realm user profile (realm-config/user-profile.yaml)",
        )
        for d in error.details
    ]
    return RuleViolation(found or [_violation("", "keycloak-refused", str(error), "Keycloak")])


def _member(user: UserRecord, org_id: str) -> Member:
    return Member(user.username, org_id, user.roles, user.enabled, user.locked)


class UserAdmin:
    """The user-administration use cases for one realm."""

    def __init__(
        self,
        directory: Directory,
        audit: AuditLog,
        policy: RealmPolicy,
        locks: OrganisationLocks | None = None,
    ) -> None:
        self.directory = directory
        self.audit = audit
        self.policy = policy
        # By default the locks live in the audit log's database, which every process of one
        # deployment (web workers, CLI) shares.
        self.locks = locks if locks is not None else engine_locks(audit.engine)

    # --- who is asking -----------------------------------------------------------------------

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

    def _organisation(self, caller: Caller, org_id: str, action: str) -> OrgGroup:
        group = self.directory.find_organisation(org_id)
        if isinstance(caller, Operator):
            if group is None:
                raise NotVisible(f"organisation {org_id} does not exist")
            return group
        # Other organisations are invisible: the same answer whether or not they exist.
        if group is None or caller.organisation_id != org_id:
            raise NotVisible(f"organisation {org_id} not found")
        if not UserPolicy(caller, org_id).may(action):
            raise NotPermitted(
                f"only an active super user of {org_id} may {action.replace('_', ' ')} its users"
            )
        return group

    def _target(self, group: OrgGroup, username: str) -> UserRecord:
        user = self.directory.find_user(username)
        if user is None or group.organisation.id not in user.organisation_ids:
            raise NotVisible(f"user {username} not found in {group.organisation.id}")
        return user

    def _members(self, group: OrgGroup, all_locks: bool = False) -> list[UserRecord]:
        users = self.directory.members(group, self.policy.roles.names, locks=all_locks)
        if not all_locks:
            # Locks only matter for the super-user rules: ask only about enabled super users.
            self.directory.fill_locks([u for u in users if u.enabled and SUPER_USER in u.roles])
        return users

    def _deputy(self, group: OrgGroup, users: list[UserRecord] | None = None) -> list[Violation]:
        users = users if users is not None else self._members(group)
        warning = deputy_warning([_member(u, group.organisation.id) for u in users])
        return [warning] if warning else []

    def _record(self, caller: Caller, org_id: str | None, action: str, **kw: Any) -> AuditEvent:
        return self.audit.record(AuditEvent(action, caller.username, org_id, **kw))

    # --- create ------------------------------------------------------------------------------

    def _check_new_user(
        self,
        org: Organisation,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> list[Violation]:
        errors, warnings = validate_details(
            details,
            policy=self.policy.generic_names,
            organisation_name=org.name,
            role_names=self.policy.roles.names,
        )
        errors += check_lengths({"reference": reference})
        errors += self.policy.roles.check_assignment(list(roles), org)
        if errors:
            raise RuleViolation(errors)
        return warnings

    def _existing_person(
        self, group: OrgGroup, details: UserDetails, roles: Collection[str]
    ) -> tuple[UserRecord | None, set[str]]:
        """The organisation's account this creation already made (domain.users.repeats_creation),
        if any, and the usernames taken by the person's base name (the creation skips them)."""
        taken = self.directory.usernames_starting(
            base_username(details.given_name, details.family_name)
        )
        for username in sorted(taken):
            user = self.directory.find_user(username)
            if (
                user is not None
                and group.organisation.id in user.organisation_ids
                and repeats_creation(details, roles, details_of(user), user.roles, user.enabled)
            ):
                return user, taken
        return None, taken

    def _create_account(
        self,
        org: Organisation,
        details: UserDetails,
        roles: Collection[str],
        undo: _Undo,
        taken: set[str] | None = None,
    ) -> tuple[str, str]:
        """Create the account disabled, in the group, with its roles; (id, username).

        It is enabled (``_activate``) only once its roles and its audit record exist, so
        whatever fails, even the clean-up, no usable account is left without a role or a
        record: at worst a disabled one. ``undo`` deletes it again.
        """
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
                user_id = self.directory.create_user({**rep, "username": candidate})
            except Conflict as conflict:
                # "same email" only when the realm refuses duplicate emails; a race between
                # concurrent creates surfaces as "same username or email": try the next name.
                if "username" not in str(conflict).lower():
                    raise
                if taken is None:
                    taken = self.directory.usernames_starting(base)
                continue
            except Rejected as error:
                raise _keycloak_refusal(error) from error
            username = candidate
            break
        assert user_id is not None and username is not None
        created = user_id
        undo.push(f"the creation of {username}", lambda: self.directory.delete_user(created))
        self.directory.add_roles(user_id, roles)
        return user_id, username

    def _activate(self, user_id: str, details: UserDetails, undo: _Undo) -> None:
        """Enable a new account (its roles and record exist) and send its set-password email."""
        self.directory.set_enabled(user_id, True)
        undo.push("enabling the new account", lambda: self.directory.set_enabled(user_id, False))
        if representation(details).get("email"):
            self.directory.send_set_password_email(user_id)

    def _recorded(self, undo: _Undo, event: AuditEvent) -> AuditEvent:
        """An event written before the last steps of its change: withdrawn if they fail."""
        if event.id is not None:
            event_id = event.id
            undo.push(f"audit event {event_id}", lambda: self.audit.withdraw(event_id))
        return event

    def create_user(
        self,
        caller: Caller,
        org_id: str,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §4: a named person's account in the organisation, with at least one role."""
        group = self._organisation(caller, org_id, "create")
        result = self._create_in(caller, group, details, roles, reference)
        if SUPER_USER in roles:
            result.warnings += self._deputy(group)
        return result

    def onboard(
        self,
        caller: Caller,
        org_id: str,
        people: Sequence[tuple[UserDetails, Collection[str]]],
        reference: str | None = None,
        workers: int = 8,
    ) -> list[Result | RuleViolation]:
        """Many people at once (an organisation's first users, a spreadsheet): the organisation
        is looked up and the caller authorised once, then each person goes through exactly the
        rules of `create_user`. One answer per person, in order: a Result or the refusal."""
        group = self._organisation(caller, org_id, "create")

        def one(person: tuple[UserDetails, Collection[str]]) -> Result | RuleViolation:
            try:
                return self._create_in(caller, group, person[0], person[1], reference)
            except RuleViolation as refused:
                return refused

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, people))
        if any(SUPER_USER in roles for _, roles in people):
            deputies = self._deputy(group)
            for result in results:
                if isinstance(result, Result):
                    result.warnings += deputies
        return results

    def _create_in(
        self,
        caller: Caller,
        group: OrgGroup,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None,
    ) -> Result:
        org = group.organisation
        org_id = org.id
        warnings = self._check_new_user(org, details, roles, reference)
        if not identifies_person(details):
            # Only names: two people may share them, so this is always a new account.
            return self._new_account(caller, group, details, roles, reference, warnings, None)
        # One creation of a given name at a time in the organisation, so that a retry racing
        # the first attempt still finds the account it made.
        names = f"{details.given_name.strip()}\x1f{details.family_name.strip()}".casefold()
        with self.locks(org_id, f"create:{names}"):
            existing, taken = self._existing_person(group, details, roles)
            if existing is None:
                return self._new_account(caller, group, details, roles, reference, warnings, taken)
        self.directory.fill_locks([existing] if existing.enabled else [])
        same = f"{existing.first_name} {existing.last_name}".strip()
        notice = _violation(
            "",
            "person-already-registered",
            f"{same} already has the account {existing.username} in {org_id} with these roles "
            "(same names and email address or staff ID): nothing was created.",
            "guide §4, §10.1: one account per person in each organisation",
        )
        return Result(user=existing.as_dict(), warnings=[notice], existing=True)

    def _new_account(
        self,
        caller: Caller,
        group: OrgGroup,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None,
        warnings: list[Violation],
        taken: set[str] | None,
    ) -> Result:
        org_id = group.organisation.id
        with _all_or_nothing() as undo:
            user_id, username = self._create_account(
                group.organisation, details, roles, undo, taken
            )
            event = self._recorded(
                undo,
                self._record(
                    caller,
                    org_id,
                    "user_created",
                    target=username,
                    reference=reference,
                    details={"roles": sorted(roles), "email_sent": bool(details.email)},
                ),
            )
            self._activate(user_id, details, undo)
        user = {**representation(details), "username": username, "roles": sorted(roles)}
        return Result(user=public_user(user), warnings=warnings, event=event)

    # --- read --------------------------------------------------------------------------------

    def agreement_report(self, caller: Caller, org_id: str) -> list[dict[str, Any]]:
        """Guide §4.3: which of the organisation's users accepted which version of the User
        Agreement, and when (their last acceptance)."""
        group = self._organisation(caller, org_id, "view")
        current = self.policy.agreement.current if self.policy.agreement else None
        users = self.directory.members(group, self.policy.roles.names, locks=False)
        rows = [
            acceptance(u.username, f"{u.first_name} {u.last_name}".strip(), u.attributes, current)
            for u in sorted(users, key=lambda u: u.username)
        ]
        return [r.as_dict() for r in rows]

    def list_users(
        self,
        caller: Caller,
        org_id: str,
        search: str | None = None,
        role: str | None = None,
        status: str | None = None,
    ) -> Result:
        """Guide §8: the organisation's users, with role, status (incl. locked), email, staff ID."""
        group = self._organisation(caller, org_id, "view")
        users = self._members(group, all_locks=True)
        logins = self.directory.last_logins([u.id for u in users])
        shown = [
            {**u.as_dict(), "last_login_ms": logins.get(u.id)}
            for u in sorted(users, key=lambda u: u.username)
        ]
        if search:
            needle = search.casefold()
            shown = [
                u
                for u in shown
                if any(
                    needle in str(u.get(k) or "").casefold()
                    for k in ("username", "given_name", "family_name", "email", "staff_id")
                )
            ]
        if role:
            shown = [u for u in shown if role in u["roles"]]
        if status:
            shown = [u for u in shown if u["status"] == status]
        return Result(users=shown, warnings=self._deputy(group, users))

    def get_user(self, caller: Caller, org_id: str, username: str) -> Result:
        group = self._organisation(caller, org_id, "view")
        user = self._target(group, username)
        self.directory.fill_locks([user] if user.enabled else [])
        return Result(user=user.as_dict())

    def audit_events(self, caller: Caller, org_id: str, limit: int = 500) -> list[AuditEvent]:
        self._organisation(caller, org_id, "view_audit")
        return self.audit.events(org_id, limit=limit)

    # --- update details ------------------------------------------------------------------------

    def update_details(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        changes: Mapping[str, str | None],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: super users update details; a user may update their own name and numbers."""
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise RuleViolation(
                _violation(f, "not-editable", f"{f} cannot be changed here.", "guide §5")
                for f in unknown
            )
        own = isinstance(caller, Actor) and may_update_own_details(caller, username)
        if own and isinstance(caller, Actor) and caller.organisation_id == org_id:
            group = self.directory.find_organisation(org_id)
            if group is None:
                raise NotVisible(f"organisation {org_id} not found")
            if not caller.is_super_user_of(org_id):
                refused = sorted(set(changes) - SELF_EDITABLE)
                if refused:
                    raise RuleViolation(
                        _violation(
                            f,
                            "super-user-only",
                            f"Only your super user can change {f.replace('_', ' ')}.",
                            "guide §5: users maintain their names and contact numbers",
                        )
                        for f in refused
                    )
        else:
            group = self._organisation(caller, org_id, "update_details")
        _refuse_oversized(reference=reference)
        user = self._target(group, username)
        before = details_of(user)
        after = replace(before, **{k: v for k, v in changes.items()})  # type: ignore[arg-type]
        errors, warnings = validate_details(
            after,
            policy=self.policy.generic_names,
            organisation_name=group.organisation.name,
            role_names=self.policy.roles.names,
        )
        if errors:
            raise RuleViolation(errors)
        current = self.directory.get_user(user.id)
        rep = representation(after)
        # Keep attributes this product does not edit (e.g. the agreement's): Keycloak replaces
        # the whole attribute map on PUT.
        attributes = {
            k: v for k, v in (current.get("attributes") or {}).items() if k not in KEYCLOAK_FIELDS
        }
        attributes.update(rep["attributes"])
        fields = {
            "firstName": rep["firstName"],
            "lastName": rep["lastName"],
            "email": rep.get("email", ""),
            "attributes": attributes,
        }
        previous = {
            "firstName": current.get("firstName") or "",
            "lastName": current.get("lastName") or "",
            "email": current.get("email") or "",
            "attributes": current.get("attributes") or {},
        }
        changed = sorted(k for k in changes if getattr(before, k) != getattr(after, k))
        with _all_or_nothing() as undo:
            try:
                self.directory.update_user(user.id, fields)
            except Rejected as error:
                raise _keycloak_refusal(error) from error
            undo.push(
                f"the details change of {user.username}",
                lambda: self.directory.update_user(user.id, previous),
            )
            event = self._record(
                caller,
                org_id,
                "user_details_updated",
                target=user.username,
                reference=reference,
                details={"fields": changed, "self": own},
            )
        updated = replace(
            user,
            first_name=after.given_name,
            last_name=after.family_name,
            email=after.email or None,
            attributes={k: v[0] for k, v in attributes.items() if v},
        )
        return Result(user=updated.as_dict(), warnings=warnings, event=event)

    # --- roles -------------------------------------------------------------------------------

    def change_roles(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: authorised role changes; the last super user keeps LRBSuperUser."""
        group = self._organisation(caller, org_id, "change_roles")
        _refuse_oversized(reference=reference)
        user = self._target(group, username)
        demotes = removes_super_user(set(user.roles), set(roles))
        # Taking LRBSuperUser away: check and change while no other change in the organisation
        # can take away another super user (else two demoting each other would leave none).
        with self.locks(org_id) if demotes else contextlib.nullcontext():
            if demotes:
                user = self._target(group, username)  # the roles as they are now
            old, new = set(user.roles), set(roles)
            errors = self.policy.roles.check_assignment(list(new), group.organisation)
            if role_change_needs_authorisation(old, new) and not (reference or "").strip():
                errors.append(
                    _violation(
                        "reference",
                        "authorisation-reference-required",
                        "This change gives more access: record the reference of its approval "
                        "under your organisation's authorisation procedure.",
                        "guide §5: authorise changes in role, especially more access",
                    )
                )
            if removes_super_user(old, new):
                members = self._members(group)
                last = check_last_super_user(
                    [_member(u, org_id) for u in members], username, "demote"
                )
                if last:
                    errors.append(last)
            if errors:
                raise RuleViolation(errors)
            added, removed = new - old, old - new
            with _all_or_nothing() as undo:
                self.directory.add_roles(user.id, added)
                undo.push("the added roles", lambda: self.directory.remove_roles(user.id, added))
                self.directory.remove_roles(user.id, removed)
                undo.push("the removed roles", lambda: self.directory.add_roles(user.id, removed))
                event = self._record(
                    caller,
                    org_id,
                    "user_roles_changed",
                    target=user.username,
                    reference=reference,
                    details={
                        "added": sorted(added),
                        "removed": sorted(removed),
                        "roles": sorted(new),
                    },
                )
        warnings = self._deputy(group) if SUPER_USER in old | new else []
        return Result(
            user=replace(user, roles=frozenset(new)).as_dict(), warnings=warnings, event=event
        )

    # --- suspend, reinstate, remove ----------------------------------------------------------

    def _guarded(
        self, caller: Caller, org_id: str, username: str, action: str, policy_action: str
    ) -> tuple[OrgGroup, UserRecord, list[UserRecord]]:
        group = self._organisation(caller, org_id, policy_action)
        user = self._target(group, username)
        members = self._members(group)
        last = check_last_super_user([_member(u, org_id) for u in members], username, action)
        if last:
            raise RuleViolation([last])
        return group, user, members

    def suspend(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6: disable the account and end its sessions at once."""
        self._organisation(caller, org_id, "suspend")
        if not (reason or "").strip():
            raise RuleViolation([_reason_required("suspension")])
        _refuse_oversized(reason=reason)
        # The last-super-user check and the change, with no other such change in between.
        with self.locks(org_id):
            group, user, members = self._guarded(caller, org_id, username, "suspend", "suspend")
            was_enabled = user.enabled
            with _all_or_nothing() as undo:
                self.directory.set_enabled(user.id, False)
                undo.push(
                    f"the suspension of {user.username}",
                    lambda: self.directory.set_enabled(user.id, was_enabled),
                )
                # Ended sessions cannot be restored; the person logs on again if undone.
                self.directory.logout(user.id)
                event = self._record(
                    caller, org_id, "user_suspended", target=user.username, reason=reason
                )
        after = [replace(u, enabled=False) if u.id == user.id else u for u in members]
        user.enabled = False
        return Result(user=user.as_dict(), warnings=self._deputy(group, after), event=event)

    def reinstate(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6.1: re-enable and clear a brute-force lock."""
        group = self._organisation(caller, org_id, "reinstate")
        if not (reason or "").strip():
            raise RuleViolation([_reason_required("reinstatement")])
        _refuse_oversized(reason=reason)
        user = self._target(group, username)
        was_enabled = user.enabled
        with _all_or_nothing() as undo:
            # Keycloak cannot lock an account again on request: undoing disables it instead,
            # which keeps the person out just the same.
            self.directory.clear_lock(user.id)
            self.directory.set_enabled(user.id, True)
            undo.push(
                f"the reinstatement of {user.username}",
                lambda: self.directory.set_enabled(user.id, was_enabled),
            )
            event = self._record(
                caller, org_id, "user_reinstated", target=user.username, reason=reason
            )
        user.enabled, user.locked = True, False
        warnings = self._deputy(group) if SUPER_USER in user.roles else []
        return Result(user=user.as_dict(), warnings=warnings, event=event)

    def remove(
        self, caller: Caller, org_id: str, username: str, reason: str | None = None
    ) -> Result:
        """Guide §7: delete the account from Keycloak; its audit history stays.

        Recorded first, deleted after: a deleted account cannot be put back as it was (its id,
        password, sessions and history in Keycloak), but a record can be withdrawn.
        """
        self._organisation(caller, org_id, "remove")
        _refuse_oversized(reason=reason)
        with self.locks(org_id):
            group, user, members = self._guarded(caller, org_id, username, "remove", "remove")
            snapshot = user.as_dict()
            event = self._record(
                caller,
                org_id,
                "user_removed",
                target=user.username,
                reason=reason,
                details={"user": snapshot},
            )
            try:
                self.directory.delete_user(user.id)
            except BaseException as error:
                self._withdraw_unless_gone(event, user, error)
                raise
        rest = [u for u in members if u.id != user.id]
        return Result(user=snapshot, warnings=self._deputy(group, rest), event=event)

    def _withdraw_unless_gone(
        self, event: AuditEvent, user: UserRecord, error: BaseException
    ) -> None:
        """The delete failed, or its answer was lost: the removal's record goes only when the
        account is certainly still there (when in doubt, a record too many beats one too few)."""
        try:
            still = self.directory.find_user(user.username)
            if still is not None and still.id == user.id and event.id is not None:
                self.audit.withdraw(event.id)
        except Exception as failed:
            log.error("could not withdraw audit event %s: %s", event.id, failed)
            error.add_note(f"could not withdraw audit event {event.id}: {failed}")

    # --- organisations -----------------------------------------------------------------------

    def register_organisation(
        self, caller: Caller, org: Organisation, super_user: UserDetails
    ) -> Result:
        """Guide §1.1: the operator registers an organisation with its initial Super User."""
        if not isinstance(caller, Operator):
            raise NotPermitted("only the MIAP operator registers organisations")
        kind = self.policy.kinds.get(org.kind)
        if kind is not None:  # an awarding body is always entitled to its role (§10.3)
            org = replace(org, entitlements=org.entitlements | kind.entitlements)
        errors = check_organisation(org, self.policy.kinds)
        if not errors and self.directory.find_organisation(org.id) is not None:
            errors.append(
                _violation(
                    "id",
                    "organisation-exists",
                    f"Organisation {org.id} is already registered.",
                    "guide §2: one registered organisation entity",
                )
            )
        if errors:
            raise RuleViolation(errors)
        warnings = self._check_new_user(org, super_user, [SUPER_USER])
        with _all_or_nothing() as undo:
            group = self.directory.create_organisation(org)
            undo.push(
                f"the registration of {org.id}", lambda: self.directory.delete_group(group.group_id)
            )
            user_id, username = self._create_account(
                group.organisation, super_user, [SUPER_USER], undo
            )
            event = self._recorded(
                undo,
                self._record(
                    caller,
                    org.id,
                    "organisation_registered",
                    target=username,
                    details={
                        "name": org.name,
                        "kind": org.kind,
                        "entitlements": sorted(org.entitlements),
                        "super_user": username,
                    },
                ),
            )
            self._activate(user_id, super_user, undo)
        user = {**representation(super_user), "username": username, "roles": [SUPER_USER]}
        warnings += self._deputy(group)
        return Result(user=public_user(user), warnings=warnings, event=event)


__all__ = [
    "Caller",
    "Directory",
    "NotPermitted",
    "NotVisible",
    "Operator",
    "Result",
    "UserAdmin",
]
