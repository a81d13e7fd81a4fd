"""An access review's cycle to its deadline against the real Keycloak and a real SMTP server
(guide §8), with a controllable clock: started by a super user, one user confirmed, one's roles
changed, one removed, a reminder at each point once, the unanswered one suspended at the
deadline (its audit event naming the review), and the outcome readable afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message

import pytest
from sqlalchemy import Engine

from lrs_keycloak.composition import build_lifecycle
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.lifecycle import DAY_MS, ReviewPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.lifecycle import Lifecycle
from lrs_keycloak.services.recovery import SmtpMailer
from lrs_keycloak.services.recovery.mail import SmtpSettings
from lrs_keycloak.services.reviews import Reviews
from lrs_keycloak.services.user_admin import NotVisible, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine, upgrade
from tests.support.smtp import Inbox, body, realm_mail

ORG = Organisation("review-college", "Review College", "college", frozenset())
REVIEWS = ReviewPolicy(deadline_days=30, remind_days_before=(14, 3), suspend_unanswered=True)


def person(given: str, family: str) -> UserDetails:
    return UserDetails(
        "Ms", given, family, "HR file 8", email=f"{given.lower()}@review.example.org"
    )


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """One store for the audit log and the reviews, as in the app (a review's events are
    written with its rows)."""
    made = make_engine(f"sqlite:///{tmp_path_factory.mktemp('reviews') / 'store.sqlite'}")
    upgrade(made)
    return made


@pytest.fixture(scope="module")
def admin(synced_gateway: KeycloakGateway, policy: RealmPolicy, engine: Engine) -> UserAdmin:
    reviewing = replace(policy, lifecycle=replace(policy.lifecycle, reviews=REVIEWS))
    return UserAdmin(UserDirectory(synced_gateway), AuditLog(engine), reviewing)


@pytest.fixture(scope="module")
def lifecycle(admin: UserAdmin, inbox: Inbox, engine: Engine) -> Lifecycle:
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port, starttls=False))
    return build_lifecycle(admin, engine, mailer=mailer)


@pytest.fixture(scope="module")
def reviews(lifecycle: Lifecycle) -> Reviews:
    assert lifecycle.reviews is not None
    return lifecycle.reviews


@pytest.fixture(scope="module")
def people(admin: UserAdmin) -> tuple[Actor, dict[str, str]]:
    made = admin.register_organisation(Operator("it"), ORG, person("Sue", "Super"))
    assert made.user is not None
    sue = admin.actor(made.user["username"])
    assert sue is not None
    names = {"sue": sue.username}
    for given, roles in [
        ("Dee", ["LRBSuperUser"]),
        ("Cal", ["LRBOnlineUser"]),
        ("Rob", ["LRBOnlineUser"]),
        ("Rex", ["LRBOnlineUser"]),
        ("Una", ["LRBOnlineUser"]),
    ]:
        user = admin.create_user(sue, ORG.id, person(given, "Reviewed"), roles, "ref 1").user
        assert user is not None
        names[given.lower()] = str(user["username"])
    return sue, names


def reminders(inbox: Inbox, address: str) -> list[str]:
    return [str(m["Subject"]) for m in inbox.to(address) if "still to answer" in m["Subject"]]


def started(inbox: Inbox, address: str) -> list[Message]:
    """The emails telling a super user that a review started (guide §8)."""
    return [m for m in inbox.to(address) if "users by" in str(m["Subject"])]


def test_a_review_cycle_to_its_deadline(
    lifecycle: Lifecycle,
    reviews: Reviews,
    admin: UserAdmin,
    inbox: Inbox,
    synced_gateway: KeycloakGateway,
    people: tuple[Actor, dict[str, str]],
) -> None:
    sue, n = people
    start = time.time_ns() // 1_000_000
    review = reviews.start(sue, ORG.id, now_ms=start)
    assert {i.username: i.roles for i in review.items} == {
        n["sue"]: ("LRBSuperUser",),
        n["dee"]: ("LRBSuperUser",),
        n["cal"]: ("LRBOnlineUser",),
        n["rob"]: ("LRBOnlineUser",),
        n["rex"]: ("LRBOnlineUser",),
        n["una"]: ("LRBOnlineUser",),
    }
    with pytest.raises(RuleViolation) as again:
        reviews.start(sue, ORG.id, now_ms=start)
    assert [v.code for v in again.value.violations] == ["review-open"]
    # Its super users are told, once, by real SMTP: the deadline and where to answer.
    deadline = datetime.fromtimestamp(review.deadline_ms / 1000, UTC).date().isoformat()
    for address in ("sue@review.example.org", "dee@review.example.org"):
        [told] = started(inbox, address)
        assert str(told["Subject"]) == (
            f"LRS access review of {ORG.name}: answer for 6 users by {deadline}"
        )
        assert f"/organisations/{ORG.id}/reviews/{review.id}\r\n" in body(told)
        assert f"{sue.username} started an access review" in body(told)
    assert started(inbox, "cal@review.example.org") == []  # not a super user

    for who in ("sue", "dee", "cal"):
        reviews.decide(sue, ORG.id, review.id, n[who], "confirm", now_ms=start + DAY_MS)
    with pytest.raises(RuleViolation) as unauthorised:  # the role-change rules hold
        reviews.decide(sue, ORG.id, review.id, n["rob"], "change-roles", ["LRBViewOnlyUser"])
    assert [v.field for v in unauthorised.value.violations] == ["reference"]
    less = reviews.decide(
        sue, ORG.id, review.id, n["rob"], "change-roles", ["LRBViewOnlyUser"], "ref 2"
    )
    assert (less.outcome, less.new_roles, less.decided_by) == (
        "change-roles",
        ("LRBViewOnlyUser",),
        sue.username,
    )
    reviews.decide(sue, ORG.id, review.id, n["rex"], "remove", reason="left in May")
    with pytest.raises(RuleViolation) as twice:
        reviews.decide(sue, ORG.id, review.id, n["cal"], "remove")
    assert [v.code for v in twice.value.violations] == ["already-answered"]
    directory = UserDirectory(synced_gateway)
    rob = directory.find_user(n["rob"])
    assert rob is not None and rob.roles == frozenset({"LRBViewOnlyUser"})
    assert directory.find_user(n["rex"]) is None

    # Reminders: nothing before the 14-day point, then each point once however often it runs.
    assert lifecycle.run(ORG.id, now_ms=start + 10 * DAY_MS) == []
    for _ in range(2):
        lifecycle.run(ORG.id, now_ms=start + 17 * DAY_MS)
    for _ in range(2):
        steps = lifecycle.run(ORG.id, now_ms=start + 28 * DAY_MS)
    assert steps == []
    for address in ("sue@review.example.org", "dee@review.example.org"):
        sent = reminders(inbox, address)
        assert len(sent) == 2 and all("1 users still to answer" in s for s in sent)
    [last] = [m for m in inbox.to("sue@review.example.org") if "2 days left" in m["Subject"]]
    assert n["una"] in body(last) and n["cal"] not in body(last)

    # The deadline: the unanswered one suspended, the review closed; then nothing more.
    steps = lifecycle.run(ORG.id, now_ms=start + 31 * DAY_MS)
    assert {(s.username, s.step, s.done) for s in steps} == {
        (n["una"], "review-suspend", True),
        ("", "review-close", True),
    }
    una = directory.find_user(n["una"])
    assert una is not None and not una.enabled
    assert lifecycle.run(ORG.id, now_ms=start + 32 * DAY_MS) == []
    [suspended] = admin.audit.events(ORG.id, action=AuditKind.ACCESS_REVIEW_UNANSWERED_SUSPENDED)
    assert suspended.target == n["una"] and suspended.details["review"] == review.id
    [why] = admin.audit.events(ORG.id, target=n["una"], action=AuditKind.USER_SUSPENDED)
    assert f"access review {review.id}" in (why.reason or "")

    # The outcome, afterwards: who confirmed what, and when.
    shown = reviews.show(sue, ORG.id, review.id)
    assert shown.closed
    outcomes = {i.username: (i.outcome, i.decided_by) for i in shown.items}
    assert outcomes == {
        n["sue"]: ("confirm", sue.username),
        n["dee"]: ("confirm", sue.username),
        n["cal"]: ("confirm", sue.username),
        n["rob"]: ("change-roles", sue.username),
        n["rex"]: ("remove", sue.username),
        n["una"]: ("suspended", "operator:lifecycle"),
    }
    cal = next(i for i in shown.items if i.username == n["cal"])
    assert cal.decided_at_ms == start + DAY_MS
    answered = admin.audit.events(ORG.id, action=AuditKind.ACCESS_REVIEW_ANSWERED)
    assert len(answered) == 5 and {e.details["review"] for e in answered} == {review.id}
    with pytest.raises(RuleViolation) as closed:
        reviews.decide(sue, ORG.id, review.id, n["una"], "confirm")
    assert "review-closed" in [v.code for v in closed.value.violations]


def test_another_organisations_super_user_cannot_see_its_reviews(
    reviews: Reviews, people: tuple[Actor, dict[str, str]]
) -> None:
    sue, _ = people
    stranger = replace(sue, organisation_id="other-college")
    with pytest.raises(NotVisible):
        reviews.reviews(stranger, ORG.id)
