"""Resetting a lost second factor (issue 12, docs/adr/0015): the person's authenticator apps
(Keycloak's TOTP credentials) are deleted and their sessions ended, so their next logon sets up
a new one. By the organisation's super users for its users, by the help desk for super users,
by the operator (the admin credentials); never by the person themselves; with a reason (the
check that it is them), recorded.

Recorded first, deleted after, as a removal is: a deleted credential cannot be put back, but a
record can be withdrawn when nothing was deleted.
"""

from __future__ import annotations

import logging

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.second_factor import helpdesk_may_reset, no_factor, reset_refusal
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, NotVisible
from lrs_keycloak.services.user_admin.refusals import reason_required, refuse_oversized
from lrs_keycloak.services.user_admin.result import Result

log = logging.getLogger(__name__)


class SecondFactorReset:
    def __init__(self, access: Access) -> None:
        self.access = access

    def _organisation(self, caller: Caller, org_id: str) -> OrgGroup:
        """The help desk sees any organisation (to reach its super users); everyone else goes
        through the checks every user-admin change makes."""
        if isinstance(caller, Actor) and caller.is_helpdesk:
            group = self.access.directory.find_organisation(org_id)
            if group is None:
                raise NotVisible(f"organisation {org_id} not found")
            return group
        return self.access.organisation(caller, org_id, "reset_second_factor")

    def reset(self, caller: Caller, org_id: str, username: str, reason: str) -> Result:
        access = self.access
        directory = access.directory
        if isinstance(caller, Actor):
            own = reset_refusal(caller, username)
            if own:
                raise RuleViolation([own])
        if not (reason or "").strip():
            raise RuleViolation([reason_required("reset of a second factor")])
        refuse_oversized(reason=reason)
        group = self._organisation(caller, org_id)
        user = access.target(group, username)
        if (
            isinstance(caller, Actor)
            and caller.is_helpdesk
            and not caller.is_super_user_of(org_id)
            and not helpdesk_may_reset(caller, user.roles)
        ):
            raise NotPermitted(
                "the help desk resets super users' second factors only; "
                f"{username}'s is reset by a super user of {org_id}"
            )
        factors = directory.second_factors(user.id)
        if not factors:
            raise RuleViolation([no_factor(user.username)])
        event = access.record(
            caller,
            org_id,
            AuditKind.SECOND_FACTOR_RESET,
            target=user.username,
            reason=reason,
            details={"authenticators": len(factors)},
        )
        deleted = 0
        try:
            for credential_id in factors:
                directory.delete_second_factor(user.id, credential_id)
                deleted += 1
        except BaseException:
            if deleted == 0 and event.id is not None:
                access.audit.withdraw(event.id)
            raise
        # Sessions opened with the lost factor end now; the next logon sets up a new one.
        directory.logout(user.id)
        return Result(user=user.as_dict(), event=event)
