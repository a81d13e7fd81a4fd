"""realm-config/lifecycle.yaml: read and checked, each problem naming its key."""

from __future__ import annotations

from pathlib import Path

from lrs_keycloak.config import load_policy
from lrs_keycloak.config.lifecycle import read_lifecycle
from lrs_keycloak.config.problems import Problem
from lrs_keycloak.domain.lifecycle import LifecyclePolicy
from lrs_keycloak.settings import config_dir

FILE = Path("lifecycle.yaml")


def test_the_shipped_policy_warns_then_suspends() -> None:
    policy = load_policy(config_dir(), realm="unit").lifecycle
    assert policy.warn_after_days and policy.suspend_after_days
    assert max(policy.warn_after_days) < policy.suspend_after_days


def test_without_the_file_nothing_is_done_on_its_own() -> None:
    assert read_lifecycle(FILE, None, []) == LifecyclePolicy()


def test_a_warning_after_the_suspension_is_a_problem() -> None:
    problems: list[Problem] = []
    document = {"inactivity": {"warn_after_days": [95], "suspend_after_days": 90}}
    read_lifecycle(FILE, document, problems)
    assert [p.path for p in problems] == ["inactivity.warn_after_days"]


def test_unknown_keys_and_bad_values_are_problems() -> None:
    problems: list[Problem] = []
    document = {"inactive": {}, "inactivity": {"suspend_after_days": 0, "warn_after_days": ["x"]}}
    read_lifecycle(FILE, document, problems)
    assert {p.path for p in problems} == {
        "inactive",
        "inactivity.suspend_after_days",
        "inactivity.warn_after_days",
    }


def test_the_shipped_policy_reviews_every_six_months_and_reminds_before_the_deadline() -> None:
    reviews = load_policy(config_dir(), realm="unit").lifecycle.reviews
    assert reviews.every_months == 6 and reviews.suspend_unanswered
    assert reviews.remind_days_before and max(reviews.remind_days_before) < reviews.deadline_days


def test_bad_review_settings_are_problems_naming_their_key() -> None:
    problems: list[Problem] = []
    document = {
        "reviews": {
            "every_months": 0,
            "deadline_days": 10,
            "remind_days_before": [12],
            "suspend_unanswered": "yes",
            "often": 1,
        }
    }
    policy = read_lifecycle(FILE, document, problems)
    assert {p.path for p in problems} == {
        "reviews.every_months",
        "reviews.remind_days_before",
        "reviews.suspend_unanswered",
        "reviews.often",
    }
    assert policy.reviews.every_months is None and policy.reviews.remind_days_before == ()


def test_the_recovery_forms_overdue_days_are_read_and_checked() -> None:
    problems: list[Problem] = []
    read = read_lifecycle(FILE, {"recovery": {"form_overdue_days": 10}}, problems)
    assert read.recovery_form_overdue_days == 10 and problems == []
    refused = read_lifecycle(FILE, {"recovery": {"form_overdue_days": 0}}, problems)
    assert [p.path for p in problems] == ["recovery.form_overdue_days"]
    assert refused.recovery_form_overdue_days is None
    assert load_policy(config_dir(), realm="unit").lifecycle.recovery_form_overdue_days == 10
