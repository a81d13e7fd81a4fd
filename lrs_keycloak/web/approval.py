"""The senior manager's approval page (guide §10.2), reached from the emailed single-use link
``/recovery/approve/<token>`` (routes in ``web.recovery``).

* GET shows the request, when the link expires (in words) and the help desk's contact; it
  changes nothing, because mail scanners prefetch links.
* A POST of the choice (approve, or reject with an optional reason) shows a confirmation step
  and still changes nothing; only the confirmed POST records the decision, once, with its time
  and IP address.
* The unguessable token in the URL is what a forger lacks; the confirmed POST also carries the
  page's CSRF token (``csrf_field()``; the app's blanket check skips these paths because the
  senior manager has no session before opening the link, so it is checked here).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from lrs_keycloak.domain.users import too_long
from lrs_keycloak.services.recovery import LinkRefused, RecoveryService
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.helpdesk.words import expiry_in_words

#: The page (templates/approval.html) is Flask's Jinja, autoescaped: the form's text is the
#: organisation's, never markup. It extends the GOV.UK layout, without anyone's sign-in header.
PAGE = "approval.html"

REFUSED_STATUS = {"link-expired": 410, "link-used": 410, "link-invalid": 404}
APPROVE, REJECT = "approve", "reject"
#: The confirmation step's field: a decision is recorded only once it is confirmed.
CONFIRMED = "confirm"


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def _service() -> RecoveryService:
    return context.recovery(_app())


def page(status: int, title: str, **values: Any) -> Response:
    """The page with ``title``: the request, its confirmation, or a message."""
    body = render_template(
        PAGE,
        title=title,
        help_desk=context.settings(_app()).help_desk_contact,
        # The senior manager has no session: never show a signed-in agent's name and sign-out
        # button on this page (the layout's header reads ``current_person()``).
        current_person=lambda: None,
        **values,
    )
    answer = Response(body, status=status)
    # The token is in the URL: never cache it, never send it on as a referrer, never frame it.
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Referrer-Policy"] = "no-referrer"
    answer.headers["X-Frame-Options"] = "DENY"
    return answer


def _refused_page(refused: LinkRefused) -> Response:
    titles = {
        "link-expired": "This approval link has expired",
        "link-used": "This approval link has already been used",
    }
    return page(
        REFUSED_STATUS.get(refused.code, 404),
        titles.get(refused.code, "This approval link is not valid"),
        message=refused.violation.message,
        refused=True,
    )


def _request_page(case: dict[str, Any], status: int = 200, **values: Any) -> Response:
    """The request, its expiry in words, and the choice (nothing is recorded yet)."""
    link = case["approval_link"] or {}
    expires = link.get("expires_at")
    return page(
        status,
        "Approve a new Super User",
        case=case,
        form=case["form"],
        expires=expiry_in_words(expires, _service().clock()) if expires else None,
        **values,
    )


def approval_page(token: str) -> Response:
    """Shows the request; changes nothing."""
    try:
        case = _service().view_link(token)
    except LinkRefused as refused:
        return _refused_page(refused)
    return _request_page(case)


def _choice_errors(decision: str | None, reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if decision not in (APPROVE, REJECT):
        errors["decision"] = "Choose whether you approve or reject the request."
    if decision == REJECT:
        long = too_long("reason", reason)
        if long is not None:
            errors["reason"] = long.message
    return errors


def approval_decision(token: str) -> Response:
    """The choice, then its confirmation: only a confirmed POST records the decision."""
    service = _service()
    try:
        case = service.view_link(token)  # a link no longer valid says so before anything else
    except LinkRefused as refused:
        return _refused_page(refused)
    decision = request.form.get("decision")
    reason = request.form.get("reason", "").strip() if decision == REJECT else ""
    errors = _choice_errors(decision, reason)
    if errors:
        return _request_page(case, 400, errors=errors, decision=decision, reason=reason)
    if request.form.get(CONFIRMED) != "yes":
        return page(
            200,
            "Confirm your approval" if decision == APPROVE else "Confirm your rejection",
            case=case,
            form=case["form"],
            confirming=decision,
            reason=reason,
        )
    if _app().config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            expired = "Your answer was not recorded because the page had expired. Choose again."
            return _request_page(case, 400, errors={"decision": expired})
    try:
        service.decide_by_link(token, decision == APPROVE, request.remote_addr, reason=reason)
    except LinkRefused as refused:
        return _refused_page(refused)
    if decision == APPROVE:
        return page(
            200,
            "Thank you: approved",
            message="Your approval is recorded. The MIAP Help Desk will now create the Super "
            "User account; the new Super User receives an email to choose their password.",
        )
    return page(
        200,
        "Thank you: rejected",
        message="Your rejection is recorded. No Super User account will be created from this form.",
    )


__all__ = ["PAGE", "approval_decision", "approval_page", "page"]
