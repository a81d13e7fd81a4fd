"""Access reviews (guide §8): an answer for one user in; reviews and their users out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lrs_keycloak.domain.reviews import DECISIONS, OUTCOMES
from lrs_keycloak.domain.users import MAX_LENGTHS
from lrs_keycloak.web.contracts.common import Answer, Contract

Decision = Literal[DECISIONS]  # type: ignore[valid-type]
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
_AT: dict[str, Any] = {"format": "date-time"}


class ReviewAnswer(Contract):
    """A super user's answer for one user of an open review."""

    decision: Decision = Field(
        description="confirm: still needs access with these roles; change-roles: to `roles` "
        "(the role-change rules apply: more access needs `reference`); remove: the account is "
        "deleted (the removal rules apply)."
    )
    roles: list[str] | None = Field(None, description="The new roles, with change-roles only.")
    reference: str | None = Field(
        None,
        max_length=MAX_LENGTHS["reference"],
        description="Who authorised a role change giving more access (guide §5).",
    )
    reason: str | None = Field(
        None, max_length=MAX_LENGTHS["reason"], description="Kept in the audit log."
    )


class ReviewedUser(Answer):
    """A member as the review found them, and the answer: who gave it, and when."""

    username: str
    roles: list[str] = Field(description="The roles when the review started.")
    outcome: Outcome | None = Field(
        description="null while unanswered; at the deadline, suspended (by policy) or "
        "unanswered (the policy does not suspend, a rule refused, or the user had left)."
    )
    new_roles: list[str] = Field(description="The roles after a change-roles answer.")
    decided_by: str | None
    decided_at: str | None = Field(json_schema_extra=_AT)
    note: str | None


class ReviewSummary(Answer):
    id: int
    organisation_id: str
    started_by: str = Field(description="A super user, an operator, or operator:lifecycle.")
    started_at: str = Field(json_schema_extra=_AT)
    deadline: str = Field(json_schema_extra=_AT)
    scheduled: bool = Field(description="Started by the policy (realm-config/lifecycle.yaml).")
    status: Literal["open", "closed"]
    closed_at: str | None = Field(json_schema_extra=_AT)
    users: int
    unanswered: int


class Review(ReviewSummary):
    items: list[ReviewedUser]


class Reviews(Answer):
    reviews: list[ReviewSummary] = Field(description="Newest first.")
