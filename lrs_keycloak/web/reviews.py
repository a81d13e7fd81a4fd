"""The access reviews' endpoints (guide §8) under ``/api/v1/organisations/{org}/reviews``, on
the API's blueprint: its authentication, error shapes and contracts (``web/api.py``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from lrs_keycloak.services.reviews import Reviews
from lrs_keycloak.web import context
from lrs_keycloak.web.api import _IN_ORG, _REFUSABLE, _TAGS, actor, bp
from lrs_keycloak.web.contracts import reviews as c
from lrs_keycloak.web.contracts.operations import operation


def _reviews() -> Reviews:
    return context.root(current_app._get_current_object()).reviews()  # type: ignore[attr-defined]


@operation(
    bp,
    "get",
    "/organisations/<org>/reviews",
    operation_id="listReviews",
    tags=_TAGS,
    summary="The organisation's access reviews (guide §8), newest first.",
    responses={200: (c.Reviews, "The reviews."), **_IN_ORG},
)
def list_reviews(org: str) -> Any:
    found = _reviews().reviews(actor(), org)
    return jsonify(reviews=[r.as_dict(with_items=False) for r in found])


@operation(
    bp,
    "post",
    "/organisations/<org>/reviews",
    operation_id="startReview",
    tags=_TAGS,
    summary="Start an access review (guide §8): each member and their roles as they are now, "
    "to be answered for by the deadline (realm-config/lifecycle.yaml `reviews:`). Refused "
    "while one is open (review-open).",
    responses={201: (c.Review, "Started."), **_REFUSABLE},
)
def start_review(org: str) -> Any:
    return jsonify(_reviews().start(actor(), org).as_dict()), 201


@operation(
    bp,
    "get",
    "/organisations/<org>/reviews/<int:review_id>",
    operation_id="getReview",
    tags=_TAGS,
    summary="A review with each user: the roles at the start, the answer, who gave it and when.",
    responses={200: (c.Review, "The review."), **_IN_ORG},
)
def get_review(org: str, review_id: int) -> Any:
    return jsonify(_reviews().show(actor(), org, review_id).as_dict())


@operation(
    bp,
    "post",
    "/organisations/<org>/reviews/<int:review_id>/users/<username>",
    operation_id="answerReview",
    tags=_TAGS,
    summary="Answer for one user of an open review: confirm, change-roles or remove (through "
    "the same rules as those changes made on their own).",
    body=c.ReviewAnswer,
    responses={200: (c.ReviewedUser, "Answered."), **_REFUSABLE},
)
def answer_review(org: str, review_id: int, username: str, body: c.ReviewAnswer) -> Any:
    item = _reviews().decide(
        actor(), org, review_id, username, body.decision, body.roles, body.reference, body.reason
    )
    return jsonify(item.as_dict())
