"""Periodic access reviews (guide §8): when one is due, when to remind, which answers count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lrs_keycloak.domain.lifecycle import DAY_MS, ReviewPolicy
from lrs_keycloak.domain.reviews import (
    DECISIONS,
    add_months,
    check_decision,
    check_removal_reason,
    deadline_ms,
    next_scheduled_ms,
    reminder_due,
)

POLICY = ReviewPolicy(every_months=6, deadline_days=30, remind_days_before=(14, 3))


def ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def test_months_are_calendar_months_ending_on_a_shorter_months_last_day() -> None:
    assert add_months(date(2026, 1, 15), 6) == date(2026, 7, 15)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_a_review_is_scheduled_every_months_after_the_last_one() -> None:
    last = ms(date(2026, 1, 15)) + 5 * 3600 * 1000
    assert next_scheduled_ms(last, ms(date(2020, 1, 1)), POLICY) == ms(date(2026, 7, 15))


def test_an_organisation_never_reviewed_is_due_after_its_registration() -> None:
    assert next_scheduled_ms(None, ms(date(2026, 3, 1)), POLICY) == ms(date(2026, 9, 1))


def test_without_every_months_reviews_are_only_started_by_hand() -> None:
    assert next_scheduled_ms(None, ms(date(2026, 3, 1)), ReviewPolicy()) is None


def test_each_reminder_point_is_sent_once_the_latest_reached_only() -> None:
    start = ms(date(2026, 1, 1))
    deadline = deadline_ms(start, POLICY)
    assert deadline == start + 30 * DAY_MS
    assert reminder_due(deadline, POLICY, set(), start) is None
    assert reminder_due(deadline, POLICY, set(), deadline - 10 * DAY_MS) == 14
    assert reminder_due(deadline, POLICY, {14}, deadline - 10 * DAY_MS) is None
    assert reminder_due(deadline, POLICY, {14}, deadline - 2 * DAY_MS) == 3
    # A run that missed the 14-day point sends only the 3-day one.
    assert reminder_due(deadline, POLICY, set(), deadline - 2 * DAY_MS) == 3
    assert reminder_due(deadline, POLICY, {3}, deadline - 2 * DAY_MS) is None


def test_at_the_deadline_no_reminder_is_due() -> None:
    assert reminder_due(1000, POLICY, set(), 1000) is None


def codes(
    decision: str,
    roles: list[str] | None = None,
    closed: bool = False,
    in_review: bool = True,
    answered: str | None = None,
) -> list[str]:
    found = check_decision(decision, roles, closed=closed, in_review=in_review, answered=answered)
    return [v.code for v in found]


def test_the_answers_are_confirm_change_roles_and_remove() -> None:
    assert DECISIONS == ("confirm", "change-roles", "remove")
    assert codes("confirm") == codes("remove") == []
    assert codes("change-roles", ["LRBOnlineUser"]) == []


def test_changing_roles_needs_the_new_roles_and_other_answers_take_none() -> None:
    assert codes("change-roles", []) == ["roles-required"]
    assert codes("confirm", ["LRBOnlineUser"]) == ["roles-not-expected"]
    assert codes("keep") == ["unknown-decision"]


def test_a_closed_review_an_unknown_user_or_an_answered_one_is_refused() -> None:
    assert codes("confirm", closed=True, in_review=False) == ["review-closed", "not-in-review"]
    [again] = check_decision("confirm", None, closed=False, in_review=True, answered="remove")
    assert again.code == "already-answered" and "remove" in again.message


def test_the_pages_removal_in_a_review_needs_a_reason() -> None:
    assert [v.field for v in check_removal_reason("  ")] == ["reason"]
    assert check_removal_reason(None) and check_removal_reason("Left in May") == []
