"""The last active super user, put back when a console change took them away (issue 12).

The extension's guard (ADR 12) refuses a delegated super user's disable or demotion of their
organisation's last active super user inside the request; what it cannot see (a realm admin's
change, the guard's listener off the realm) reaches the enforcer as an admin event. For a
disable or a removal of LRBSuperUser made by anyone but the companion app, when the user's
organisation is left without an active super user, the account is enabled again or the role
given back at once (within the webhook's ~0.15 s), recorded (event 207), and whoever made the
change is emailed why. A deletion cannot be undone: the help desk's alert and recovery case
follow, as before (ADR 4).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.console_changes import (
    LAST_SUPER_USER_RULE,
    RESTORE_DEMOTE,
    RESTORE_DISABLE,
    representation,
    restore_notice,
)
from lrs_keycloak.domain.policies import (
    NO_ACTIVE_SUPER_USER,
    SUPER_USER,
    Member,
    active_super_users,
)
from lrs_keycloak.keycloak.users import UserRecord
from lrs_keycloak.services.ports import Audit, ChangeActors, Mailer
from lrs_keycloak.store.audit import AuditEvent

log = logging.getLogger(__name__)
ENFORCER = "lrs-enforcer"


def what_was_taken(event: Mapping[str, Any], user: UserRecord | None) -> str | None:
    """RESTORE_DISABLE or RESTORE_DEMOTE when the event took away an account's super user
    access as it stands now (disabled while holding the role, or the role removed)."""
    if user is None:
        return None
    kind, operation = event.get("resourceType"), event.get("operationType")
    if kind == "USER" and operation == "UPDATE":
        rep = representation(event)
        sent_disable = isinstance(rep, dict) and rep.get("enabled") is False
        if sent_disable and not user.enabled and SUPER_USER in user.roles:
            return RESTORE_DISABLE
    if kind == "CLIENT_ROLE_MAPPING" and operation == "DELETE":
        rep = representation(event)
        names = {r.get("name") for r in rep} if isinstance(rep, list) else set()
        if (SUPER_USER in names or not names) and SUPER_USER not in user.roles and user.enabled:
            return RESTORE_DEMOTE
    return None


class LastSuperUser:
    def __init__(
        self, directory: Any, audit: Audit, actors: ChangeActors, mailer: Mailer | None
    ) -> None:
        #: user_by_id, members, set_enabled, add_roles (keycloak.users.UserDirectory).
        self.directory = directory
        self.audit = audit
        self.actors = actors
        self.mailer = mailer

    def restore(self, event: Mapping[str, Any], user_id: str) -> list[str]:
        """Put the user back when the change left one of their organisations without an active
        super user; the organisations restored."""
        auth = event.get("authDetails") or {}
        if not isinstance(auth, Mapping) or self.actors.is_companion(auth):
            return []
        user = self.directory.user_by_id(user_id)
        what = what_was_taken(event, user)
        if user is None or what is None:
            return []
        left_without = []
        for org_id in user.organisation_ids:
            group = self.directory.find_organisation(org_id)
            if group is None:
                continue
            members = self.directory.members(group, [SUPER_USER])
            seen = [Member(m.username, org_id, m.roles, m.enabled, m.locked) for m in members]
            if not active_super_users(seen):
                left_without.append(group.organisation)
        if not left_without:
            return []
        if what == RESTORE_DISABLE:
            self.directory.set_enabled(user.id, True)
        else:
            self.directory.add_roles(user.id, [SUPER_USER])
        actor = self.actors.person(auth)
        for organisation in left_without:
            subject, body = restore_notice(what, user.username, organisation.name)
            emailed = self._email(actor.email if actor else None, subject, body)
            self.audit.record(
                AuditEvent(
                    action=AuditKind.ENFORCER_SUPER_USER_RESTORED,
                    actor=ENFORCER,
                    organisation_id=organisation.id,
                    target=user.username,
                    reason=body.split("\n\n")[1],
                    reference=NO_ACTIVE_SUPER_USER,
                    details={
                        "rule": NO_ACTIVE_SUPER_USER,
                        "guide": LAST_SUPER_USER_RULE,
                        "undone": what,
                        "changed_by": actor.actor if actor else auth.get("userId"),
                        "keycloak_event_id": event.get("id"),
                        "actor_emailed": emailed,
                    },
                )
            )
        return [o.id for o in left_without]

    def _email(self, to: str | None, subject: str, body: str) -> str | None:
        """The address written to, or None (no address, or the mail failed: logged)."""
        if not to or self.mailer is None:
            return None
        try:
            self.mailer.send(to, subject, body)
        except Exception:
            log.exception("Could not email %s why their change was undone", to)
            return None
        return to


__all__ = ["LastSuperUser", "what_was_taken"]
