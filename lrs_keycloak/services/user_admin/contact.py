"""Guide §9: changing an organisation's primary contact outside a recovery (the organisation
told the help desk who takes over), recorded with its reason (``PRIMARY_CONTACT_CHANGED``)."""

from __future__ import annotations

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import RULE_PRIMARY_CONTACT as RULE
from lrs_keycloak.domain.organisations import check_primary_contact
from lrs_keycloak.services.ports import ContactBook
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing
from lrs_keycloak.services.user_admin.callers import NotPermitted, Operator
from lrs_keycloak.services.user_admin.refusals import refuse_oversized, violation
from lrs_keycloak.services.user_admin.result import Result


class PrimaryContact:
    def __init__(self, access: Access, contacts: ContactBook | None) -> None:
        self.access = access
        self.contacts = contacts

    def change(self, caller: Operator, org_id: str, username: str, reason: str) -> Result:
        """Make ``username`` (an active account of the organisation) its primary contact; the
        audit event keeps the previous one. The help desk's or operator's step (the CLI):
        a super user cannot name it, MIAP keeps it from what the organisation says."""
        if not isinstance(caller, Operator):
            raise NotPermitted("only MIAP's operator or help desk changes a primary contact")
        if self.contacts is None:
            raise NotPermitted("this deployment keeps no primary contacts")
        group = self.access.organisation(caller, org_id, "update_details")
        if not (reason or "").strip():
            message = "Give the reason (e.g. the organisation's email); the audit log keeps it."
            raise RuleViolation([violation("reason", "reason-required", message, RULE)])
        refuse_oversized(reason=reason)
        user = self.access.directory.find_user(username)
        refused = check_primary_contact(
            username, org_id, user.organisation_ids if user else None, bool(user and user.enabled)
        )
        if refused is not None or user is None:
            raise RuleViolation([refused] if refused else [])
        contacts = self.contacts
        with all_or_nothing() as undo:
            previous = contacts.set_primary_contact(group.group_id, user.username)
            if previous is not None:
                undo.push(
                    "the primary contact's change",
                    lambda: contacts.set_primary_contact(group.group_id, previous),
                )
            event = self.access.record(
                caller,
                org_id,
                AuditKind.PRIMARY_CONTACT_CHANGED,
                target=user.username,
                reason=reason,
                details={"previous": previous, "new": user.username},
            )
        return Result(user=user.as_dict(), warnings=[], event=event)
