"""A creation that Keycloak's stop cut short after it made the account (its answer lost, or the
clean-up unable to delete it) is completed by the next attempt, not made twice
(domain.users.unfinished_creation, docs/adr/0023; tests/integration/faults runs it through a
proxy in front of the real Keycloak)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails, unfinished_creation
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.audit import AuditLog
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

JANE = UserDetails("Ms", "Jane", "Doe", "approved by HR ref 42", email="jane@example.org")
ROLES = ["LRBOnlineUser"]


class KeycloakStops(FakeDirectory):
    """Keycloak stops at ``stop_at`` (after doing it when its answer is lost) and stays down,
    so the creation's clean-up cannot delete what it made, until ``up()``."""

    def __init__(self, stop_at: str, answer_lost: bool) -> None:
        super().__init__()
        self.stop_at, self.answer_lost, self.down = stop_at, answer_lost, False

    def _maybe_fail(self, what: str) -> None:
        if self.down:
            raise GatewayError(f"Keycloak cannot be reached ({what})", None)
        if what == self.stop_at and not self.answer_lost:
            self.down = True
            raise GatewayError(f"Keycloak cannot be reached ({what})", None)

    def add_roles(self, user_id: str, roles: Collection[str]) -> None:
        super().add_roles(user_id, roles)
        self._lost("add_roles")

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        super().set_enabled(user_id, enabled)
        self._lost("set_enabled")

    def create_user(self, representation: dict[str, Any]) -> str:
        made = super().create_user(representation)
        self._lost("create_user")
        return made

    def _lost(self, what: str) -> None:
        """Done, then Keycloak stops before answering."""
        if self.answer_lost and what == self.stop_at:
            self.down = True
            raise GatewayError(f"Keycloak's answer to {what} was lost", None)

    def up(self) -> None:
        self.down, self.stop_at = False, ""


def _janes(directory: FakeDirectory) -> list[tuple[str, bool, frozenset[str]]]:
    return sorted(
        (u.username, u.enabled, u.roles)
        for u in directory.users.values()
        if u.username.startswith("jane.doe")
    )


STEPS = [
    (step, lost)
    for step in ("create_user", "add_roles", "set_enabled")
    for lost in (False, True)
    if (step, lost) != ("create_user", False)  # nothing made: covered by the plain creation
]


@pytest.mark.parametrize(("step", "answer_lost"), STEPS)
def test_a_creation_cut_short_is_completed_by_the_next_attempt_not_duplicated(
    realm_policy: RealmPolicy, audit: AuditLog, sue: Actor, step: str, answer_lost: bool
) -> None:
    directory = KeycloakStops(step, answer_lost)
    directory.add_org(COLLEGE)
    directory.add_user("sue.super", COLLEGE.id, ["LRBSuperUser"])
    admin = UserAdmin(directory, audit, realm_policy)
    with pytest.raises(GatewayError):
        admin.create_user(sue, COLLEGE.id, JANE, ROLES, "REQ-1")
    # Left behind: one account (enabled only when the enabling's answer was lost), with or
    # without its role, and no record.
    (left,) = _janes(directory)
    assert left[1] is (step == "set_enabled" and answer_lost)
    assert audit.events(COLLEGE.id, target="jane.doe") == []
    directory.up()

    again = admin.create_user(sue, COLLEGE.id, JANE, ROLES, "REQ-1")
    assert again.user and again.user["username"] == "jane.doe" and not again.existing
    assert _janes(directory) == [("jane.doe", True, frozenset(ROLES))]
    (created,) = audit.events(COLLEGE.id, target="jane.doe")
    assert created.action == AuditKind.USER_CREATED and created.details["completed"] is True
    assert directory.emails == [left_id(directory)]
    # Completed once: a third attempt is the plain repeat it always was.
    third = admin.create_user(sue, COLLEGE.id, JANE, ROLES, "REQ-1")
    assert third.existing and len(audit.events(COLLEGE.id, target="jane.doe")) == 1


def left_id(directory: FakeDirectory) -> str:
    found = directory.by_name("jane.doe")
    assert found is not None
    return found.id


def test_a_recorded_account_is_never_taken_for_an_unfinished_one() -> None:
    assert unfinished_creation(JANE, ROLES, JANE, [], recorded=False)
    assert not unfinished_creation(JANE, ROLES, JANE, [], recorded=True)
    # Roles the creation does not give: not what this creation left behind.
    assert not unfinished_creation(JANE, ROLES, JANE, ["LRBSuperUser"], recorded=False)
    other = UserDetails("Ms", "Jane", "Doe", "x", email="someone@else.org")
    assert not unfinished_creation(JANE, ROLES, other, [], recorded=False)
