"""What a change made in the Keycloak admin console means for the audit trail (issue 12).

Keycloak's admin event says what was done (operation, resource path, the representation sent)
and by whom (``authDetails``); this module turns one into the audit kind the companion app
records for the same change, and says which changes still owe the trail a reason or a
reference: the companion app refuses them without one (guide §5, §6, §8), the console does not.
Pure: no I/O; the caller supplies what the user looked like before (``Snapshot``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.policies import role_change_needs_authorisation
from lrs_keycloak.domain.users import check_lengths

#: The admin console (and any admin REST caller that is not the companion app itself).
VIA_CONSOLE = "admin-console"
#: The two things a console change can owe the trail, named as the app's forms name them.
REASON = "reason"
REFERENCE = "reference"
NEEDS_A_REASON = "needs a reason"
REASON_RULE = "guide §6, §8: suspensions and reinstatements are recorded with their reason"
REFERENCE_RULE = "guide §5: authorise changes in role, especially more access"

#: The user fields whose change the trail names (Keycloak's names → the app's).
DETAIL_FIELDS = {
    "username": "username",
    "firstName": "given_name",
    "lastName": "family_name",
    "email": "email",
}
_USER = re.compile(r"^users/([0-9a-f-]{36})$")
_USER_GROUP = re.compile(r"^users/([0-9a-f-]{36})/groups/([0-9a-f-]{36})$")
_USER_CLIENT_ROLES = re.compile(r"^users/([0-9a-f-]{36})/role-mappings/clients/([0-9a-f-]{36})$")

#: What Keycloak's representation of a user looked like when last seen (the keys above and
#: ``enabled``); None when the trail never saw the user.
Snapshot = Mapping[str, Any]


@dataclass(frozen=True)
class ConsoleChange:
    """One console change as the trail records it."""

    kind: AuditKind
    user_id: str
    #: REASON or REFERENCE when the app would have refused it without one; else None.
    needs: str | None = None
    roles: tuple[str, ...] = ()
    #: For a role change: the roles were taken away (else given).
    removed: bool = False
    #: The organisation group's path for a membership change (``/organisations/<id>``).
    group_path: str | None = None
    fields: tuple[str, ...] = ()
    #: The user's representation after the change, for the next comparison (USER events).
    after: dict[str, Any] = field(default_factory=dict)


def representation(event: Mapping[str, Any]) -> Any:
    """The JSON Keycloak kept of what was sent (a string in the event), or None."""
    text = event.get("representation")
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def read_change(
    event: Mapping[str, Any],
    before: Snapshot | None,
    client_uuid: str,
    role_names: Collection[str],
) -> ConsoleChange | None:
    """The console change an admin event records, or None when it is none the trail keeps
    (another resource, another client's roles, a failed request)."""
    if event.get("error"):
        return None
    path = str(event.get("resourcePath", ""))
    operation = event.get("operationType")
    kind_of = event.get("resourceType")
    rep = representation(event)
    if kind_of == "USER" and (match := _USER.match(path)):
        return _user_change(match.group(1), str(operation), rep, before)
    if kind_of == "GROUP_MEMBERSHIP" and (match := _USER_GROUP.match(path)):
        group_path = rep.get("path") if isinstance(rep, dict) else None
        kind = AuditKind.USER_JOINED_ORGANISATION
        if operation == "DELETE":
            kind = AuditKind.USER_LEFT_ORGANISATION
        return ConsoleChange(kind, match.group(1), group_path=group_path)
    if kind_of == "CLIENT_ROLE_MAPPING" and (match := _USER_CLIENT_ROLES.match(path)):
        if match.group(2) != client_uuid:
            return None
        reps = rep if isinstance(rep, list) else []
        roles = tuple(sorted({r.get("name") for r in reps if r.get("name") in role_names}))
        if not roles and reps:
            return None
        granted = operation == "CREATE"
        needs = REFERENCE if granted and role_change_needs_authorisation((), roles) else None
        return ConsoleChange(
            AuditKind.USER_ROLES_CHANGED, match.group(1), needs, roles=roles, removed=not granted
        )
    return None


def _user_change(
    user_id: str, operation: str, rep: Any, before: Snapshot | None
) -> ConsoleChange | None:
    rep = rep if isinstance(rep, dict) else {}
    after = {k: rep[k] for k in (*DETAIL_FIELDS, "enabled") if k in rep}
    if operation == "CREATE":
        return ConsoleChange(AuditKind.USER_CREATED, user_id, after=after)
    if operation == "DELETE":
        return ConsoleChange(AuditKind.USER_REMOVED, user_id)
    if operation != "UPDATE":
        return None
    was = dict(before or {})
    merged = {**was, **after}
    changed = tuple(
        ours
        for theirs, ours in DETAIL_FIELDS.items()
        if theirs in after and was.get(theirs) != after[theirs]
    )
    if "enabled" in after and was.get("enabled", True) != after["enabled"]:
        # A user never seen is taken as enabled: a console update that leaves them disabled
        # is a suspension (the safe reading: it asks for a reason).
        kind = AuditKind.USER_SUSPENDED if not after["enabled"] else AuditKind.USER_REINSTATED
        return ConsoleChange(kind, user_id, REASON, fields=changed, after=merged)
    return ConsoleChange(AuditKind.USER_DETAILS_UPDATED, user_id, fields=changed, after=merged)


def describe(change: ConsoleChange, username: str) -> str:
    """The trail's plain-English line for the change."""
    roles = ", ".join(change.roles) or "all roles"
    organisation = (change.group_path or "").rsplit("/", 1)[-1] or "an organisation"
    lines = {
        AuditKind.USER_CREATED: f"created {username} in the admin console",
        AuditKind.USER_REMOVED: f"deleted {username} in the admin console",
        AuditKind.USER_SUSPENDED: f"suspended (disabled) {username} in the admin console",
        AuditKind.USER_REINSTATED: f"reinstated (enabled) {username} in the admin console",
        AuditKind.USER_DETAILS_UPDATED: f"changed {username}'s "
        + (", ".join(change.fields) or "account")
        + " in the admin console",
        AuditKind.USER_JOINED_ORGANISATION: f"added {username} to {organisation}",
        AuditKind.USER_LEFT_ORGANISATION: f"removed {username} from {organisation}",
    }
    if change.kind == AuditKind.USER_ROLES_CHANGED:
        if change.removed:
            return f"removed {roles} from {username} in the admin console"
        return f"gave {username} {roles} in the admin console"
    return lines[change.kind]


def check_reason(needs: str, reason: str | None, reference: str | None) -> list[Violation]:
    """What is wrong with the reason (or reference) given afterwards for a console change."""
    value = reason if needs == REASON else reference
    found = check_lengths({"reason": reason, "reference": reference})
    if not (value or "").strip():
        rule = REASON_RULE if needs == REASON else REFERENCE_RULE
        what = (
            "the reason for this change"
            if needs == REASON
            else "the reference of this change's approval under your authorisation procedure"
        )
        found.insert(0, Violation(needs, f"{needs}-required", f"Give {what}.", rule))
    return found


#: What the enforcer puts back when a console change left an organisation without an active
#: super user (a deletion cannot be put back: the help desk's recovery follows, ADR 4).
RESTORE_DISABLE = "disable"
RESTORE_DEMOTE = "demote"
LAST_SUPER_USER_RULE = "guide §3, §10.2: an organisation keeps at least one active super user"


def restore_notice(what: str, username: str, organisation_name: str) -> tuple[str, str]:
    """(subject, body) of the email to whoever made the change, explaining why it was undone."""
    done = "suspended (disabled)" if what == RESTORE_DISABLE else "removed LRBSuperUser from"
    undone = "enabled again" if what == RESTORE_DISABLE else "given LRBSuperUser again"
    subject = f"Your change to {username} was undone: {organisation_name} needs a super user"
    body = (
        f"You {done} {username} in the Keycloak admin console. {username} was the last active "
        f"super user of {organisation_name}, and {LAST_SUPER_USER_RULE}: without one, nobody "
        "can manage its users and only the help desk's recovery can appoint a new one.\n\n"
        f"So {username} was {undone} within seconds, and this was recorded in "
        f"{organisation_name}'s audit trail.\n\n"
        "To take this person's super user access away, first make another member an active "
        "super user (give them LRBSuperUser), then make your change again."
    )
    return subject, body


__all__ = [
    "LAST_SUPER_USER_RULE",
    "NEEDS_A_REASON",
    "REASON",
    "REFERENCE",
    "RESTORE_DEMOTE",
    "RESTORE_DISABLE",
    "VIA_CONSOLE",
    "ConsoleChange",
    "Snapshot",
    "check_reason",
    "describe",
    "read_change",
    "representation",
    "restore_notice",
]
