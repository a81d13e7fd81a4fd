"""Access reviews (guide §8) on the super user's pages: the organisation's reviews, starting
one, and a review's users with a button to confirm each ("still needs access with these roles");
changing a user's roles or removing them as the review's answer is in ``review_answers``."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.services.reviews import Reviews
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.superuser.blueprint import bp, caller
from lrs_keycloak.web.signin.guards import super_user_of_org


def reviews_service() -> Reviews:
    return context.root(current_app._get_current_object()).reviews()  # type: ignore[attr-defined]


def _list(org: str, errors: dict[str, str]) -> tuple[str, int]:
    found = reviews_service().reviews(caller(), org)
    page = render_template("superuser/reviews.html", org=org, reviews=found, errors=errors)
    return page, 422 if errors else 200


@bp.get("/reviews")
@super_user_of_org
def reviews(org: str) -> Any:
    return _list(org, {})


@bp.post("/reviews")
@super_user_of_org
def review_start(org: str) -> Any:
    try:
        started = reviews_service().start(caller(), org)
    except RuleViolation as refused:
        return _list(org, {"start": " ".join(v.message for v in refused.violations)})
    return redirect(url_for("superuser.review", org=org, review_id=started.id))


@bp.get("/reviews/<int:review_id>")
@super_user_of_org
def review(org: str, review_id: int) -> Any:
    return _review(org, review_id, {})


def _review(org: str, review_id: int, errors: dict[str, str]) -> tuple[str, int]:
    shown = reviews_service().show(caller(), org, review_id)
    page = render_template("superuser/review.html", org=org, review=shown, errors=errors)
    return page, 422 if errors else 200


@bp.post("/reviews/<int:review_id>/users/<username>/confirm")
@super_user_of_org
def review_confirm(org: str, review_id: int, username: str) -> Any:
    try:
        reviews_service().decide(caller(), org, review_id, username, "confirm")
    except RuleViolation as refused:
        return _review(org, review_id, {username: " ".join(v.message for v in refused.violations)})
    return redirect(url_for("superuser.review", org=org, review_id=review_id))
