"""Guide §5: super users update a user's details; a user may update their own name and numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor, may_update_own_details
from lrs_keycloak.domain.users import (
    DETAILS,
    REQUIRED_DETAILS,
    SELF_EDITABLE_DETAILS,
    not_editable,
    validate_details,
)
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.fields import (
    KEYCLOAK_FIELDS,
    details_of,
    representation,
)
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.all_or_nothing import all_or_nothing
from lrs_keycloak.services.user_admin.callers import Caller, NotVisible
from lrs_keycloak.services.user_admin.refusals import (
    keycloak_refusal,
    refuse_oversized,
    violation,
)
from lrs_keycloak.services.user_admin.result import Result

#: What a user may change about themselves (guide §5: names and contact numbers, never roles).
SELF_EDITABLE = SELF_EDITABLE_DETAILS
EDITABLE = frozenset(DETAILS)


class DetailsUpdate:
    def __init__(self, access: Access) -> None:
        self.access = access

    def update_details(
        self,
        caller: Caller,
        org_id: str,
        username: str,
        changes: Mapping[str, str | None],
        reference: str | None = None,
    ) -> Result:
        """Guide §5: super users update details; a user may update their own name and numbers."""
        access = self.access
        directory = access.directory
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise RuleViolation(not_editable(f) for f in unknown)
        own = isinstance(caller, Actor) and may_update_own_details(caller, username)
        if own and isinstance(caller, Actor) and caller.organisation_id == org_id:
            group = directory.find_organisation(org_id)
            if group is None:
                raise NotVisible(f"organisation {org_id} not found")
            if not caller.is_super_user_of(org_id):
                refused = sorted(set(changes) - SELF_EDITABLE)
                if refused:
                    raise RuleViolation(
                        violation(
                            f,
                            "super-user-only",
                            f"Only your super user can change {f.replace('_', ' ')}.",
                            "guide §5: users maintain their names and contact numbers",
                        )
                        for f in refused
                    )
        else:
            group = access.organisation(caller, org_id, "update_details")
        refuse_oversized(reference=reference)
        user = access.target(group, username)
        before = details_of(user)
        # A required detail cleared (None) is blank, which the domain refuses as missing.
        cleared = {k: "" for k, v in changes.items() if v is None and k in REQUIRED_DETAILS}
        after = replace(before, **{**changes, **cleared})  # type: ignore[arg-type]
        errors, warnings = validate_details(
            after,
            policy=access.policy.generic_names,
            organisation_name=group.organisation.name,
            role_names=access.policy.roles.names,
        )
        if errors:
            raise RuleViolation(errors)
        current = directory.get_user(user.id)
        rep = representation(after)
        # Keep attributes this product does not edit (e.g. the agreement's): Keycloak replaces
        # the whole attribute map on PUT.
        attributes = {
            k: v for k, v in (current.get("attributes") or {}).items() if k not in KEYCLOAK_FIELDS
        }
        attributes.update(rep["attributes"])
        fields = {
            "firstName": rep["firstName"],
            "lastName": rep["lastName"],
            "email": rep.get("email", ""),
            "attributes": attributes,
        }
        previous = {
            "firstName": current.get("firstName") or "",
            "lastName": current.get("lastName") or "",
            "email": current.get("email") or "",
            "attributes": current.get("attributes") or {},
        }
        changed = sorted(k for k in changes if getattr(before, k) != getattr(after, k))
        with all_or_nothing() as undo:
            try:
                directory.update_user(user.id, fields)
            except Rejected as error:
                raise keycloak_refusal(error) from error
            undo.push(
                f"the details change of {user.username}",
                lambda: directory.update_user(user.id, previous),
            )
            event = access.record(
                caller,
                org_id,
                AuditKind.USER_DETAILS_UPDATED,
                target=user.username,
                reference=reference,
                details={"fields": changed, "self": own},
            )
        updated = replace(
            user,
            first_name=after.given_name,
            last_name=after.family_name,
            email=after.email or None,
            attributes={k: v[0] for k, v in attributes.items() if v},
        )
        return Result(user=updated.as_dict(), warnings=warnings, event=event)
