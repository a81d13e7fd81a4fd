"""Guide §7: removing an account from Keycloak; its audit history stays.

Recorded first, deleted after: a deleted account cannot be put back as it was (its id,
password, sessions and history in Keycloak), but a record can be withdrawn.
"""

from __future__ import annotations

import logging

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.keycloak.users import UserRecord
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.refusals import refuse_oversized
from lrs_keycloak.services.user_admin.result import Result
from lrs_keycloak.store.audit import AuditEvent

log = logging.getLogger(__name__)


class Removal:
    def __init__(self, access: Access) -> None:
        self.access = access

    def remove(
        self, caller: Caller, org_id: str, username: str, reason: str | None = None
    ) -> Result:
        """Guide §7: delete the account from Keycloak; its audit history stays (recorded first,
        the record withdrawn if the account could not be deleted)."""
        access = self.access
        access.organisation(caller, org_id, "remove")
        refuse_oversized(reason=reason)
        with access.locks(org_id):
            group, user, members = access.guarded(caller, org_id, username, "remove", "remove")
            snapshot = user.as_dict()
            event = access.record(
                caller,
                org_id,
                AuditKind.USER_REMOVED,
                target=user.username,
                reason=reason,
                details={"user": snapshot},
            )
            try:
                access.directory.delete_user(user.id)
            except BaseException as error:
                self._withdraw_unless_gone(event, user, error)
                raise
        rest = [u for u in members if u.id != user.id]
        return Result(user=snapshot, warnings=access.deputy(group, rest), event=event)

    def _withdraw_unless_gone(
        self, event: AuditEvent, user: UserRecord, error: BaseException
    ) -> None:
        """The delete failed, or its answer was lost: the removal's record goes only when the
        account is certainly still there (when in doubt, a record too many beats one too few)."""
        try:
            still = self.access.directory.find_user(user.username)
            if still is not None and still.id == user.id and event.id is not None:
                self.access.audit.withdraw(event.id)
        except Exception as failed:
            log.error("could not withdraw audit event %s: %s", event.id, failed)
            error.add_note(f"could not withdraw audit event {event.id}: {failed}")
