"""Guide §6: suspending an account (disabled, its sessions ended) and reinstating it (§6.1)."""

from __future__ import annotations

from dataclasses import replace

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.refusals import reason_required, refuse_oversized
from lrs_keycloak.services.user_admin.result import Result


class Suspension:
    def __init__(self, access: Access) -> None:
        self.access = access

    def suspend(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6: disable the account and end its sessions at once."""
        access = self.access
        directory = access.directory
        access.organisation(caller, org_id, "suspend")
        if not (reason or "").strip():
            raise RuleViolation([reason_required("suspension")])
        refuse_oversized(reason=reason)
        # The last-super-user check and the change, with no other such change in between.
        with access.locks(org_id):
            group, user, members = access.guarded(caller, org_id, username, "suspend", "suspend")
            was_enabled = user.enabled
            with all_or_nothing() as undo:
                directory.set_enabled(user.id, False)
                undo.push(
                    f"the suspension of {user.username}",
                    lambda: directory.set_enabled(user.id, was_enabled),
                )
                # Ended sessions cannot be restored; the person logs on again if undone.
                directory.logout(user.id)
                event = access.record(
                    caller, org_id, AuditKind.USER_SUSPENDED, target=user.username, reason=reason
                )
        after = [replace(u, enabled=False) if u.id == user.id else u for u in members]
        user.enabled = False
        return Result(user=user.as_dict(), warnings=access.deputy(group, after), event=event)

    def reinstate(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        """Guide §6.1: re-enable and clear a brute-force lock."""
        access = self.access
        directory = access.directory
        group = access.organisation(caller, org_id, "reinstate")
        if not (reason or "").strip():
            raise RuleViolation([reason_required("reinstatement")])
        refuse_oversized(reason=reason)
        user = access.target(group, username)
        was_enabled = user.enabled
        with all_or_nothing() as undo:
            # Keycloak cannot lock an account again on request: undoing disables it instead,
            # which keeps the person out just the same.
            directory.clear_lock(user.id)
            directory.set_enabled(user.id, True)
            undo.push(
                f"the reinstatement of {user.username}",
                lambda: directory.set_enabled(user.id, was_enabled),
            )
            event = access.record(
                caller, org_id, AuditKind.USER_REINSTATED, target=user.username, reason=reason
            )
        user.enabled, user.locked = True, False
        warnings = access.deputy(group) if SUPER_USER in user.roles else []
        return Result(user=user.as_dict(), warnings=warnings, event=event)
