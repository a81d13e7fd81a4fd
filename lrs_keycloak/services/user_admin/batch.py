"""The bulk import's creations, a chunk of people at a time (docs/adr/0021).

Every property of a single creation (creation.py), at a fraction of its requests:

* repeat detection from the organisation's members, read once (paged) before anything is made,
  instead of a username search and four reads per row;
* usernames generated as a single creation does (``given.family``, then 2, 3…, unique in the
  realm), from the taken ones read once for the whole file (``usernames_taken``);
* per chunk, in ADR 7's order: the users made disabled, in their group with their roles, in one
  Keycloak transaction (all of the chunk or none); then their audit records in one store
  transaction; then each enabled and sent its set-password email, as a single creation does.

A crash (Keycloak stopped, the process killed) therefore leaves each person of the chunk with
no account, a disabled one (maybe unrecorded, when the process died between the two
transactions) or a finished one. A re-run finds the disabled ones among the members and
finishes them (``half_made``): recorded if they were not, enabled, emailed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.bulk_import import ImportRow
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.usernames import base_username, candidate_usernames
from lrs_keycloak.domain.users import identifies_person, repeats_creation, same_person
from lrs_keycloak.keycloak.errors import Conflict
from lrs_keycloak.keycloak.fields import details_of, representation
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord, organisation_path, recorded_logon
from lrs_keycloak.services.user_admin.accounts import MAX_USERNAME_ATTEMPTS, Accounts
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.creation import already_registered
from lrs_keycloak.store.audit import AuditEvent

Outcome = Literal["created", "existing", "refused"]
#: People per Keycloak transaction. A partial import's cost grows faster than its size (each
#: user's existence check flushes the whole transaction so far), so small chunks, several at
#: once, beat one big one; a failed or killed chunk also leaves fewer accounts to finish.
CHUNK = 25
#: A chunk whose usernames a concurrent creation took is tried again with fresh ones.
MAX_CHUNK_ATTEMPTS = 5


@dataclass(frozen=True)
class RowOutcome:
    row: int
    outcome: Outcome
    username: str | None
    messages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "outcome": self.outcome,
            "username": self.username,
            "messages": list(self.messages),
        }


def _texts(violations: Sequence[Violation]) -> tuple[str, ...]:
    return tuple(v.message for v in violations)


@dataclass
class _New:
    """A person to make: the row, its warnings, the username chosen for it."""

    row: ImportRow
    warnings: list[Violation]
    username: str = ""
    user_id: str = ""
    event: AuditEvent | None = None


@dataclass
class _Plan:
    """What each row comes to, in row order: an answer already known, or an account to make or
    finish (``todo``: new ones and half-made ones, keyed by row number)."""

    known: dict[int, RowOutcome] = field(default_factory=dict)
    new: list[_New] = field(default_factory=list)
    finish: list[tuple[_New, UserRecord]] = field(default_factory=list)


def _names(given: str, family: str) -> tuple[str, str]:
    return given.strip().casefold(), family.strip().casefold()


class BatchCreation:
    def __init__(self, accounts: Accounts, workers: int = 4, chunk: int = CHUNK) -> None:
        self.accounts = accounts
        self.access = accounts.access
        self.workers = workers
        self.chunk = chunk

    def run(
        self,
        caller: Caller,
        group: OrgGroup,
        rows: Sequence[ImportRow],
        reference: str | None,
        checked: Mapping[int, list[Violation]] | None = None,
    ) -> Iterator[RowOutcome]:
        """Each row's outcome, in row order, a chunk at a time (the chunk's people made).
        ``checked``: the warnings of rows the caller has just checked (not checked again)."""
        # The two reads of the realm, at once: the taken usernames of every row's names (a
        # superset of the new rows') while the members are read and the rows planned.
        bases = _bases(rows)
        with ThreadPoolExecutor(max_workers=1) as reader:
            taken = reader.submit(self.access.directory.usernames_taken, bases)
            plan = self._plan(group, rows, reference, checked or {})
            self._choose_usernames(plan.new, taken.result())
        outcomes = dict(plan.known)
        for new, user in plan.finish:
            outcomes[new.row.number] = self._finish(caller, group, new, user, reference)
        order = sorted(row.number for row in rows)
        told = 0
        size = self.chunk
        chunks = [plan.new[i : i + size] for i in range(0, len(plan.new), size)]
        planned = {new.username for new in plan.new}
        # Several chunks in flight, each its own Keycloak transaction: a partial import's cost
        # grows faster than its size (measured: 200 users 48/s, 4 x 50 at once 265/s).
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            made = [
                pool.submit(self._make, caller, group, chunk, reference, planned)
                for chunk in chunks
            ]
            for chunk, future in zip([*chunks, []], [*made, None], strict=True):
                for new in future.result() if future is not None else []:
                    outcomes[new.row.number] = RowOutcome(
                        new.row.number, "created", new.username, _texts(new.warnings)
                    )
                # Chunks follow the rows' order: every row up to the chunk's last is answered.
                last = chunk[-1].row.number if chunk else (order[-1] if order else 0)
                while told < len(order) and order[told] <= last:
                    yield outcomes[order[told]]
                    told += 1
        except BaseException:
            # Keycloak failed, Ctrl-C, or the caller stopped reading: the chunks under way end
            # (each whole, or disabled and recorded), none starts; a re-run does the rest.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()

    # --- planning: nothing written ------------------------------------------------------------

    def _plan(
        self,
        group: OrgGroup,
        rows: Sequence[ImportRow],
        reference: str | None,
        checked: Mapping[int, list[Violation]],
    ) -> _Plan:
        org = group.organisation
        directory = self.access.directory
        # The members with their details, without roles: those are read (``find_user``) only
        # for a member who is the same person as a row, so that the read grows with the
        # organisation, not with the realm's role holders.
        by_names: dict[tuple[str, str], list[UserRecord]] = {}
        for user in directory.stream_members(group, {}):
            by_names.setdefault(_names(user.first_name, user.last_name), []).append(user)
        plan = _Plan()
        for row in rows:
            details, roles = row.details, row.roles
            try:  # unless just checked: the organisation may have changed since
                warnings = checked.get(row.number)
                if warnings is None:
                    warnings = self.accounts.check_new_user(org, details, roles, reference)
            except RuleViolation as refused:
                texts = tuple(f"{v.field}: {v.message} ({v.rule})" for v in refused.violations)
                plan.known[row.number] = RowOutcome(row.number, "refused", None, texts)
                continue
            new = _New(row, warnings)
            key = _names(details.given_name, details.family_name)
            if identifies_person(details):
                found = by_names.get(key, [])
                for i, user in enumerate(found):
                    if not user.roles and same_person(details, details_of(user)):
                        found[i] = directory.find_user(user.username) or user
                same = [u for u in found if self._repeats(row, u)]
                if same:
                    notice = already_registered(same[0], org.id)
                    plan.known[row.number] = RowOutcome(
                        row.number, "existing", same[0].username, (notice.message,)
                    )
                    continue
                half = [u for u in by_names.get(key, []) if self._half_made(group, row, u)]
                if half:
                    plan.finish.append((new, half[0]))
                    by_names[key].remove(half[0])
                    by_names[key].append(_enabled(half[0]))
                    continue
            plan.new.append(new)
        return plan

    @staticmethod
    def _repeats(row: ImportRow, user: UserRecord) -> bool:
        return repeats_creation(row.details, row.roles, details_of(user), user.roles, user.enabled)

    def _half_made(self, group: OrgGroup, row: ImportRow, user: UserRecord) -> bool:
        """A disabled account an interrupted import of this person left: never used, not
        locked, and nothing recorded about it since its creation (or nothing at all, when the
        import died between making it and recording it). A suspended account has a
        suspension recorded after its creation, so it is never taken for one."""
        if user.enabled or user.locked or recorded_logon(user) is not None:
            return False
        if set(row.roles) != set(user.roles) or not same_person(row.details, details_of(user)):
            return False
        newest = self.access.audit.events(group.organisation.id, target=user.username, limit=1)
        return not newest or newest[0].action == AuditKind.USER_CREATED

    # --- usernames ----------------------------------------------------------------------------

    def _choose_usernames(self, people: Sequence[_New], taken: set[str]) -> None:
        """The first free candidate for each, as ``Accounts.create`` takes it; ``taken``: the
        realm's usernames for their names (``usernames_taken``), read once for all of them."""
        taken = set(taken)
        for new in people:
            details = new.row.details
            for attempt, candidate in enumerate(
                candidate_usernames(details.given_name, details.family_name)
            ):
                if attempt > MAX_USERNAME_ATTEMPTS + len(taken):
                    raise RuntimeError(f"no free username after {attempt} attempts")
                if candidate not in taken:
                    new.username = candidate
                    taken.add(candidate)
                    break

    # --- writing ------------------------------------------------------------------------------

    def _make(
        self,
        caller: Caller,
        group: OrgGroup,
        chunk: list[_New],
        reference: str | None,
        planned: set[str],
    ) -> list[_New]:
        """Make a chunk: disabled in one Keycloak transaction, recorded in one store
        transaction, then each enabled (``_enable``)."""
        directory = self.access.directory
        org_id = group.organisation.id
        for attempt in range(MAX_CHUNK_ATTEMPTS):
            users = []
            for new in chunk:
                rep = representation(new.row.details)
                rep.update(enabled=False, groups=[organisation_path(org_id)], username=new.username)
                users.append((rep, new.row.roles))
            try:
                ids = directory.create_users(users)
                break
            except Conflict as conflict:
                # A username taken since it was read (a concurrent creation): nothing of the
                # chunk was made; choose again with the names taken now.
                if "user name" not in str(conflict).lower() or attempt == MAX_CHUNK_ATTEMPTS - 1:
                    raise
                mine = {new.username for new in chunk}
                bases = {
                    base_username(n.row.details.given_name, n.row.details.family_name)
                    for n in chunk
                }
                self._choose_usernames(
                    chunk, (planned - mine) | self.access.directory.usernames_taken(bases)
                )
        for new, user_id in zip(chunk, ids, strict=True):
            new.user_id = user_id
        try:
            events = self.access.audit.record_many(
                [self._event(caller, org_id, new, reference) for new in chunk]
            )
        except BaseException:
            for new in chunk:  # best effort: what stays behind is disabled, a re-run finishes it
                _quietly(directory.delete_user, new.user_id)
            raise
        for new, event in zip(chunk, events, strict=True):
            new.event = event
        self._enable([(new, new.user_id) for new in chunk], undo_creation=True)
        return chunk

    def _finish(
        self, caller: Caller, group: OrgGroup, new: _New, user: UserRecord, reference: str | None
    ) -> RowOutcome:
        """Complete an account an interrupted import left disabled: its record, then enabled."""
        new.username = user.username
        org_id = group.organisation.id
        recorded = self.access.audit.events(org_id, target=user.username, limit=1)
        if not recorded:
            new.event = self.access.audit.record_many(
                [self._event(caller, org_id, new, reference)]
            )[0]
        self._enable([(new, user.id)], undo_creation=False)
        return RowOutcome(new.row.number, "created", user.username, _texts(new.warnings))

    def _event(self, caller: Caller, org_id: str, new: _New, reference: str | None) -> AuditEvent:
        # Built, not stored: the chunk's events are stored together (record_many).
        return self.access.event(
            caller,
            org_id,
            AuditKind.USER_CREATED,
            target=new.username,
            reference=reference,
            details={"roles": sorted(new.row.roles), "email_sent": bool(new.row.details.email)},
        )

    def _enable(self, people: Sequence[tuple[_New, str]], undo_creation: bool) -> None:
        """Enable each and send its set-password email (``Accounts.activate``), one after the
        other. The first that fails is undone as a single creation undoes it (the account
        deleted, then its record withdrawn), and the rest are left disabled and recorded for a
        re-run to finish: after a failure, more requests would only fail (or hang) too."""
        directory = self.access.directory
        audit = self.access.audit
        for new, user_id in people:
            with all_or_nothing() as undo:
                event_id = new.event.id if new.event is not None else None

                def remove(user_id: str = user_id, event_id: int | None = event_id) -> None:
                    directory.delete_user(user_id)
                    if event_id is not None:  # only once the account is gone
                        audit.withdraw(event_id)

                if undo_creation:
                    undo.push(f"the creation of {new.username}", remove)
                self.accounts.activate(user_id, new.row.details, undo)


def _bases(rows: Sequence[ImportRow]) -> set[str]:
    return {base_username(r.details.given_name, r.details.family_name) for r in rows}


def _enabled(user: UserRecord) -> UserRecord:
    """The account as it will be once finished (a later row for the same person repeats it)."""
    return replace(user, enabled=True)


def _quietly(step: Callable[[str], object], user_id: str) -> None:
    with contextlib.suppress(Exception):  # the error being raised is the answer
        step(user_id)
