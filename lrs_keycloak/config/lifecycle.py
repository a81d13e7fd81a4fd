"""realm-config/lifecycle.yaml: inactivity and end dates (guide §2.1, §7, §8), read and checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrs_keycloak.config.problems import Problem
from lrs_keycloak.config.reader import Reader
from lrs_keycloak.domain.lifecycle import LEAVER_ACTIONS, LifecyclePolicy, ReviewPolicy

LIFECYCLE_FILE = "lifecycle.yaml"
_MAX_DAYS = 3650


def read_lifecycle(file: Path, document: Any, problems: list[Problem]) -> LifecyclePolicy:
    """The policy of ``document`` (None: the file is absent, and nothing is done on its own)."""
    if document is None:
        return LifecyclePolicy()
    r = Reader(file, problems)
    top = r.mapping(document, "")
    allowed = {"inactivity", "end_dates", "leavers", "reviews", "recovery"}
    for key in sorted(set(top) - allowed, key=str):
        r.problem(str(key), f"unknown key; allowed: {', '.join(sorted(allowed))}")
    inactivity = r.typed_section(
        top.get("inactivity"),
        "inactivity",
        {"warn_after_days": list, "suspend_after_days": int, "grace_after_reinstatement_days": int},
    )
    end_dates = r.typed_section(top.get("end_dates"), "end_dates", {"suspend": bool})
    leavers = r.typed_section(top.get("leavers"), "leavers", {"action": str})
    recovery = r.typed_section(top.get("recovery"), "recovery", {"form_overdue_days": int})
    overdue = recovery.get("form_overdue_days")
    if overdue is not None and not 0 < overdue <= _MAX_DAYS:
        r.problem("recovery.form_overdue_days", f"must be 1 to {_MAX_DAYS} days")
        overdue = None
    action = leavers.get("action", "remove")
    if action not in LEAVER_ACTIONS:
        r.problem("leavers.action", f"must be one of {', '.join(LEAVER_ACTIONS)}")
        action = "remove"
    warn = inactivity.get("warn_after_days", [])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= _MAX_DAYS for d in warn):
        r.problem("inactivity.warn_after_days", f"must be whole numbers of days, 1 to {_MAX_DAYS}")
        warn = []
    suspend = inactivity.get("suspend_after_days")
    if suspend is not None and not 0 < suspend <= _MAX_DAYS:
        r.problem("inactivity.suspend_after_days", f"must be 1 to {_MAX_DAYS} days")
        suspend = None
    if suspend is not None and any(d >= suspend for d in warn):
        r.problem("inactivity.warn_after_days", "each warning must come before suspend_after_days")
    grace = inactivity.get("grace_after_reinstatement_days", 14)
    if not 0 <= grace <= _MAX_DAYS:
        r.problem("inactivity.grace_after_reinstatement_days", f"must be 0 to {_MAX_DAYS} days")
        grace = 14
    return LifecyclePolicy(
        warn_after_days=tuple(sorted(set(warn))),
        suspend_after_days=suspend,
        grace_after_reinstatement_days=grace,
        suspend_at_end_date=end_dates.get("suspend", True),
        leavers=action,
        reviews=_reviews(r, top.get("reviews")),
        recovery_form_overdue_days=overdue,
    )


def _reviews(r: Reader, value: Any) -> ReviewPolicy:
    """The `reviews:` section: periodic access reviews (guide §8)."""
    section = r.typed_section(
        value,
        "reviews",
        {
            "every_months": int,
            "deadline_days": int,
            "remind_days_before": list,
            "suspend_unanswered": bool,
        },
    )
    every = section.get("every_months")
    if every is not None and not 0 < every <= 120:
        r.problem("reviews.every_months", "must be 1 to 120 months")
        every = None
    deadline = section.get("deadline_days", 30)
    if not 0 < deadline <= 365:
        r.problem("reviews.deadline_days", "must be 1 to 365 days")
        deadline = 30
    remind = section.get("remind_days_before", [])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d < deadline for d in remind):
        r.problem(
            "reviews.remind_days_before",
            "must be whole numbers of days, each at least 1 and before the deadline_days",
        )
        remind = []
    return ReviewPolicy(
        every_months=every,
        deadline_days=deadline,
        remind_days_before=tuple(sorted(set(remind), reverse=True)),
        suspend_unanswered=section.get("suspend_unanswered", False),
    )
