"""`lifecycle run` against the real Keycloak and a real SMTP server (guide §2.1, §7, §8):
unused accounts warned by email, an account suspended on its end date with its super users
told, a dry run that changes nothing, and a second run that does nothing more."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

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
from lrs_keycloak.store.audit import AuditLog
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
