"""Guide §4: a named person's account in the organisation, one at a time or many at once; a
retried creation answers with the account it already made."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.users import UserDetails, identifies_person
from lrs_keycloak.keycloak.fields import public_user, representation
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.accounts import Accounts
from lrs_keycloak.services.user_admin.all_or_nothing import Undo, all_or_nothing, recorded
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.refusals import violation
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.store.audit import AuditEvent


def already_registered(existing: UserRecord, org_id: str) -> Violation:
    """The answer to a creation that was already done (domain.users.repeats_creation)."""
    same = f"{existing.first_name} {existing.last_name}".strip()
    return violation(
        "",
        "person-already-registered",
        f"{same} already has the account {existing.username} in {org_id} with these roles "
        "(same names and email address or staff ID): nothing was created.",
        "guide §4, §10.1: one account per person in each organisation",
    )


class Creation:
    def __init__(self, access: Access, accounts: Accounts) -> None:
        self.access = access
        self.accounts = accounts

    def create_user(
        self,
        caller: Caller,
        org_id: str,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §4: a named person's account in the organisation, with at least one role."""
        group = self.access.organisation(caller, org_id, "create")
        result = self.create_in(caller, group, details, roles, reference)
        if SUPER_USER in roles:
            result.warnings += self.access.deputy(group)
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
        group = self.access.organisation(caller, org_id, "create")

        def one(person: tuple[UserDetails, Collection[str]]) -> Result | RuleViolation:
            try:
                return self.create_in(caller, group, person[0], person[1], reference)
            except RuleViolation as refused:
                return refused

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, people))
        if any(SUPER_USER in roles for _, roles in people):
            deputies = self.access.deputy(group)
            for result in results:
                if isinstance(result, Result):
                    result.warnings += deputies
        return results

    def create_in(
        self,
        caller: Caller,
        group: OrgGroup,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None,
    ) -> Result:
        """``create_user`` once the caller may create in ``group``: the rules, then the
        account (or the person's existing one)."""
        org = group.organisation
        org_id = org.id
        warnings = self.accounts.check_new_user(org, details, roles, reference)
        if not identifies_person(details):
            # Only names: two people may share them, so this is always a new account.
            return self._new_account(caller, group, details, roles, reference, warnings, None)
        # One creation of a given name at a time in the organisation, so that a retry racing
        # the first attempt still finds the account it made.
        names = f"{details.given_name.strip()}\x1f{details.family_name.strip()}".casefold()
        with self.access.locks(org_id, f"create:{names}"):
            existing, taken, unfinished = self.accounts.existing_person(group, details, roles)
            if existing is None:
                return self._new_account(caller, group, details, roles, reference, warnings, taken)
            if unfinished:
                return self._complete(caller, group, existing, details, roles, reference, warnings)
        self.access.directory.fill_locks([existing] if existing.enabled else [])
        notice = already_registered(existing, org_id)
        return Result(user=existing.as_dict(), warnings=[notice], existing=True)

    def _complete(
        self,
        caller: Caller,
        group: OrgGroup,
        account: UserRecord,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None,
        warnings: list[Violation],
    ) -> Result:
        """The rest of a creation that Keycloak's stop cut short (docs/adr/0023): the missing
        roles, the record, then the account enabled, in the order and with the undo of a new
        one; the account it made is kept, so the person gets one account, not two."""
        org_id = group.organisation.id
        directory = self.access.directory
        missing = set(roles) - set(account.roles)
        with all_or_nothing() as undo:
            if missing:
                directory.add_roles(account.id, missing)
                undo.push("the roles given", lambda: directory.remove_roles(account.id, missing))
            event = self._record_created(
                caller, org_id, account.username, details, roles, reference, undo, completed=True
            )
            self.accounts.activate(account.id, details, undo)
        user = {**representation(details), "username": account.username, "roles": sorted(roles)}
        return Result(user=public_user(user), warnings=warnings, event=event)

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
        with all_or_nothing() as undo:
            user_id, username = self.accounts.create(
                group.organisation, details, roles, undo, taken
            )
            event = self._record_created(caller, org_id, username, details, roles, reference, undo)
            self.accounts.activate(user_id, details, undo)
        user = {**representation(details), "username": username, "roles": sorted(roles)}
        return Result(user=public_user(user), warnings=warnings, event=event)

    def _record_created(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None,
        undo: Undo,
        completed: bool = False,
    ) -> AuditEvent:
        """The creation's audit event, written before the account is enabled and withdrawn if
        that fails; ``completed``: it finishes an account a stopped Keycloak cut short."""
        facts: dict[str, object] = {"roles": sorted(roles), "email_sent": bool(details.email)}
        if completed:
            facts["completed"] = True
        event = self.access.record(
            caller,
            org_id,
            AuditKind.USER_CREATED,
            target=username,
            reference=reference,
            details=facts,
        )
        return recorded(self.access.audit, undo, event)
