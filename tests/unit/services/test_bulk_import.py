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
from tests.unit.services.conftest import COLLEGE
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
    """Keycloak fails after the third person: the re-run makes exactly the missing ones."""
    text = HEADER + people(10)
    before = accounts(directory)
    create = directory.create_user
    calls = itertools.count(1)

    def create_or_fail(representation: dict[str, Any]) -> str:
        if next(calls) > 3:
            raise GatewayError("Keycloak stopped", 503)
        return create(representation)

    monkeypatch.setattr(directory, "create_user", create_or_fail)
    with pytest.raises(GatewayError):
        admin.import_users(sue, COLLEGE.id, text)
    made = accounts(directory) - before
    assert made == 3
    monkeypatch.setattr(directory, "create_user", create)
    report = admin.import_users(sue, COLLEGE.id, text)
    assert report.count("created") == 10 - made and report.count("existing") == made
    assert accounts(directory) == before + 10
    assert all(u.enabled for u in directory.users.values() if u.username.startswith("p"))


def test_progress_is_told_after_each_person(admin: UserAdmin, sue: Actor) -> None:
    seen: list[tuple[int, int]] = []
    admin.import_users(
        sue, COLLEGE.id, HEADER + people(3), progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_only_a_super_user_of_the_organisation_may_import(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(NotPermitted):
        admin.import_users(olive, COLLEGE.id, HEADER + people(1))
