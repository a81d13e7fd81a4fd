"""Guide §5: authorised role changes; the last super user keeps LRBSuperUser."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import replace

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import (
    SUPER_USER,
    check_last_super_user,
    removes_super_user,
    role_change_needs_authorisation,
)
from lrs_keycloak.services.user_admin.access import Access, member
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.refusals import refuse_oversized, violation
from lrs_keycloak.services.user_admin.result import Result


class RoleChanges:
    def __init__(self, access: Access) -> None:
        self.access = access

    def change_roles(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        roles: Collection[str],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: authorised role changes; the last super user keeps LRBSuperUser."""
        access = self.access
        directory = access.directory
        group = access.organisation(caller, org_id, "change_roles")
        refuse_oversized(reference=reference)
        user = access.target(group, username)
        demotes = removes_super_user(set(user.roles), set(roles))
        # Taking LRBSuperUser away: check and change while no other change in the organisation
        # can take away another super user (else two demoting each other would leave none).
        with access.locks(org_id) if demotes else contextlib.nullcontext():
            if demotes:
                user = access.target(group, username)  # the roles as they are now
            old, new = set(user.roles), set(roles)
            errors = access.policy.roles.check_assignment(list(new), group.organisation)
            if role_change_needs_authorisation(old, new) and not (reference or "").strip():
                errors.append(
                    violation(
                        "reference",
                        "authorisation-reference-required",
                        "This change gives more access: record the reference of its approval "
                        "under your organisation's authorisation procedure.",
                        "guide §5: authorise changes in role, especially more access",
                    )
                )
            if removes_super_user(old, new):
                members = access.members(group)
                last = check_last_super_user(
                    [member(u, org_id) for u in members], username, "demote"
                )
                if last:
                    errors.append(last)
            if errors:
                raise RuleViolation(errors)
            added, removed = new - old, old - new
            with all_or_nothing() as undo:
                directory.add_roles(user.id, added)
                undo.push("the added roles", lambda: directory.remove_roles(user.id, added))
                directory.remove_roles(user.id, removed)
                undo.push("the removed roles", lambda: directory.add_roles(user.id, removed))
                event = access.record(
                    caller,
                    org_id,
                    AuditKind.USER_ROLES_CHANGED,
                    target=user.username,
                    reference=reference,
                    details={
                        "added": sorted(added),
                        "removed": sorted(removed),
                        "roles": sorted(new),
                    },
                )
        warnings = access.deputy(group) if SUPER_USER in old | new else []
        return Result(
            user=replace(user, roles=frozenset(new)).as_dict(), warnings=warnings, event=event
        )
