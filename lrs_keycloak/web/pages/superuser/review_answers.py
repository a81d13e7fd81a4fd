"""A review's answers other than "confirm" on the super user's pages (guide §8, ADR 18): change
a reviewed user's roles (checkboxes of the roles the organisation is entitled to, with the
authorisation reference the rules ask for when the change gives more access), or remove them
(a reason, then a check page). Both go through ``Reviews.decide``, as the API's and the CLI's
answers do, so the change keeps the role-change and removal rules and its own audit event, and
the review records the answer beside it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, redirect, render_template, request, session, url_for

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.reviews import Review, ReviewItem, check_removal_reason
from lrs_keycloak.domain.users import MAX_LENGTHS, MAX_REASON_LENGTH, too_long
from lrs_keycloak.web.pages.superuser.blueprint import (
    JOURNEY,
    admin,
    answers,
    bp,
    caller,
    field_errors,
    save_answers,
)
from lrs_keycloak.web.pages.superuser.reviews import reviews_service
from lrs_keycloak.web.signin.guards import super_user_of_org

ROLE_FIELDS = ("roles", "reference")
REMOVE_FIELDS = ("reason",)
#: The journey's key for the removal's answers (the reason) until it is confirmed.
REMOVE = "review-remove"


def _errors(violations: Iterable[Violation], fields: tuple[str, ...]) -> dict[str, str]:
    """The form's errors, each message followed by the guide's rule it applies."""
    named = [
        Violation(v.field, v.code, f"{v.message} ({v.rule})" if v.rule else v.message, v.rule)
        for v in violations
    ]
    return field_errors(named, fields)


def _item(org: str, review_id: int, username: str) -> tuple[Review, ReviewItem]:
    """The review and its user; a user not in it has no page (404)."""
    review = reviews_service().show(caller(), org, review_id)
    item = next((i for i in review.items if i.username == username), None)
    if item is None:
        abort(404)
    return review, item


def _back(org: str, review_id: int, username: str) -> Any:
    return redirect(url_for("superuser.review", org=org, review_id=review_id, _anchor=username))


# --- change roles ---------------------------------------------------------------------------------


def _roles_form(
    org: str,
    review_id: int,
    username: str,
    chosen: Iterable[str] | None,
    reference: str,
    errors: dict[str, str],
) -> tuple[str, int]:
    review, item = _item(org, review_id, username)
    organisation = admin().views.organisation(caller(), org)
    options = [
        (r.name, r.name, r.description) for r in admin().policy.roles.eligible_for(organisation)
    ]
    page = render_template(
        "superuser/review_roles.html",
        org=org,
        review=review,
        username=username,
        item=item,
        options=options,
        chosen=list(chosen if chosen is not None else item.roles),
        reference=reference,
        errors=errors,
        max_reference=MAX_LENGTHS["reference"],
    )
    return page, 422 if errors else 200


@bp.get("/reviews/<int:review_id>/users/<username>/roles")
@super_user_of_org
def review_roles(org: str, review_id: int, username: str) -> Any:
    return _roles_form(org, review_id, username, None, "", {})


@bp.post("/reviews/<int:review_id>/users/<username>/roles")
@super_user_of_org
def review_roles_answer(org: str, review_id: int, username: str) -> Any:
    roles = [r for r in request.form.getlist("roles") if r]
    reference = request.form.get("reference", "")
    try:
        reviews_service().decide(
            caller(), org, review_id, username, "change-roles", roles, reference.strip() or None
        )
    except RuleViolation as refused:
        errors = _errors(refused.violations, ROLE_FIELDS)
        return _roles_form(org, review_id, username, roles, reference, errors)
    return _back(org, review_id, username)


# --- remove ---------------------------------------------------------------------------------------


def _remove_form(
    org: str, review_id: int, username: str, reason: str, errors: dict[str, str]
) -> tuple[str, int]:
    review, item = _item(org, review_id, username)
    page = render_template(
        "superuser/review_remove.html",
        org=org,
        review=review,
        username=username,
        item=item,
        reason=reason,
        errors=errors,
        max_reason=MAX_REASON_LENGTH,
    )
    return page, 422 if errors else 200


@bp.get("/reviews/<int:review_id>/users/<username>/remove")
@super_user_of_org
def review_remove(org: str, review_id: int, username: str) -> Any:
    sent = answers(REMOVE, org, f"{review_id}/{username}") or {}
    return _remove_form(org, review_id, username, sent.get("reason", ""), {})


@bp.post("/reviews/<int:review_id>/users/<username>/remove")
@super_user_of_org
def review_remove_answer(org: str, review_id: int, username: str) -> Any:
    reason = request.form.get("reason", "")
    refused = check_removal_reason(reason)
    oversized = too_long("reason", reason.strip())
    problems = refused + ([oversized] if oversized else [])
    if problems:
        return _remove_form(org, review_id, username, reason, _errors(problems, REMOVE_FIELDS))
    save_answers(REMOVE, org, f"{review_id}/{username}", {"reason": reason.strip()})
    return redirect(
        url_for("superuser.review_remove_check", org=org, review_id=review_id, username=username)
    )


@bp.get("/reviews/<int:review_id>/users/<username>/remove/check")
@super_user_of_org
def review_remove_check(org: str, review_id: int, username: str) -> Any:
    sent = answers(REMOVE, org, f"{review_id}/{username}")
    if sent is None:
        return redirect(
            url_for("superuser.review_remove", org=org, review_id=review_id, username=username)
        )
    review, item = _item(org, review_id, username)
    return render_template(
        "superuser/review_remove_check.html",
        org=org,
        review=review,
        username=username,
        item=item,
        reason=sent["reason"],
    )


@bp.post("/reviews/<int:review_id>/users/<username>/remove/check")
@super_user_of_org
def review_remove_confirm(org: str, review_id: int, username: str) -> Any:
    sent = answers(REMOVE, org, f"{review_id}/{username}")
    if sent is None:
        return redirect(
            url_for("superuser.review_remove", org=org, review_id=review_id, username=username)
        )
    try:
        reviews_service().decide(
            caller(), org, review_id, username, "remove", reason=sent["reason"]
        )
    except RuleViolation as refused:  # e.g. the last active super user (guide §10.2)
        errors = _errors(refused.violations, REMOVE_FIELDS)
        return _remove_form(org, review_id, username, sent["reason"], errors)
    session.pop(JOURNEY, None)  # the journey ends
    return _back(org, review_id, username)
