"""A super user's lost second factor, reset by the help desk (docs/adr/0015): from the
organisation's page, a question (how the agent checked it is them), check your answers, then
the organisation's page with a confirmation banner. The user-admin service decides every
refusal (a plain user's factor is their super users' to reset; never the agent's own)."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import is_organisation_id
from lrs_keycloak.domain.users import MAX_REASON_LENGTH, too_long
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible
from lrs_keycloak.services.user_admin.refusals import reason_required
from lrs_keycloak.web.pages.helpdesk import drafts
from lrs_keycloak.web.pages.helpdesk.agent import confirm, current_agent, field_errors, service
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.signin.guards import helpdesk_agent

FIELD = "reason"
_PATH = "/organisations/<org_id>/super-users/<username>/second-factor"


#: The answer's place among the drafts, which are keyed by case: this journey has no case (0).
NO_CASE = 0


def _draft_key(org_id: str, username: str) -> str:
    return f"second-factor:{org_id}:{username}"


def _page(template: str, org_id: str, username: str, reason: str, errors: dict[str, str]) -> Any:
    if not is_organisation_id(org_id):
        abort(404)
    return render_template(
        template,
        org_id=org_id,
        username=username,
        reason=reason,
        errors=errors,
        max_reason=MAX_REASON_LENGTH,
    ), 422 if errors else 200


@bp.route(_PATH, methods=["GET", "POST"])
@helpdesk_agent
def second_factor(org_id: str, username: str) -> Any:
    current_agent()
    key = _draft_key(org_id, username)
    reason = (drafts.get(NO_CASE, key) or {}).get(FIELD, "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        reason = request.form.get(FIELD, "")
        found = [v for v in (too_long(FIELD, reason),) if v]
        if not reason.strip():
            found.insert(0, reason_required("reset of a second factor"))
        if found:
            errors = field_errors(RuleViolation(found), (FIELD,))
        else:
            drafts.put(NO_CASE, key, {FIELD: reason})
            return redirect(
                url_for("helpdesk.second_factor_check", org_id=org_id, username=username)
            )
    return _page("helpdesk/second_factor.html", org_id, username, reason, errors)


@bp.route(f"{_PATH}/check", methods=["GET", "POST"])
@helpdesk_agent
def second_factor_check(org_id: str, username: str) -> Any:
    agent = current_agent()
    answers = drafts.get(NO_CASE, _draft_key(org_id, username))
    if answers is None:
        return redirect(url_for("helpdesk.second_factor", org_id=org_id, username=username))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            service().admin.reset_second_factor(agent, org_id, username, answers[FIELD])
        except NotVisible:
            abort(404)
        except NotPermitted as refused:
            errors = {"confirm": str(refused)}
        except RuleViolation as refused:
            errors = field_errors(refused, elsewhere="confirm")
        else:
            drafts.drop()
            confirm(
                f"{username}'s second factor was reset: they set up a new authenticator app at "
                "their next sign-in"
            )
            return redirect(url_for("helpdesk.organisation", org_id=org_id))
    return _page("helpdesk/second_factor_check.html", org_id, username, answers[FIELD], errors)
