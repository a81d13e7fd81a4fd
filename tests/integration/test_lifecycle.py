"""`lifecycle run` against the real Keycloak and a real SMTP server (guide §2.1, §7, §8):
unused accounts warned by email, an account suspended on its end date with its super users
told, a dry run that changes nothing, a second run that does nothing more, and an unused
account suspended, reinstated, left alone through its grace period and suspended after it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lrs_keycloak.composition import build_lifecycle
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.lifecycle import DAY_MS
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.lifecycle import Lifecycle
from lrs_keycloak.services.recovery import SmtpMailer
from lrs_keycloak.services.recovery.mail import SmtpSettings
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine, upgrade
from tests.support.smtp import Inbox, body, realm_mail

ORG = Organisation("lifecycle-college", "Lifecycle College", "college", frozenset())


def person(given: str, family: str) -> UserDetails:
    email = f"{given.lower()}@lifecycle.example.org"
    return UserDetails("Ms", given, family, "HR file 9", email=email)


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def admin(synced_gateway: KeycloakGateway, policy: RealmPolicy, inbox: Inbox) -> UserAdmin:
    return UserAdmin(UserDirectory(synced_gateway), AuditLog(make_engine("sqlite://")), policy)


@pytest.fixture(scope="module")
def lifecycle(
    admin: UserAdmin, inbox: Inbox, tmp_path_factory: pytest.TempPathFactory
) -> Lifecycle:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'store.sqlite'}")
    upgrade(engine)
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port, starttls=False))
    return build_lifecycle(admin, engine, mailer=mailer)


@pytest.fixture(scope="module")
def sue(admin: UserAdmin) -> Actor:
    made = admin.register_organisation(Operator("it"), ORG, person("Sue", "Super"))
    assert made.user is not None
    actor = admin.actor(made.user["username"])
    assert actor is not None
    deputy = admin.create_user(actor, ORG.id, person("Dee", "Deputy"), ["LRBSuperUser"], "ref 1")
    assert deputy.user is not None
    return actor


@pytest.fixture(scope="module")
def ivy(admin: UserAdmin, sue: Actor) -> str:
    made = admin.create_user(sue, ORG.id, person("Ivy", "Idle"), ["LRBOnlineUser"])
    assert made.user is not None
    return str(made.user["username"])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_unused_accounts_are_warned_by_email_once(
    lifecycle: Lifecycle, inbox: Inbox, ivy: str
) -> None:
    later = now_ms() + 61 * DAY_MS
    actions = {a.username: a for a in lifecycle.run(ORG.id, now_ms=later)}
    assert (actions[ivy].step, actions[ivy].done) == ("warn-inactive", True)
    # The mailer sends before run() returns; the set-password email came first.
    [warning] = [m for m in inbox.to("ivy@lifecycle.example.org") if "days" in m["Subject"]]
    assert "61 days" in warning["Subject"] and ivy in body(warning)
    assert lifecycle.run(ORG.id, now_ms=later) == []


def test_a_dry_run_lists_the_suspensions_and_changes_nothing(
    lifecycle: Lifecycle, synced_gateway: KeycloakGateway, ivy: str
) -> None:
    actions = lifecycle.run(ORG.id, dry_run=True, now_ms=now_ms() + 91 * DAY_MS)
    assert {a.step for a in actions} == {"suspend-inactive"}
    user = UserDirectory(synced_gateway).find_user(ivy)
    assert user is not None and user.enabled


def test_an_account_is_suspended_on_its_end_date_and_its_super_users_are_told(
    lifecycle: Lifecycle, inbox: Inbox, synced_gateway: KeycloakGateway, sue: Actor, ivy: str
) -> None:
    today = datetime.now(UTC).date()
    lifecycle.set_end_date(sue, ORG.id, ivy, today + timedelta(days=1), "temporary contract")
    assert [a for a in lifecycle.run(ORG.id) if a.username == ivy] == []
    tomorrow = now_ms() + DAY_MS
    [action] = [a for a in lifecycle.run(ORG.id, now_ms=tomorrow) if a.username == ivy]
    assert (action.step, action.done) == ("suspend-end-date", True)
    user = UserDirectory(synced_gateway).find_user(ivy)
    assert user is not None and not user.enabled
    for address in ("sue@lifecycle.example.org", "dee@lifecycle.example.org"):
        told = [m for m in inbox.to(address) if "suspended" in m["Subject"]]
        assert told and ivy in told[-1]["Subject"] and "end date reached" in told[-1]["Subject"]
    assert [a for a in lifecycle.run(ORG.id, now_ms=tomorrow) if a.username == ivy] == []


class ClockedAudit(AuditLog):
    """The audit log on the test's clock: a reinstatement made "91 days from now" is recorded
    then, as it would be had the test waited that long."""

    def __init__(self, engine: Engine, clock: Callable[[], int]) -> None:
        super().__init__(engine)
        self.clock = clock

    def record(self, event: AuditEvent) -> AuditEvent:
        at = datetime.fromtimestamp(self.clock() / 1000, UTC)
        return super().record(replace(event, at=event.at or at))


def test_an_unused_account_is_suspended_and_once_reinstated_gets_its_grace_period(
    synced_gateway: KeycloakGateway,
    policy: RealmPolicy,
    inbox: Inbox,
    sue: Actor,
    tmp_path: Path,
) -> None:
    offset = 0
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upgrade(engine)
    admin = UserAdmin(
        UserDirectory(synced_gateway), ClockedAudit(engine, lambda: now_ms() + offset), policy
    )
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port, starttls=False))
    lifecycle = build_lifecycle(admin, engine, mailer=mailer)
    made = admin.create_user(sue, ORG.id, person("Gus", "Grace"), ["LRBOnlineUser"])
    assert made.user is not None
    gus = str(made.user["username"])
    directory = UserDirectory(synced_gateway)

    def steps_at(days: int) -> list[tuple[str, bool]]:
        nonlocal offset
        offset = days * DAY_MS
        found = lifecycle.run(ORG.id, now_ms=now_ms() + offset)
        return [(a.step, a.done) for a in found if a.username == gus]

    suspend = policy.lifecycle.suspend_after_days
    assert suspend is not None  # realm-config/lifecycle.yaml suspends unused accounts
    grace = policy.lifecycle.grace_after_reinstatement_days
    assert ("suspend-inactive", True) in steps_at(suspend + 1)
    user = directory.find_user(gus)
    assert user is not None and not user.enabled
    assert any(
        gus in str(m["Subject"]) and "suspended" in str(m["Subject"]) for m in inbox.messages
    )

    admin.reinstate(Operator("it"), ORG.id, gus, "back from a long leave")
    # Still unused, but reinstated a day ago: left alone through the grace period.
    assert all(step != "suspend-inactive" for step, _ in steps_at(suspend + 2))
    assert all(step != "suspend-inactive" for step, _ in steps_at(suspend + grace))
    user = directory.find_user(gus)
    assert user is not None and user.enabled
    # The grace period over, unused all along: suspended again.
    assert ("suspend-inactive", True) in steps_at(suspend + 2 + grace)
    user = directory.find_user(gus)
    assert user is not None and not user.enabled
