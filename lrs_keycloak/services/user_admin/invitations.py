"""Send a user the set-password email again (guide §4, §6.1): the link in the first one may
have expired, or the person lost it. Keycloak sends it; the audit trail records who asked."""

from __future__ import annotations

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing, recorded
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.refusals import violation
from lrs_keycloak.services.user_admin.result import Result

_RULE = "guide §4.2/§6.1: LRS sends set-password and forgotten password messages by email"


class Invitations:
    def __init__(self, access: Access) -> None:
        self.access = access

    def resend(self, caller: Caller, org_id: str, username: str) -> Result:
        """Recorded first, the record withdrawn if Keycloak could not send the email."""
        access = self.access
        group = access.organisation(caller, org_id, "update_details")
        user = access.target(group, username)
        if not user.email:
            raise RuleViolation(
                [
                    violation(
                        "email",
                        "email-missing",
                        f"{user.username} has no "
                        "email address: add one (change details), then send the "
                        "email.",
                        _RULE,
                    )
                ]
            )
        if not user.enabled:
            raise RuleViolation(
                [
                    violation(
                        "username",
                        "account-suspended",
                        f"{user.username} is suspended or locked: reinstate the account first.",
                        _RULE,
                    )
                ]
            )
        with all_or_nothing() as undo:
            event = recorded(
                access.audit,
                undo,
                access.record(
                    caller, org_id, AuditKind.USER_SET_PASSWORD_EMAIL_SENT, target=user.username
                ),
            )
            access.directory.send_set_password_email(user.id)
        return Result(user=user.as_dict(), event=event)
