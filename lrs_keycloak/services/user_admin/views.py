"""What a super user reads about their organisation: its users (guide §8), one user, the User
Agreement's acceptances (guide §4.3) and the audit log."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.services.agreement import acceptance
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.store.audit import AuditEvent


class Views:
    def __init__(self, access: Access) -> None:
        self.access = access

    def agreement_report(self, caller: Caller, org_id: str) -> list[dict[str, Any]]:
        """Guide §4.3: which of the organisation's users accepted which version of the User
        Agreement, and when (their last acceptance)."""
        access = self.access
        group = access.organisation(caller, org_id, "view")
        current = access.policy.agreement.current if access.policy.agreement else None
        users = access.directory.members(group, access.policy.roles.names, locks=False)
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
        group = self.access.organisation(caller, org_id, "view")
        users = self.access.members(group, all_locks=True)
        logins = self.access.directory.last_logins([u.id for u in users])
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
