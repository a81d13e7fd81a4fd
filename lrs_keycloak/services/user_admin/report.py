"""The audit of the user community (guide §8) as a report: one organisation's users for its super
users, every organisation's for the help desk and the operator.

Built from paged listings only, never one request per user: each organisation's members a page
at a time, with their attributes (agreement, last logon, lockout) and LRS roles in the same
request (the extension's read, docs/adr/0020), the enforcer's open flags once per organisation.
Rows are yielded as they are read (each page decoded as it arrives; across organisations, at most
READ_AHEAD members read ahead), so a report of any size is streamed in flat memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from lrs_keycloak.domain.audit_report import ReportFilter, ReportRow, check_filter, kept
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord, recorded_logon
from lrs_keycloak.services.agreement import acceptance
from lrs_keycloak.services.ports import Flags
from lrs_keycloak.services.read_ahead import read_ahead
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.callers import Caller, NotPermitted, Operator

#: Members read ahead of the rows being written, across organisations (services.read_ahead):
#: enough for the next organisation's request to be under way while this one's last rows are
#: written. Each member held costs memory: at 100 the queue filled with large organisations'
#: members (their page arrives at once) but not small ones', so the peak grew with organisation
#: size (bench/audit.py: 1.33x at 20,000 users against 2,000; at 25, see docs/adr/0020).
READ_AHEAD = 25


def sees_every_organisation(caller: Caller) -> bool:
    """The help desk and the operator audit across organisations; a super user only their own."""
    return isinstance(caller, Operator) or (
        isinstance(caller, Actor) and HELPDESK_REALM_ROLE in caller.realm_roles
    )


class AuditReport:
    def __init__(self, access: Access, flags: Flags) -> None:
        self.access = access
        self.flags = flags

    def rows(
        self, caller: Caller, org_id: str | None, flt: ReportFilter, now_ms: int | None = None
    ) -> Iterator[ReportRow]:
        """The users of ``org_id`` (None: of every organisation) that ``flt`` keeps.

        Refusals (bad filter, organisation not visible, not permitted) are raised before the
        first row, so a streamed answer never starts and then fails on them."""
        access = self.access
        problems = check_filter(flt, access.policy.roles.names)
        if problems:
            raise RuleViolation(problems)
        if org_id is not None:
            groups = [access.organisation(caller, org_id, "view")]
        elif sees_every_organisation(caller):
            groups = sorted(access.directory.organisations(), key=lambda g: g.organisation.id)
        else:
            raise NotPermitted("only the help desk may audit every organisation's users")
        return self._rows(groups, flt, time.time_ns() // 1_000_000 if now_ms is None else now_ms)

    def _rows(self, groups: list[OrgGroup], flt: ReportFilter, now_ms: int) -> Iterator[ReportRow]:
        directory = self.access.directory
        agreement = self.access.policy.agreement
        current = agreement.current if agreement else None
        stored: dict[str, int] | None = None  # read once, only if some user needs it
        group_id: str | None = None
        flags: dict[str, list[str]] = {}
        for group, user in self._members(groups):
            if group.group_id != group_id:
                group_id, flags = group.group_id, {}
                for flag in self.flags.open_flags(group.organisation.id):
                    flags.setdefault(flag.user_id, []).append(flag.rule)
            logon = recorded_logon(user)
            if logon is None:
                if stored is None:
                    stored = directory.stored_logons()
                logon = stored.get(user.id)
            row = _row(group, user, logon, flags.get(user.id, []), current)
            if kept(row, flt, now_ms, current):
                yield row

    def _members(self, groups: list[OrgGroup]) -> Iterator[tuple[OrgGroup, UserRecord]]:
        """Each organisation's members, in order, each organisation a page a request and each
        page decoded as it arrives. Across organisations a thread reads ahead (READ_AHEAD
        members at most) while the rows are written, since each listing mostly waits for
        Keycloak."""
        directory = self.access.directory
        roles = self.access.policy.roles.names

        def everyone() -> Iterator[tuple[OrgGroup, UserRecord]]:
            for group in groups:
                for user in directory.stream_members(group, roles):
                    yield group, user

        if len(groups) == 1:
            return everyone()
        return read_ahead(everyone(), READ_AHEAD)


def _row(
    group: OrgGroup,
    user: UserRecord,
    logon: int | None,
    flags: list[str],
    current: str | None,
) -> ReportRow:
    details = user.as_dict()
    agreed = acceptance(user.username, "", user.attributes, current)
    return ReportRow(
        organisation_id=group.organisation.id,
        username=user.username,
        given_name=user.first_name,
        family_name=user.last_name,
        email=user.email,
        staff_id=details.get("staff_id"),
        roles=tuple(sorted(user.roles)),
        status=details["status"],
        created_at_ms=user.created_ms,
        last_logon_ms=logon,
        agreement_version=agreed.version,
        agreement_accepted_at=agreed.accepted_at,
        open_flags=tuple(sorted(set(flags))),
    )
