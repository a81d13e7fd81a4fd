"""`lifecycle run` against an in-memory directory (guide §2.1, §7, §8): what it suspends, whom
it tells, and that running it again does nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.lifecycle import DAY_MS, LifecyclePolicy
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.names import LAST_LOGON
from lrs_keycloak.services.lifecycle import Lifecycle
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.lifecycle import LifecycleStore
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

NOW = 1_800_000_000_000
POLICY = LifecyclePolicy(
    warn_after_days=(60, 83), suspend_after_days=90, grace_after_reinstatement_days=14
)


@dataclass
class Outbox:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


@pytest.fixture
def world(
    directory: FakeDirectory, realm_policy: RealmPolicy
) -> tuple[Lifecycle, FakeDirectory, AuditLog, Outbox]:
    engine = make_engine("sqlite://")
    audit = AuditLog(engine)
    admin = UserAdmin(directory, audit, replace(realm_policy, lifecycle=POLICY))
    # A deputy, so that suspending one super user never leaves the college without one.
    directory.add_user("dee.deputy", COLLEGE.id, ["LRBSuperUser"])
    for user in directory.users.values():
        user.attributes[LAST_LOGON] = str(NOW)
    outbox = Outbox()
    return Lifecycle(admin, LifecycleStore(engine), outbox), directory, audit, outbox


def idle(directory: FakeDirectory, username: str, days: int) -> None:
    user = directory.by_name(username)
    assert user is not None
    user.attributes[LAST_LOGON] = str(NOW - days * DAY_MS)


def test_an_unused_account_is_warned_once(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox],
) -> None:
    lifecycle, directory, audit, outbox = world
    idle(directory, "olive.online", 61)
    [action] = lifecycle.run(COLLEGE.id, now_ms=NOW)
    assert (action.step, action.done) == ("warn-inactive", True)
    assert [to for to, _, _ in outbox.sent] == ["olive.online@example.org"]
    assert "61 days" in outbox.sent[0][1]
    assert lifecycle.run(COLLEGE.id, now_ms=NOW) == []  # idempotent
    [event] = audit.events(COLLEGE.id, action=AuditKind.USER_INACTIVITY_WARNED)
    assert (event.actor, event.target) == ("operator:lifecycle", "olive.online")


def test_past_the_limit_it_is_suspended_and_the_super_users_are_told(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox],
) -> None:
    lifecycle, directory, audit, outbox = world
    idle(directory, "olive.online", 91)
    [action] = lifecycle.run(COLLEGE.id, now_ms=NOW)
    assert (action.step, action.done) == ("suspend-inactive", True)
    olive = directory.by_name("olive.online")
    assert olive is not None and not olive.enabled and olive.id in directory.logged_out
    told = sorted(to for to, _, _ in outbox.sent)
    assert told == ["dee.deputy@example.org", "sue.super@example.org"]
    [event] = audit.events(COLLEGE.id, action=AuditKind.USER_SUSPENDED)
    assert event.actor == "operator:lifecycle" and "91 days" in (event.reason or "")
    assert lifecycle.run(COLLEGE.id, now_ms=NOW) == []


def test_a_dry_run_changes_and_sends_nothing(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox],
) -> None:
    lifecycle, directory, _, outbox = world
    idle(directory, "olive.online", 91)
    [action] = lifecycle.run(COLLEGE.id, dry_run=True, now_ms=NOW)
    assert (action.step, action.done, action.note) == ("suspend-inactive", False, "dry run")
    olive = directory.by_name("olive.online")
    assert olive is not None and olive.enabled and outbox.sent == []


def test_the_last_active_super_user_is_never_suspended_by_it(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox],
) -> None:
    lifecycle, directory, _, _ = world
    for name in ("sue.super", "dee.deputy"):
        idle(directory, name, 200)
    actions = {a.username: a for a in lifecycle.run(COLLEGE.id, now_ms=NOW)}
    done = [a for a in actions.values() if a.done]
    refused = [a for a in actions.values() if not a.done]
    assert len(done) == 1 and len(refused) == 1 and refused[0].note.startswith("refused")


def test_an_account_is_suspended_on_its_end_date(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox], sue: Actor
) -> None:
    lifecycle, _, audit, _ = world
    today = datetime.fromtimestamp(NOW / 1000).date()
    lifecycle.set_end_date(sue, COLLEGE.id, "olive.online", today + timedelta(days=1), "contract")
    assert lifecycle.run(COLLEGE.id, now_ms=NOW) == []
    [action] = lifecycle.run(COLLEGE.id, now_ms=NOW + DAY_MS)
    assert (action.step, action.done) == ("suspend-end-date", True)
    [set_event] = audit.events(COLLEGE.id, action=AuditKind.USER_END_DATE_SET)
    assert set_event.details == {"end_date": (today + timedelta(days=1)).isoformat()}


def test_only_the_organisations_super_users_set_end_dates(
    world: tuple[Lifecycle, FakeDirectory, AuditLog, Outbox], olive: Actor, otto: Actor
) -> None:
    lifecycle = world[0]
    with pytest.raises(NotPermitted):
        lifecycle.set_end_date(olive, COLLEGE.id, "olive.online", date(2030, 1, 1), "x")
    with pytest.raises(NotVisible):  # another organisation's
        lifecycle.set_end_date(otto, COLLEGE.id, "olive.online", date(2030, 1, 1), "x")
