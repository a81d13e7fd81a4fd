"""How many directory requests the user-admin paths make (bulk onboarding, listings)."""

from __future__ import annotations

from typing import Any

from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.users import _record
from lrs_keycloak.services.user_admin import UserAdmin
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

NEW = UserDetails("Mr", "Ravi", "Patel", "HR file 1")


def _count_prefix_searches(directory: FakeDirectory) -> list[str]:
    searched: list[str] = []
    original = directory.usernames_starting

    def spy(prefix: str) -> set[str]:
        searched.append(prefix)
        return original(prefix)

    directory.usernames_starting = spy  # type: ignore[method-assign]
    return searched


def test_free_username_is_created_without_a_prefix_search(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    searched = _count_prefix_searches(directory)
    result = admin.create_user(sue, COLLEGE.id, NEW, ["LRBOnlineUser"])
    assert result.user is not None and result.user["username"] == "ravi.patel"
    assert searched == []


def test_taken_username_searches_the_prefix_once_then_skips_taken_names(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    for name in ("ravi.patel", "ravi.patel2", "ravi.patel3"):
        directory.add_user(name, COLLEGE.id, ["LRBOnlineUser"])
    searched = _count_prefix_searches(directory)
    result = admin.create_user(sue, COLLEGE.id, NEW, ["LRBOnlineUser"])
    assert result.user is not None and result.user["username"] == "ravi.patel4"
    assert searched == ["ravi.patel"]


def _rep(enabled: bool, **attributes: Any) -> dict[str, Any]:
    return {
        "id": "u1",
        "username": "lena.lock",
        "enabled": enabled,
        "attributes": {k: [v] for k, v in attributes.items()},
    }


def test_permanently_locked_user_is_locked_from_the_listing_alone() -> None:
    user = _record(_rep(False, disabledReason="permanentLockout"))
    assert user.locked and user.as_dict()["status"] == "locked"


def test_suspended_user_is_suspended_not_locked() -> None:
    user = _record(_rep(False))
    assert not user.locked and user.as_dict()["status"] == "suspended"


def test_enabled_user_is_never_locked_by_a_stale_reason() -> None:
    assert not _record(_rep(True, disabledReason="permanentLockout")).locked
