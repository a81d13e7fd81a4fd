"""The console change an admin event records, and what it still owes the trail (issue 12)."""

from __future__ import annotations

import json
from typing import Any

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.console_changes import (
    REASON,
    REFERENCE,
    RESTORE_DEMOTE,
    RESTORE_DISABLE,
    check_reason,
    describe,
    read_change,
    restore_notice,
)

USER = "0b6c3d0e-1111-4a4a-9b9b-000000000001"
GROUP = "0b6c3d0e-2222-4a4a-9b9b-000000000002"
CLIENT = "0b6c3d0e-3333-4a4a-9b9b-000000000003"
OTHER_CLIENT = "0b6c3d0e-4444-4a4a-9b9b-000000000004"
ROLES = {"LRBSuperUser", "LRBOnlineUser", "LRBBatchUser"}


def event(kind: str, operation: str, path: str, rep: Any = None, **more: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "time": 1,
        "resourceType": kind,
        "operationType": operation,
        "resourcePath": path,
        "representation": json.dumps(rep) if rep is not None else None,
        **more,
    }


def read(e: dict[str, Any], before: dict[str, Any] | None = None) -> Any:
    return read_change(e, before, CLIENT, ROLES)


def test_a_console_creation_is_a_user_created_needing_no_reason() -> None:
    change = read(event("USER", "CREATE", f"users/{USER}", {"username": "a.b", "enabled": True}))
    assert (change.kind, change.needs, change.after["username"]) == (
        AuditKind.USER_CREATED,
        None,
        "a.b",
    )


def test_disabling_an_enabled_account_is_a_suspension_that_needs_a_reason() -> None:
    change = read(event("USER", "UPDATE", f"users/{USER}", {"enabled": False}), {"enabled": True})
    assert (change.kind, change.needs) == (AuditKind.USER_SUSPENDED, REASON)


def test_enabling_a_disabled_account_is_a_reinstatement_that_needs_a_reason() -> None:
    change = read(event("USER", "UPDATE", f"users/{USER}", {"enabled": True}), {"enabled": False})
    assert (change.kind, change.needs) == (AuditKind.USER_REINSTATED, REASON)


def test_an_edit_of_a_disabled_account_is_not_a_second_suspension() -> None:
    rep = {"enabled": False, "lastName": "New"}
    change = read(
        event("USER", "UPDATE", f"users/{USER}", rep), {"enabled": False, "lastName": "Old"}
    )
    assert (change.kind, change.needs, change.fields) == (
        AuditKind.USER_DETAILS_UPDATED,
        None,
        ("family_name",),
    )


def test_a_user_never_seen_left_disabled_reads_as_a_suspension() -> None:
    change = read(event("USER", "UPDATE", f"users/{USER}", {"enabled": False}))
    assert change.kind == AuditKind.USER_SUSPENDED


def test_a_role_given_needs_a_reference_and_a_role_removed_does_not() -> None:
    path = f"users/{USER}/role-mappings/clients/{CLIENT}"
    given = read(event("CLIENT_ROLE_MAPPING", "CREATE", path, [{"name": "LRBBatchUser"}]))
    taken = read(event("CLIENT_ROLE_MAPPING", "DELETE", path, [{"name": "LRBBatchUser"}]))
    assert (given.needs, given.roles, given.removed) == (REFERENCE, ("LRBBatchUser",), False)
    assert (taken.needs, taken.removed) == (None, True)
    assert describe(given, "a.b") == "gave a.b LRBBatchUser in the admin console"
    assert describe(taken, "a.b") == "removed LRBBatchUser from a.b in the admin console"


def test_another_clients_roles_and_failed_requests_are_not_recorded() -> None:
    path = f"users/{USER}/role-mappings/clients/{OTHER_CLIENT}"
    assert read(event("CLIENT_ROLE_MAPPING", "CREATE", path, [{"name": "manage-users"}])) is None
    failed = event("USER", "DELETE", f"users/{USER}", error="unknown_error")
    assert read(failed) is None


def test_joining_and_leaving_a_group_are_membership_changes_with_its_path() -> None:
    path = f"users/{USER}/groups/{GROUP}"
    rep = {"id": GROUP, "path": "/organisations/elm-college"}
    joined = read(event("GROUP_MEMBERSHIP", "CREATE", path, rep))
    left = read(event("GROUP_MEMBERSHIP", "DELETE", path, rep))
    assert (joined.kind, joined.group_path) == (
        AuditKind.USER_JOINED_ORGANISATION,
        "/organisations/elm-college",
    )
    assert left.kind == AuditKind.USER_LEFT_ORGANISATION
    assert describe(left, "a.b") == "removed a.b from elm-college"


def test_a_reason_owed_is_refused_empty_naming_its_field_and_rule() -> None:
    (missing,) = check_reason(REASON, "  ", None)
    assert (missing.field, missing.code, missing.rule.startswith("guide §6")) == (
        "reason",
        "reason-required",
        True,
    )
    (wrong_one,) = check_reason(REFERENCE, "a reason", None)
    assert (wrong_one.field, wrong_one.code) == ("reference", "reference-required")
    assert [v.code for v in check_reason(REASON, "x" * 1001, None)] == ["too-long"]
    assert check_reason(REFERENCE, None, "HR-17") == []


def test_the_actor_is_told_what_was_undone_and_the_rule() -> None:
    subject, body = restore_notice(RESTORE_DISABLE, "sam.oak", "Oak Awards")
    assert "Oak Awards" in subject
    assert "enabled again" in body and "guide §3, §10.2" in body
    _, demoted = restore_notice(RESTORE_DEMOTE, "sam.oak", "Oak Awards")
    assert "given LRBSuperUser again" in demoted
