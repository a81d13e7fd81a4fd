"""Issue 9 §2-§3: every access change leaves its audit record or does not happen, creation never
leaves a half-made account, a retried creation finds the account it made, and the last active
super user survives two super users acting on each other at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import MAX_LENGTHS, UserDetails
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.users import OrgGroup, UserRecord
from lrs_keycloak.services.user_admin import Operator, Result, UserAdmin
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

JANE = UserDetails("Ms", "Jane", "Doe", "approved by HR ref 42", email="jane@example.org")
NEW_ORG = Organisation("new-college", "New College", "college", frozenset())


class AuditStoreDown(Exception):
    pass


class FailingAudit(AuditLog):
    """An audit log whose every write fails (a full disk, a lost database, a value too long)."""

    def record(self, event: AuditEvent) -> AuditEvent:
        raise AuditStoreDown(f"cannot record {event.action}")


def state(directory: FakeDirectory) -> dict[str, tuple[Any, ...]]:
    """Everything an operation could change about the accounts and organisations."""
    users = {
        u.username: (u.first_name, u.last_name, u.email, u.enabled, u.roles, dict(u.attributes))
        for u in directory.users.values()
    }
    return {**users, "orgs": tuple(sorted(directory.orgs)), "locked": tuple(directory.locked)}


@pytest.fixture
def failing(directory: FakeDirectory, realm_policy: RealmPolicy) -> UserAdmin:
    return UserAdmin(directory, FailingAudit(make_engine("sqlite://")), realm_policy)


def _suspended_olive(directory: FakeDirectory) -> None:
    olive = directory.by_name("olive.online")
    assert olive is not None
    olive.enabled = False
    directory.locked.add(olive.id)


OPERATIONS: dict[str, Callable[[UserAdmin, Actor], object]] = {
    "create": lambda a, s: a.create_user(s, COLLEGE.id, JANE, ["LRBOnlineUser"], "REQ-1"),
    "update_details": lambda a, s: a.update_details(
        s, COLLEGE.id, "olive.online", {"staff_id": "S-9", "given_name": "Olivia", "email": ""}
    ),
    "change_roles": lambda a, s: a.change_roles(
        s, COLLEGE.id, "olive.online", ["LRBBatchUser"], reference="CR-7"
    ),
    "suspend": lambda a, s: a.suspend(s, COLLEGE.id, "olive.online", "left"),
    "reinstate": lambda a, s: a.reinstate(s, COLLEGE.id, "olive.online", "back"),
    "remove": lambda a, s: a.remove(s, COLLEGE.id, "olive.online", "left"),
    "register_organisation": lambda a, s: a.register_organisation(Operator("ops"), NEW_ORG, JANE),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_an_access_change_whose_audit_record_cannot_be_written_does_not_happen(
    failing: UserAdmin, directory: FakeDirectory, sue: Actor, operation: str
) -> None:
    if operation == "reinstate":
        _suspended_olive(directory)
    before = state(directory)
    with pytest.raises(AuditStoreDown):
        OPERATIONS[operation](failing, sue)
    after = state(directory)
    if operation == "reinstate":
        # Keycloak cannot lock an account again: it is disabled again instead (no access).
        assert before.pop("locked") != after.pop("locked")
    assert after == before


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_done_access_change_has_exactly_one_audit_event(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor, operation: str
) -> None:
    if operation == "reinstate":
        _suspended_olive(directory)
    OPERATIONS[operation](admin, sue)
    assert len(audit.events()) == 1


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("create", "reference"),
        ("change_roles", "reference"),
        ("update_details", "reference"),
        ("suspend", "reason"),
        ("reinstate", "reason"),
        ("remove", "reason"),
    ],
)
def test_a_reference_or_reason_longer_than_the_audit_log_keeps_is_refused_before_any_change(
    admin: UserAdmin,
    directory: FakeDirectory,
    audit: AuditLog,
    sue: Actor,
    operation: str,
    field: str,
) -> None:
    text = "r" * (MAX_LENGTHS[field] + 1)
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"], text),
        "change_roles": lambda: admin.change_roles(
            sue, COLLEGE.id, "olive.online", ["LRBBatchUser"], reference=text
        ),
        "update_details": lambda: admin.update_details(
            sue, COLLEGE.id, "olive.online", {"staff_id": "S-9"}, reference=text
        ),
        "suspend": lambda: admin.suspend(sue, COLLEGE.id, "olive.online", text),
        "reinstate": lambda: admin.reinstate(sue, COLLEGE.id, "olive.online", text),
        "remove": lambda: admin.remove(sue, COLLEGE.id, "olive.online", text),
    }
    before = state(directory)
    with pytest.raises(RuleViolation) as refused:
        calls[operation]()
    assert [(v.field, v.code) for v in refused.value.violations] == [(field, "too-long")]
    assert state(directory) == before and audit.events() == []


def test_a_removal_whose_delete_fails_leaves_the_account_and_no_record(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    directory.fail.add("delete_user")
    with pytest.raises(GatewayError):
        admin.remove(sue, COLLEGE.id, "olive.online", "left")
    assert directory.by_name("olive.online") is not None
    assert audit.events() == []


def test_a_removal_whose_answer_is_lost_after_the_delete_keeps_its_record(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    original = directory.delete_user

    def deleted_but_no_answer(user_id: str) -> None:
        original(user_id)
        raise GatewayError("connection reset after the delete", 502)

    directory.delete_user = deleted_but_no_answer  # type: ignore[method-assign]
    with pytest.raises(GatewayError):
        admin.remove(sue, COLLEGE.id, "olive.online", "left")
    assert directory.by_name("olive.online") is None
    assert [e.action for e in audit.events()] == ["user_removed"]


@pytest.mark.parametrize("step", ["add_roles", "set_enabled", "send_set_password_email"])
def test_a_creation_failing_part_way_leaves_no_account_and_no_record(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor, step: str
) -> None:
    directory.fail.add(step)
    with pytest.raises(GatewayError):
        admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    assert directory.by_name("jane.doe") is None
    assert audit.events() == []


@pytest.mark.parametrize("step", ["add_roles", "audit"])
def test_a_creation_whose_clean_up_also_fails_leaves_only_a_disabled_account(
    directory: FakeDirectory, realm_policy: RealmPolicy, sue: Actor, step: str
) -> None:
    audit = FailingAudit(make_engine("sqlite://")) if step == "audit" else None
    admin = UserAdmin(directory, audit or AuditLog(make_engine("sqlite://")), realm_policy)
    directory.fail |= {"delete_user"} | ({step} if step != "audit" else set())
    with pytest.raises((GatewayError, AuditStoreDown)) as failed:
        admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    left = directory.by_name("jane.doe")
    assert left is not None and not left.enabled
    assert any("could not undo" in note for note in getattr(failed.value, "__notes__", []))


def test_a_retried_creation_answers_the_account_it_made_instead_of_a_second_one(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    first = admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"], "REQ-1")
    again = admin.create_user(
        sue, COLLEGE.id, replace(JANE, given_name=" jane "), ["LRBOnlineUser"]
    )
    assert first.user and again.user and again.user["username"] == "jane.doe"
    assert again.existing and not first.existing and again.event is None
    assert [w.code for w in again.warnings] == ["person-already-registered"]
    assert [u.username for u in directory.users.values() if u.username.startswith("jane")] == [
        "jane.doe"
    ]
    assert [e.action for e in audit.events()] == ["user_created"]


def test_the_same_staff_id_and_names_also_identify_a_retried_creation(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    ravi = UserDetails("Mr", "Ravi", "Patel", "HR 1", staff_id="E104")
    admin.create_user(sue, COLLEGE.id, ravi, ["LRBOnlineUser"])
    assert admin.create_user(sue, COLLEGE.id, ravi, ["LRBOnlineUser"]).existing


def test_concurrent_retries_of_one_creation_make_one_account(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    results: list[Result] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
            )
        )
        for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.existing for r in results) == [False, True, True, True, True]
    assert sum(u.username.startswith("jane.doe") for u in directory.users.values()) == 1


def test_someone_with_only_the_same_names_gets_an_account_of_their_own(
    admin: UserAdmin, sue: Actor
) -> None:
    admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    other = admin.create_user(
        sue, COLLEGE.id, replace(JANE, email="jd@elsewhere.org"), ["LRBOnlineUser"]
    )
    assert other.user and other.user["username"] == "jane.doe2" and not other.existing


def test_the_same_person_in_another_organisation_is_not_a_retry(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor, otto: Actor
) -> None:
    admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    elsewhere = admin.create_user(otto, "other-college", JANE, ["LRBOnlineUser"])
    assert elsewhere.user and elsewhere.user["username"] == "jane.doe2"


class SlowMembers(FakeDirectory):
    """Reading an organisation's members takes a while: the window two changes race in."""

    def members(self, group: OrgGroup, roles: Collection[str]) -> list[UserRecord]:
        found = super().members(group, roles)
        time.sleep(0.3)
        return found


@pytest.mark.parametrize("action", ["demote", "suspend", "remove"])
def test_two_super_users_acting_on_each_other_at_once_leave_one_active_super_user(
    realm_policy: RealmPolicy, action: str
) -> None:
    directory = SlowMembers()
    directory.add_org(COLLEGE)
    for name in ("sue.super", "sam.super"):
        directory.add_user(name, COLLEGE.id, ["LRBSuperUser"])
    admin = UserAdmin(directory, AuditLog(make_engine("sqlite://")), realm_policy)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act(me: str, other: str) -> None:
        caller = Actor(me, COLLEGE.id, frozenset({"LRBSuperUser"}))
        barrier.wait()
        try:
            if action == "demote":
                admin.change_roles(caller, COLLEGE.id, other, ["LRBOnlineUser"], reference="r")
            elif action == "suspend":
                admin.suspend(caller, COLLEGE.id, other, "swap")
            else:
                admin.remove(caller, COLLEGE.id, other, "swap")
            outcomes.append("done")
        except RuleViolation as refused:
            outcomes.append(refused.violations[0].code)

    threads = [
        threading.Thread(target=act, args=pair)
        for pair in (("sue.super", "sam.super"), ("sam.super", "sue.super"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["done", "last-super-user"]
    active = [u for u in directory.users.values() if u.enabled and "LRBSuperUser" in u.roles]
    assert len(active) == 1


def test_only_changes_that_may_take_away_a_super_user_take_the_organisation_lock(
    directory: FakeDirectory, realm_policy: RealmPolicy, sue: Actor
) -> None:
    taken: list[tuple[str, str]] = []

    @contextmanager
    def spy(org_id: str, subject: str = "") -> Iterator[None]:
        taken.append((org_id, subject))
        yield

    def locks(org_id: str, subject: str = "") -> AbstractContextManager[None]:
        return spy(org_id, subject)

    admin = UserAdmin(directory, AuditLog(make_engine("sqlite://")), realm_policy, locks=locks)
    directory.add_user("dan.deputy", COLLEGE.id, ["LRBSuperUser"])
    admin.change_roles(sue, COLLEGE.id, "olive.online", ["LRBBatchUser"], reference="r")
    assert taken == []
    admin.change_roles(sue, COLLEGE.id, "dan.deputy", ["LRBOnlineUser"], reference="r")
    admin.suspend(sue, COLLEGE.id, "olive.online", "left")
    admin.remove(sue, COLLEGE.id, "olive.online", "left")
    assert taken == [(COLLEGE.id, "")] * 3


def test_the_same_person_with_other_roles_is_not_a_retry_but_a_creation_of_its_own(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    """E.g. the help desk's recovery nominating an existing user as the new super user."""
    admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    other = admin.create_user(sue, COLLEGE.id, JANE, ["LRBSuperUser"])
    assert other.user and other.user["username"] == "jane.doe2" and not other.existing


def test_a_suspended_account_of_the_same_person_is_not_a_retry(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    admin.suspend(sue, COLLEGE.id, "jane.doe", "left")
    again = admin.create_user(sue, COLLEGE.id, JANE, ["LRBOnlineUser"])
    assert again.user and again.user["username"] == "jane.doe2" and not again.existing
