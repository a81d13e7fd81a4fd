"""What the services need from outside, as the services name it (ports).

Each Protocol lists only the calls the services make, so a unit test can hand a service a fake
(tests/unit/services) and an adapter (keycloak/, store/) can change behind it. The values that
cross a port are plain dataclasses (``UserRecord``, ``OrgGroup``, ``Flag``, ``AuditEvent``,
domain objects), never ORM rows or Keycloak representations; the one exception is the help
desk's ``RecoveryCases``, whose use cases still read ``RecoveryCaseRow`` (detached rows, used
as records).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.lifecycle import ReviewPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.recovery import CaseState, NewSuperUserForm, RecoveryCase
from lrs_keycloak.domain.reviews import Review
from lrs_keycloak.domain.signatories import RecordedSignatory, Signatory
from lrs_keycloak.keycloak.actors import Actor
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.console_changes import RecordedChange
from lrs_keycloak.store.enforcement import Flag
from lrs_keycloak.store.event_claims import Abandoned
from lrs_keycloak.store.recovery import RecoveryCaseRow

# --- Keycloak ------------------------------------------------------------------------------------


class Directory(Protocol):
    """Users and organisation groups in Keycloak (keycloak.users.UserDirectory; fakes in
    tests): what user administration and the recovery call."""

    def find_organisation(self, org_id: str) -> OrgGroup | None: ...
    def organisations(self) -> list[OrgGroup]: ...
    def create_organisation(self, org: Organisation) -> OrgGroup: ...
    def delete_group(self, group_id: str) -> None: ...
    def members(
        self, group: OrgGroup, roles: Collection[str], locks: bool = True
    ) -> list[UserRecord]: ...
    def fill_locks(self, users: list[UserRecord]) -> None: ...
    def last_logins(self, users: Sequence[UserRecord]) -> dict[str, int]: ...
    def stored_logons(
        self, wanted: Collection[str] | None = None, pages: int = 10
    ) -> dict[str, int]: ...
    def stream_members(self, group: OrgGroup, roles: Collection[str]) -> Iterator[UserRecord]:
        """The organisation's users a page at a time, with their LRS roles among ``roles``."""
        ...

    def find_user(self, username: str) -> UserRecord | None: ...
    def usernames_starting(self, prefix: str) -> set[str]: ...
    def create_user(self, representation: dict[str, Any]) -> str: ...
    def create_users(
        self, users: Sequence[tuple[dict[str, Any], Collection[str]]]
    ) -> list[str]: ...
    def usernames_taken(self, prefixes: Collection[str]) -> set[str]: ...
    def add_roles(self, user_id: str, roles: Collection[str]) -> None: ...
    def remove_roles(self, user_id: str, roles: Collection[str]) -> None: ...
    def update_user(self, user_id: str, fields: dict[str, Any]) -> None: ...
    def get_user(self, user_id: str) -> dict[str, Any]: ...
    def delete_user(self, user_id: str) -> None: ...
    def set_enabled(self, user_id: str, enabled: bool) -> None: ...
    def logout(self, user_id: str) -> None: ...
    def clear_lock(self, user_id: str) -> None: ...
    def send_set_password_email(self, user_id: str) -> None: ...
    def second_factors(self, user_id: str) -> list[str]: ...
    def delete_second_factor(self, user_id: str, credential_id: str) -> None: ...


class WatchedDirectory(Protocol):
    """What the enforcer reads and changes in Keycloak after a change made in the console
    (keycloak.users.UserDirectory; a fake in tests)."""

    def find_organisation(self, org_id: str) -> OrgGroup | None: ...
    def members(
        self, group: OrgGroup, roles: Collection[str], locks: bool = True
    ) -> list[UserRecord]: ...
    def role_members(self, role: str) -> set[str]: ...
    def user_by_id(self, user_id: str) -> UserRecord | None:
        """The user with their LRS roles and organisations; None when there is none."""
        ...

    def user_organisation_ids(self, user_id: str) -> list[str]: ...
    def is_staff(self, user_id: str) -> bool: ...
    def remove_roles(self, user_id: str, roles: Collection[str]) -> None: ...
    def set_enabled(self, user_id: str, enabled: bool) -> None: ...
    def refresh_organisation(
        self,
        policy: RealmPolicy,
        org_id: str,
        members: Sequence[str],
        super_users: set[str],
    ) -> bool:
        """Bring the organisation's console permissions up to its members, as sync would."""
        ...

    def admin_events_since(self, time_ms: int) -> list[dict[str, Any]]: ...
    def login_events_since(self, time_ms: int, event_type: str) -> list[dict[str, Any]]: ...


class ChangeActors(Protocol):
    """Who made an admin change (keycloak.actors.Actors)."""

    def is_companion(self, auth: Mapping[str, Any]) -> bool: ...
    def person(self, auth: Mapping[str, Any]) -> Actor | None: ...


class ContactBook(Protocol):
    """An organisation's primary contact (keycloak.contacts.OrganisationContacts)."""

    def primary_contact(self, group_id: str) -> str | None: ...
    def set_primary_contact(self, group_id: str, username: str) -> str | None: ...


class ReviewNotices(Protocol):
    """Tells an organisation's super users that an access review started (services.notices)."""

    def review_started(
        self, group: OrgGroup, members: Iterable[UserRecord], review: Review, policy: ReviewPolicy
    ) -> list[str]: ...


class ContactNotices(Protocol):
    """Tells the help desk when an organisation's primary contact is gone (services.notices)."""

    def check_primary_contact(self, group: OrgGroup) -> list[str]: ...
    def primary_contact_changed(self, org_id: str) -> None: ...


# --- the database --------------------------------------------------------------------------------


class Audit(Protocol):
    """The audit log (store.audit.AuditLog)."""

    def record(self, event: AuditEvent) -> AuditEvent: ...
    def record_many(self, events: Sequence[AuditEvent]) -> list[AuditEvent]: ...
    def withdraw(self, event_id: int) -> None: ...
    def count(self, organisation_id: str, actions: Collection[str]) -> int: ...
    def events(
        self,
        organisation_id: str | None = None,
        target: str | None = None,
        action: str | None = None,
        limit: int = 500,
        offset: int = 0,
        actor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> list[AuditEvent]: ...


class Flags(Protocol):
    """The enforcer's flags, membership memory and event cursors (store.enforcement)."""

    def raise_flag(
        self, user_id: str, username: str, organisation_id: str | None, rule: str, message: str
    ) -> Flag | None: ...
    def resolve_except(self, user_id: str, still: set[str]) -> list[Flag]: ...
    def resolve_organisation(self, organisation_id: str, rule: str) -> list[Flag]: ...
    def open_flags(self, organisation_id: str | None = None) -> list[Flag]: ...
    def user_flags(self, user_id: str) -> list[Flag]: ...
    def rearm(self, flag_id: int, now: datetime) -> None: ...
    def mark_disabled(self, flag_id: int) -> None: ...
    def remember_membership(self, user_id: str, organisation_ids: list[str]) -> None: ...
    def last_membership(self, user_id: str) -> list[str]: ...
    def cursor(self, name: str) -> tuple[int, set[str]] | None: ...
    def save_cursor(self, name: str, time_ms: int, seen_ids: set[str]) -> None: ...


class EventClaims(Protocol):
    """Each Keycloak event taken by one process at a time, and done once (store.event_claims):
    the webhook's deliveries to any app process and every worker's poll share it."""

    def claim(self, key: str, event: dict[str, Any], owner: str, now: datetime) -> bool: ...
    def done(self, key: str, owner: str, now: datetime) -> bool: ...
    def release(self, key: str, owner: str, now: datetime) -> None: ...
    def take_abandoned(self, owner: str, now: datetime, limit: int = 100) -> list[Abandoned]: ...


class ConsoleChangeStore(Protocol):
    """Console changes recorded once each, and their reasons (store.console_changes)."""

    def record(
        self, keycloak_event_id: str, events: list[tuple[AuditEvent, str | None]]
    ) -> list[AuditEvent] | None: ...
    def recorded(self, keycloak_event_id: str) -> bool: ...
    def changes(
        self, organisation_id: str, needing_reason: bool = False, limit: int = 200
    ) -> list[RecordedChange]: ...
    def change(self, organisation_id: str, change_id: int) -> RecordedChange | None: ...
    def add_reason(self, change_id: int, event: AuditEvent) -> AuditEvent | None: ...
    def snapshot(self, user_id: str) -> dict[str, Any] | None: ...
    def save_snapshot(self, user_id: str, snapshot: dict[str, Any]) -> None: ...


class WaitingCases(Protocol):
    """The recovery cases as the enforcer sees them (store.recovery.RecoveryStore)."""

    def open_awaiting_form(
        self, organisation_id: str, raised_by: str, now: datetime
    ) -> tuple[RecoveryCase, bool]:
        """A new case awaiting its form, or the organisation's open case; whether it is new."""
        ...

    def awaiting_form(self, organisation_id: str) -> list[RecoveryCase]: ...
    def withdraw(self, case_id: int, by: str, reason: str, now: datetime) -> RecoveryCase | None:
        """Cancel a case still awaiting its form; None when it moved on meanwhile."""
        ...


class RecoveryCases(Protocol):
    """The help desk's recovery cases (store.recovery.RecoveryStore)."""

    def create(
        self, form: NewSuperUserForm, raised_by: str, now: datetime | None = None
    ) -> RecoveryCaseRow: ...
    def get(self, case_id: int) -> RecoveryCaseRow | None: ...
    def by_token_hash(self, token_hash: str) -> RecoveryCaseRow | None: ...
    def cases(
        self,
        state: str | None = None,
        organisation_id: str | None = None,
        states: Collection[str] | None = None,
        limit: int = 500,
    ) -> list[RecoveryCaseRow]: ...
    def move(
        self,
        case_id: int,
        from_states: Collection[CaseState],
        to_state: CaseState,
        now: datetime | None = None,
        extra_where: dict[str, Any] | None = None,
        **values: Any,
    ) -> RecoveryCaseRow | None: ...
    def set_values(self, case_id: int, **values: Any) -> None: ...


class Signatories(Protocol):
    """The signatories MIAP holds (store.signatories.SignatoryStore)."""

    def get(self, organisation_id: str) -> RecordedSignatory | None: ...
    def record(
        self,
        organisation_id: str,
        signatory: Signatory,
        recorded_by: str,
        event: AuditEvent,
        now: datetime | None = None,
    ) -> tuple[RecordedSignatory, AuditEvent]: ...


# --- mail ----------------------------------------------------------------------------------------


class Mailer(Protocol):
    """Sends one plain-text email (services.recovery.mail.SmtpMailer)."""

    def send(self, to: str, subject: str, body: str) -> None: ...


__all__ = [
    "Audit",
    "ContactBook",
    "Directory",
    "Flags",
    "Mailer",
    "RecoveryCases",
    "Signatories",
    "WaitingCases",
    "WatchedDirectory",
]
