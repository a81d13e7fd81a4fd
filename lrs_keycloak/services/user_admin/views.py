"""What a super user reads about their organisation: its users (guide §8), one user, the User
Agreement's acceptances (guide §4.3) and the audit log."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.agreement import acceptance
from lrs_keycloak.services.ports import Flags
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.accounts import Accounts
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.paging import UserPage, UserQuery, page_of
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.store.audit import AuditEvent
from lrs_keycloak.store.enforcement import Flag


class Views:
    def __init__(self, access: Access) -> None:
        self.access = access

    def agreement_report(self, caller: Caller, org_id: str) -> list[dict[str, Any]]:
        """Guide §4.3: which of the organisation's users accepted which version of the User
        Agreement, and when (their last acceptance)."""
        access = self.access
        group = access.organisation(caller, org_id, "view")
        return self._acceptances(access.directory.members(group, access.policy.roles.names))

    def _acceptances(self, users: Sequence[UserRecord]) -> list[dict[str, Any]]:
        agreement = self.access.policy.agreement
        current = agreement.current if agreement else None
        rows = [
            acceptance(u.username, f"{u.first_name} {u.last_name}".strip(), u.attributes, current)
            for u in sorted(users, key=lambda u: u.username)
        ]
        return [r.as_dict() for r in rows]

    def overview(
        self, caller: Caller, org_id: str
    ) -> tuple[Organisation, Result, list[dict[str, Any]]]:
        """The dashboard's reads from one listing of the organisation's members: the
        organisation, its users (as ``list_users``) and their agreement acceptances."""
        group = self.access.organisation(caller, org_id, "view")
        users = self.access.members(group, super_user_locks=False)
        return group.organisation, self._shown(group, users), self._acceptances(users)

    def list_users(
        self,
        caller: Caller,
        org_id: str,
        search: str | None = None,
        role: str | None = None,
        status: str | None = None,
    ) -> Result:
        """Guide §8: the organisation's users, with role, status (incl. locked), email, staff ID."""
        group = self.access.organisation(caller, org_id, "view")
        return self._listed(group, search, role, status)

    def _listed(
        self, group: OrgGroup, search: str | None, role: str | None, status: str | None
    ) -> Result:
        """``list_users`` once the caller may view ``group``."""
        return self._shown(
            group, self.access.members(group, super_user_locks=False), search, role, status
        )

    def _shown(
        self,
        group: OrgGroup,
        users: list[UserRecord],
        search: str | None = None,
        role: str | None = None,
        status: str | None = None,
    ) -> Result:
        logins = self.access.directory.last_logins(users)
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
        return Result(users=shown, warnings=self.access.deputy(group, users))

    def get_user(self, caller: Caller, org_id: str, username: str) -> Result:
        group = self.access.organisation(caller, org_id, "view")
        user = self.access.target(group, username)
        self.access.directory.fill_locks([user] if user.enabled else [])
        return Result(user=user.as_dict())

    def audit_events(self, caller: Caller, org_id: str, limit: int = 500) -> list[AuditEvent]:
        self.access.organisation(caller, org_id, "view_audit")
        return self.access.audit.events(org_id, limit=limit)

    # --- for the super user's pages: the same authorisation as every use case ------------------

    def organisation(self, caller: Caller, org_id: str) -> Organisation:
        """The organisation, as its super users may see it."""
        return self.access.organisation(caller, org_id, "view").organisation

    def page_users(
        self, caller: Caller, org_id: str, query: UserQuery, now_ms: int | None = None
    ) -> UserPage:
        """One page of ``list_users`` (its search, role and status filters), filtered by last
        logon and sorted (``paging.page_of``), with the organisation it is of."""
        q = query.normalised()
        group = self.access.organisation(caller, org_id, "view")
        listed = self._listed(group, q.search, q.role, q.status)
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        page = page_of(listed.users or [], q, now, listed.warnings)
        # The page shows the organisation's name: it comes with the page, not a second lookup.
        page.organisation = group.organisation
        return page

    def user_events(
        self, caller: Caller, org_id: str, username: str, limit: int = 100
    ) -> list[AuditEvent]:
        """The user's own trail in the organisation, newest first (kept after a removal)."""
        self.access.organisation(caller, org_id, "view_audit")
        return self.access.audit.events(org_id, target=username, limit=limit)

    def audit_page(
        self,
        caller: Caller,
        org_id: str,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[AuditEvent]:
        """The organisation's trail filtered by who, what, whom and when, newest first."""
        self.access.organisation(caller, org_id, "view_audit")
        return self.access.audit.events(
            org_id,
            target=target,
            action=action,
            actor=actor,
            since=since,
            before=before,
            limit=limit,
            offset=offset,
        )

    def check_new_user(
        self,
        caller: Caller,
        org_id: str,
        details: UserDetails,
        roles: Collection[str],
        reference: str | None = None,
    ) -> list[Violation]:
        """The rules ``create_user`` checks first, without creating anything: raises their
        RuleViolation, else answers the warnings (a form's question page shows both)."""
        group = self.access.organisation(caller, org_id, "create")
        return Accounts(self.access).check_new_user(group.organisation, details, roles, reference)

    def open_flags(self, caller: Caller, org_id: str, flags: Flags) -> list[Flag]:
        """The enforcer's open flags on the organisation and its users."""
        self.access.organisation(caller, org_id, "view")
        return flags.open_flags(org_id)

    def user_standing(self, caller: Caller, org_id: str, username: str) -> dict[str, Any]:
        """One user's User Agreement acceptance (as ``agreement_report`` gives it) and last
        logon (epoch ms; None when none is recorded), without listing the organisation."""
        access = self.access
        group = access.organisation(caller, org_id, "view")
        user = access.target(group, username)
        current = access.policy.agreement.current if access.policy.agreement else None
        name = f"{user.first_name} {user.last_name}".strip()
        return {
            "agreement": acceptance(user.username, name, user.attributes, current).as_dict(),
            "last_login_ms": access.directory.last_logins([user]).get(user.id),
        }
