"""Onboarding from a file (guide §2.1) through the single-create rules, against an in-memory
directory: nothing written when a row is bad, no duplicates on a re-run, an interrupted run
completed by running it again."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.services.user_admin import ImportRefused, NotPermitted, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory

HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"


def people(n: int, start: int = 0) -> str:
    given = ["Ada", "Bea", "Cyd", "Dot", "Eve", "Fay", "Gil", "Hal", "Ivy", "Jo"]
    return "".join(
        f"Ms,{given[i % 10]},Person{chr(97 + i)},HR ref {i},p{i}@example.org,,LRBOnlineUser\n"
        for i in range(start, start + n)
    )


def accounts(directory: FakeDirectory) -> int:
    return sum(1 for u in directory.users.values() if COLLEGE.id in u.organisation_ids)


def test_every_row_becomes_an_account_with_its_roles(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    before = accounts(directory)
    report = admin.import_users(sue, COLLEGE.id, HEADER + people(3), reference="HR-batch-1")
    assert report.count("created") == 3 and accounts(directory) == before + 3
    ada = directory.by_name("ada.persona")
    assert ada is not None and ada.roles == {"LRBOnlineUser"}


def test_one_bad_row_means_nothing_is_written_and_every_problem_is_reported(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    before = accounts(directory)
    bad = (
        "Ms,Guest,User,ref,guest@example.org,,LRBOnlineUser\n"  # a generic name (§4.2)
        "Ms,Kim,Kay,ref,kim@example.org,,NoSuchRole\n"
    )
    with pytest.raises(ImportRefused) as refused:
        admin.import_users(sue, COLLEGE.id, HEADER + people(2) + bad)
    rows = {(p.row, p.violation.field) for p in refused.value.problems}
    assert (4, "given_name") in rows and (5, "roles") in rows
    assert accounts(directory) == before


def test_skip_invalid_imports_the_valid_rows_and_reports_the_others(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    bad = "Ms,Guest,User,ref,guest@example.org,,LRBOnlineUser\n"
    report = admin.import_users(sue, COLLEGE.id, HEADER + people(2) + bad, skip_invalid=True)
    assert report.count("created") == 2
    assert report.as_dict()["skipped_rows"] == [4]


def test_running_the_same_file_again_creates_no_duplicates(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    text = HEADER + people(4)
    admin.import_users(sue, COLLEGE.id, text)
    before = accounts(directory)
    again = admin.import_users(sue, COLLEGE.id, text)
    assert again.count("existing") == 4 and again.count("created") == 0
    assert accounts(directory) == before


def test_an_interrupted_run_is_completed_by_running_it_again(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keycloak fails after the third person is enabled: the fourth is undone, the others
    stay disabled (and recorded), and the re-run makes the fourth and finishes the others."""
    text = HEADER + people(10)
    before = accounts(directory)
    enable = directory.set_enabled
    calls = itertools.count(1)

    def enable_or_fail(user_id: str, enabled: bool) -> None:
        if enabled and next(calls) > 3:
            raise GatewayError("Keycloak stopped", 503)
        enable(user_id, enabled)

    monkeypatch.setattr(directory, "set_enabled", enable_or_fail)
    with pytest.raises(GatewayError):
        admin.import_users(sue, COLLEGE.id, text)
    made = sum(1 for u in directory.users.values() if ".person" in u.username and u.enabled)
    assert made == 3 and accounts(directory) == before + 9
    monkeypatch.setattr(directory, "set_enabled", enable)
    report = admin.import_users(sue, COLLEGE.id, text)
    assert report.count("created") == 10 - made and report.count("existing") == made
    assert accounts(directory) == before + 10
    assert all(u.enabled for u in directory.users.values() if ".person" in u.username)


def _created(audit: AuditLog) -> list[str]:
    return sorted(
        e.target or "" for e in audit.events(COLLEGE.id, action="user_created", limit=1000)
    )


def test_accounts_left_disabled_and_recorded_by_a_stopped_keycloak_are_finished_by_a_rerun(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog, sue: Actor
) -> None:
    """Keycloak stops after making the chunk: neither enabling nor the clean-up gets through,
    so the chunk stays disabled with its records (ADR 7: never usable unrecorded). The re-run
    enables those same accounts: no second account, no second record."""
    text = HEADER + people(5)
    directory.fail |= {"set_enabled", "delete_user"}
    with pytest.raises(GatewayError):
        admin.import_users(sue, COLLEGE.id, text)
    left = [u for u in directory.users.values() if ".person" in u.username]
    assert len(left) == 5 and not any(u.enabled for u in left)
    assert _created(audit) == sorted(u.username for u in left)
    directory.fail.clear()
    report = admin.import_users(sue, COLLEGE.id, text)
    assert report.count("created") == 5
    after = [u for u in directory.users.values() if ".person" in u.username]
    assert len(after) == 5 and all(u.enabled for u in after)
    assert _created(audit) == sorted(u.username for u in after)


def test_accounts_made_but_not_recorded_when_the_run_died_get_one_record_on_the_rerun(
    admin: UserAdmin,
    directory: FakeDirectory,
    audit: AuditLog,
    sue: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies between the chunk's Keycloak transaction and its audit records: the
    accounts are disabled and unrecorded; the re-run records each once and enables it."""

    def died(events: Any) -> Any:
        raise KeyboardInterrupt  # as a kill between the two transactions leaves things

    directory.fail.add("delete_user")
    monkeypatch.setattr(audit, "record_many", died)
    with pytest.raises(KeyboardInterrupt):
        admin.import_users(sue, COLLEGE.id, HEADER + people(4))
    monkeypatch.undo()
    directory.fail.clear()
    assert _created(audit) == []
    report = admin.import_users(sue, COLLEGE.id, HEADER + people(4))
    assert report.count("created") == 4
    made = [u for u in directory.users.values() if ".person" in u.username]
    assert len(made) == 4 and all(u.enabled for u in made)
    assert _created(audit) == sorted(u.username for u in made)


def test_a_suspended_account_of_the_same_person_is_not_taken_for_a_half_made_one(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    """Guide §6: a suspended account stays suspended; the file makes the person a new one."""
    admin.import_users(sue, COLLEGE.id, HEADER + people(1))
    admin.suspend(sue, COLLEGE.id, "ada.persona", "on leave")
    report = admin.import_users(sue, COLLEGE.id, HEADER + people(1))
    assert report.as_dict()["rows"][0]["username"] == "ada.persona2"
    ada = directory.by_name("ada.persona")
    assert ada is not None and not ada.enabled


def test_usernames_clash_inside_one_chunk_get_the_next_suffix(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    """Two people with the same names in one file (other staff IDs) and a third already in
    the realm: three accounts, numbered as single creations would number them."""
    directory.add_user("ann.same", COLLEGE.id, ["LRBOnlineUser"])
    twins = "Ms,Ann,Same,HR ref,,S-1,LRBOnlineUser\nMs,Ann,Same,HR ref,,S-2,LRBOnlineUser\n"
    report = admin.import_users(sue, COLLEGE.id, HEADER + twins)
    assert [r["username"] for r in report.as_dict()["rows"]] == ["ann.same2", "ann.same3"]


def test_a_username_taken_while_the_chunk_was_planned_is_chosen_again(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent creation takes a planned username: the chunk is refused whole (409) and
    made again with fresh names."""
    create_users = directory.create_users
    raced = itertools.count()

    def racing(users: Any) -> list[str]:
        if next(raced) == 0:
            directory.add_user("bea.personb", OTHER.id, ["LRBOnlineUser"])
        return create_users(users)

    monkeypatch.setattr(directory, "create_users", racing)
    report = admin.import_users(sue, COLLEGE.id, HEADER + people(3))
    assert [r["username"] for r in report.as_dict()["rows"]] == [
        "ada.persona",
        "bea.personb2",
        "cyd.personc",
    ]


def test_progress_is_told_after_each_person(admin: UserAdmin, sue: Actor) -> None:
    seen: list[tuple[int, int]] = []
    admin.import_users(
        sue, COLLEGE.id, HEADER + people(3), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_only_a_super_user_of_the_organisation_may_import(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(NotPermitted):
        admin.import_users(olive, COLLEGE.id, HEADER + people(1))
