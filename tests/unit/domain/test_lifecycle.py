"""Keeping the user community current (guide §2.1, §7, §8): the one step an account needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from lrs_keycloak.domain.lifecycle import (
    DAY_MS,
    AccountFacts,
    LifecyclePolicy,
    decide,
    read_leavers,
)

NOW = 1_800_000_000_000
TODAY = date(2027, 1, 15)
POLICY = LifecyclePolicy(
    warn_after_days=(60, 83), suspend_after_days=90, grace_after_reinstatement_days=14
)
FRESH = AccountFacts("ada.lovelace", True, created_ms=NOW - 400 * DAY_MS, last_logon_ms=NOW)


def idle(days: int, **changes: object) -> AccountFacts:
    return replace(FRESH, last_logon_ms=NOW - days * DAY_MS, **changes)  # type: ignore[arg-type]


def step(facts: AccountFacts, policy: LifecyclePolicy = POLICY) -> str | None:
    decision = decide(facts, policy, NOW, TODAY)
    return decision.step if decision else None


def test_an_account_in_use_needs_nothing() -> None:
    assert step(FRESH) is None


def test_an_account_reaching_a_warning_point_is_warned() -> None:
    assert step(idle(59)) is None
    assert step(idle(60)) == "warn-inactive"


def test_each_warning_is_sent_once_per_idle_period() -> None:
    assert step(idle(70, warned=frozenset({60}))) is None
    assert step(idle(85, warned=frozenset({60}))) == "warn-inactive"
    decision = decide(idle(85), POLICY, NOW, TODAY)
    assert decision is not None and decision.at_days == 83  # one email, the latest point


def test_an_earlier_point_is_not_sent_after_a_later_one() -> None:
    assert step(idle(85, warned=frozenset({83}))) is None


def test_unused_past_the_limit_is_suspended() -> None:
    decision = decide(idle(90), POLICY, NOW, TODAY)
    assert decision is not None and decision.step == "suspend-inactive"
    assert "90" in decision.reason and decision.rule.startswith("guide §2.1")


def test_a_never_used_account_counts_from_its_creation() -> None:
    never = replace(FRESH, last_logon_ms=None, created_ms=NOW - 95 * DAY_MS)
    assert step(never) == "suspend-inactive"
    assert step(replace(never, created_ms=NOW - 10 * DAY_MS)) is None


def test_a_reinstated_account_gets_a_grace_period() -> None:
    assert step(idle(120, reinstated_ms=NOW - 13 * DAY_MS)) is None
    assert step(idle(120, reinstated_ms=NOW - 14 * DAY_MS)) == "suspend-inactive"


def test_without_a_suspension_limit_only_warnings_go() -> None:
    warn_only = replace(POLICY, suspend_after_days=None)
    assert step(idle(400, warned=frozenset({83})), warn_only) is None
    assert step(idle(61), warn_only) == "warn-inactive"


def test_an_account_past_its_end_date_is_suspended() -> None:
    assert step(replace(FRESH, end_date=TODAY)) == "suspend-end-date"
    assert step(replace(FRESH, end_date=date(2027, 1, 16))) is None


def test_the_policy_may_leave_end_dates_alone() -> None:
    assert step(replace(FRESH, end_date=TODAY), replace(POLICY, suspend_at_end_date=False)) is None


def test_a_suspended_account_needs_nothing() -> None:
    assert step(idle(400, enabled=False, end_date=TODAY)) is None


def test_the_leavers_feed_is_staff_ids_with_an_optional_reason() -> None:
    leavers, problems = read_leavers("staff_id,reason\nST-1,end of contract\nST-2,\n,\n")
    assert problems == []
    assert [(x.row, x.staff_id, x.reason) for x in leavers] == [
        (2, "ST-1", "end of contract"),
        (3, "ST-2", None),
    ]


def test_a_leavers_feed_without_staff_ids_is_refused() -> None:
    assert read_leavers("username\nada.lovelace\n")[1][0][0] == 1
    assert read_leavers("staff_id,department\nST-1,HR\n")[1][0][0] == 1
