"""Access reviews run by `lifecycle run` against an in-memory directory (guide §8): a review
started by the policy once, a reminder that failed tried again, the last active super user never
suspended at the deadline, a leaver reported, a dry run that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.api_clients import ApiClient
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.lifecycle import DAY_MS, LifecyclePolicy, ReviewPolicy
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.names import LAST_LOGON
from lrs_keycloak.services.lifecycle import Lifecycle
from lrs_keycloak.services.notices import Notices
from lrs_keycloak.services.reviews import Reviews
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, UserAdmin
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.lifecycle import LifecycleStore
from lrs_keycloak.store.reviews import ReviewStore
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

NOW = 1_800_000_000_000
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
REVIEWS = ReviewPolicy(
    every_months=6, deadline_days=30, remind_days_before=(14, 3), suspend_unanswered=True
)


@dataclass
class Outbox:
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    failing: bool = False

    def send(self, to: str, subject: str, body: str) -> None:
        if self.failing:
            raise OSError("SMTP server unreachable")
        self.sent.append((to, subject, body))


@dataclass
class World:
    lifecycle: Lifecycle
    reviews: Reviews
    directory: FakeDirectory
    audit: AuditLog
    outbox: Outbox


def world_with(
    directory: FakeDirectory,
    realm_policy: RealmPolicy,
    reviews: ReviewPolicy = REVIEWS,
    suspend_after_days: int | None = None,
    registered: bool = True,
) -> World:
    engine = make_engine("sqlite://")
    audit = AuditLog(engine)
    lifecycle = LifecyclePolicy(suspend_after_days=suspend_after_days, reviews=reviews)
    policy = replace(realm_policy, lifecycle=lifecycle)
    admin = UserAdmin(directory, audit, policy)
    for user in directory.users.values():  # no inactivity steps in these tests
        user.attributes[LAST_LOGON] = str(NOW)
    if registered:  # long ago: a review is due at once
        audit.record(AuditEvent(AuditKind.ORGANISATION_REGISTERED, "it", COLLEGE.id, at=LONG_AGO))
    outbox = Outbox()
    notices = Notices(directory, outbox, None, public_url="https://lrs.example/")
    service = Reviews(admin, ReviewStore(engine), outbox, notices)
    lifecycle = Lifecycle(admin, LifecycleStore(engine), outbox, service)
    return World(lifecycle, service, directory, audit, outbox)


@pytest.fixture
def world(directory: FakeDirectory, realm_policy: RealmPolicy) -> World:
    return world_with(directory, realm_policy)


def steps(w: World, at: int, dry_run: bool = False) -> list[tuple[str, str, bool, str]]:
    return [
        (a.username, a.step, a.done, a.note)
        for a in w.lifecycle.run(COLLEGE.id, dry_run=dry_run, now_ms=at)
    ]


def test_the_policy_starts_a_review_once_with_the_members_and_their_roles(world: World) -> None:
    # The college was registered years ago and never reviewed: due at once.
    [(_, step, done, _)] = steps(world, NOW)
    assert (step, done) == ("review-start", True)
    assert steps(world, NOW + DAY_MS) == []
    [review] = world.reviews.store.reviews(COLLEGE.id)
    shown = world.reviews.store.review(review.id)
    assert shown is not None and shown.scheduled and shown.started_by == "operator:lifecycle"
    assert {i.username: i.roles for i in shown.items} == {
        "sue.super": ("LRBSuperUser",),
        "olive.online": ("LRBOnlineUser",),
    }
    [event] = world.audit.events(COLLEGE.id, action=AuditKind.ACCESS_REVIEW_STARTED)
    assert event.details["review"] == review.id and event.reason == "scheduled by the policy"


def test_a_dry_run_starts_nothing(world: World) -> None:
    assert steps(world, NOW, dry_run=True) == [("", "review-start", False, "dry run")]
    assert world.reviews.store.reviews(COLLEGE.id) == []


def test_the_last_active_super_user_is_never_suspended_at_the_deadline(world: World) -> None:
    steps(world, NOW)
    at_deadline = steps(world, NOW + 30 * DAY_MS)
    suspended = {(u, s, d) for u, s, d, _ in at_deadline}
    assert ("olive.online", "review-suspend", True) in suspended
    [(_, step, done, note)] = [s for s in at_deadline if s[0] == "sue.super"]
    assert (step, done) == ("review-unanswered", False) and note.startswith("refused:")
    sue = world.directory.by_name("sue.super")
    assert sue is not None and sue.enabled
    assert ("", "review-close", True, "") in at_deadline
    # Closed: nothing more until every_months after its start.
    assert steps(world, NOW + 31 * DAY_MS) == []
    [(_, step, done, _)] = steps(world, NOW + 185 * DAY_MS)
    assert (step, done) == ("review-start", True)


def test_a_reminder_that_could_not_be_sent_is_tried_again(world: World) -> None:
    steps(world, NOW)
    world.outbox.failing = True
    [(_, step, done, note)] = steps(world, NOW + 17 * DAY_MS)
    assert (step, done) == ("review-remind", False) and "unreachable" in note
    world.outbox.failing = False
    [(_, step, done, _)] = steps(world, NOW + 17 * DAY_MS)
    assert (step, done) == ("review-remind", True)
    reminders = [to for to, subject, _ in world.outbox.sent if "still to answer" in subject]
    assert reminders == ["sue.super@example.org"]
    assert steps(world, NOW + 17 * DAY_MS) == []


def test_a_user_who_left_is_reported_not_suspended(world: World) -> None:
    steps(world, NOW)
    olive = world.directory.by_name("olive.online")
    assert olive is not None
    world.directory.users.pop(olive.id)
    at_deadline = steps(world, NOW + 30 * DAY_MS)
    assert ("olive.online", "review-unanswered", False, "no longer a member") in at_deadline


def test_without_suspend_unanswered_the_unanswered_are_only_reported(
    directory: FakeDirectory, realm_policy: RealmPolicy
) -> None:
    w = world_with(directory, realm_policy, replace(REVIEWS, suspend_unanswered=False))
    steps(w, NOW)
    at_deadline = steps(w, NOW + 30 * DAY_MS)
    note = "the policy does not suspend the unanswered"
    assert ("olive.online", "review-unanswered", False, note) in at_deadline
    olive = w.directory.by_name("olive.online")
    assert olive is not None and olive.enabled
    review = w.reviews.store.reviews(COLLEGE.id)[0]
    assert review.closed and review.counts == (2, 0)


def test_only_the_organisations_active_super_users_answer(
    world: World, sue: Actor, olive: Actor, otto: Actor
) -> None:
    review = world.reviews.start(sue, COLLEGE.id, now_ms=NOW)
    with pytest.raises(NotPermitted):
        world.reviews.decide(olive, COLLEGE.id, review.id, "olive.online", "confirm")
    with pytest.raises(NotVisible):
        world.reviews.decide(otto, COLLEGE.id, review.id, "olive.online", "confirm")
    with pytest.raises(NotVisible):  # a review of another organisation is not found
        world.reviews.show(otto, "other-college", review.id)
    with pytest.raises(RuleViolation) as unknown:
        world.reviews.decide(sue, COLLEGE.id, review.id, "nobody.here", "confirm")
    assert [v.code for v in unknown.value.violations] == ["not-in-review"]


def test_an_integrating_system_reads_reviews_but_does_not_start_one(
    world: World, sue: Actor
) -> None:
    client = ApiClient.of(COLLEGE.id)
    with pytest.raises(NotPermitted):
        world.reviews.start(client, COLLEGE.id, now_ms=NOW)
    review = world.reviews.start(sue, COLLEGE.id, now_ms=NOW)
    assert [r.id for r in world.reviews.reviews(client, COLLEGE.id)] == [review.id]
    with pytest.raises(NotPermitted):
        world.reviews.decide(client, COLLEGE.id, review.id, "olive.online", "confirm")


def test_an_account_suspended_for_inactivity_in_the_same_run_is_not_suspended_again(
    directory: FakeDirectory, realm_policy: RealmPolicy
) -> None:
    w = world_with(directory, realm_policy, suspend_after_days=40)
    steps(w, NOW)
    w.directory.add_user("dee.deputy", COLLEGE.id, ["LRBSuperUser"])
    for user in w.directory.users.values():  # the deputy keeps logging on; the others stop
        if user.username != "dee.deputy":
            user.attributes[LAST_LOGON] = str(NOW - 10 * DAY_MS)
        else:
            user.attributes[LAST_LOGON] = str(NOW + 29 * DAY_MS)
    at_deadline = steps(w, NOW + 30 * DAY_MS)
    assert ("olive.online", "suspend-inactive", True, "") in at_deadline
    note = "already suspended"
    assert ("olive.online", "review-unanswered", False, note) in at_deadline
    assert len(w.audit.events(COLLEGE.id, target="olive.online", action="user_suspended")) == 1


def test_an_organisation_registered_before_the_audit_log_is_first_reviewed_every_months_later(
    directory: FakeDirectory, realm_policy: RealmPolicy
) -> None:
    """Issue 13's decision: an organisation with no registration event is not reviewed at the
    first run after the upgrade (every such organisation the same day) but ``every_months``
    after the run that first saw it, which is recorded (event 605) so later runs count from it."""
    w = world_with(directory, realm_policy, registered=False)
    assert steps(w, NOW, dry_run=True) == [("", "review-schedule", False, "dry run")]
    assert w.audit.events(COLLEGE.id, action=AuditKind.ACCESS_REVIEW_FIRST_SCHEDULED) == []
    [(_, step, done, _)] = steps(w, NOW)
    assert (step, done) == ("review-schedule", True)
    [seen] = w.audit.events(COLLEGE.id, action=AuditKind.ACCESS_REVIEW_FIRST_SCHEDULED)
    assert (
        seen.details == {"seen_ms": NOW, "due": "2027-07-15"} and seen.actor == "operator:lifecycle"
    )
    assert steps(w, NOW + DAY_MS) == []  # recorded once, counted from the first sighting
    assert steps(w, NOW + 180 * DAY_MS) == [] and w.reviews.store.reviews(COLLEGE.id) == []
    [(_, step, done, _)] = steps(w, NOW + 181 * DAY_MS)  # 2027-07-15
    assert (step, done) == ("review-start", True)
    assert len(w.audit.events(COLLEGE.id, action=AuditKind.ACCESS_REVIEW_FIRST_SCHEDULED)) == 1


def test_the_super_users_are_told_once_when_the_policy_starts_a_review(world: World) -> None:
    """Guide §8: the start is the first the super users hear of a review: its deadline and
    where to answer, to each active super user with an address, once per review."""
    steps(world, NOW)
    [review] = world.reviews.store.reviews(COLLEGE.id)
    [(to, subject, body)] = world.outbox.sent
    assert to == "sue.super@example.org"
    assert subject == f"LRS access review of {COLLEGE.name}: answer for 2 users by 2027-02-14"
    assert "as it does\nevery 6 months" in body and "will be suspended" in body
    assert f"https://lrs.example/organisations/{COLLEGE.id}/reviews/{review.id}" in body
    steps(world, NOW + DAY_MS)
    assert len(world.outbox.sent) == 1


def test_the_super_users_are_told_who_started_a_review_by_hand(world: World, sue: Actor) -> None:
    review = world.reviews.start(sue, COLLEGE.id, now_ms=NOW)
    [(_, _, body)] = world.outbox.sent
    assert body.startswith(f"Dear super user of {COLLEGE.name},\n\nsue.super started an access")
    with pytest.raises(RuleViolation):  # one open review: no second start, no second email
        world.reviews.start(sue, COLLEGE.id, now_ms=NOW)
    assert len(world.outbox.sent) == 1 and review.id


def test_a_review_starts_even_when_its_email_cannot_be_sent(world: World, sue: Actor) -> None:
    world.outbox.failing = True
    review = world.reviews.start(sue, COLLEGE.id, now_ms=NOW)
    assert world.reviews.store.open_review(COLLEGE.id) == review
