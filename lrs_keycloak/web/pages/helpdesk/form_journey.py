"""Recording the New Super User Form on a case awaiting it (guide §10.2): the question page
(every field, checked by the API's contract and the service's rules: an error summary linking
to each field), check your answers, then the case's page with a confirmation banner. The same
checks as ``POST /api/v1/recovery-cases/<id>/form``; the agent is the signed-in person."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.web.contracts.recovery import NewSuperUserFormBody
from lrs_keycloak.web.pages.helpdesk import drafts
from lrs_keycloak.web.pages.helpdesk.agent import (
    confirm,
    current_agent,
    field_errors,
    messages,
    service,
    warnings_of,
)
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.pages.helpdesk.case import load_case
from lrs_keycloak.web.pages.helpdesk.form_fields import (
    FIELDS,
    NAMES,
    TITLE_OPTIONS,
    answers_of,
    body_of,
    new_answers,
)
from lrs_keycloak.web.signin.guards import helpdesk_agent

JOURNEY = "form"


def checked(
    answers: dict[str, str], organisation_id: str
) -> tuple[NewSuperUserFormBody, list[Violation]]:
    """The answers as the API's body, checked by its contract and the form's rules (nothing
    is recorded); raises the RuleViolation naming each field at fault, else the warnings."""
    body = NewSuperUserFormBody.parse(body_of(answers, organisation_id))
    _, warnings = service().check_form(body.form())
    return body, warnings


@bp.route("/cases/<int:case_id>/form", methods=["GET", "POST"])
@helpdesk_agent
def record_form(case_id: int) -> Any:
    case = load_case(case_id)
    answers = drafts.get(case_id, JOURNEY) or new_answers()
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers = answers_of(request.form)
        try:
            checked(answers, case["organisation_id"])
        except RuleViolation as refused:
            errors = field_errors(refused, NAMES, elsewhere=NAMES[0])
        else:
            drafts.put(case_id, JOURNEY, answers)
            return redirect(url_for("helpdesk.check_form", case_id=case_id))
    return _question(case, answers, errors)


def _question(case: dict[str, Any], answers: dict[str, str], errors: dict[str, str]) -> Any:
    return render_template(
        "helpdesk/form.html",
        case=case,
        fields=FIELDS,
        titles=TITLE_OPTIONS,
        answers=answers,
        errors=errors,
    ), 422 if errors else 200


@bp.route("/cases/<int:case_id>/form/check", methods=["GET", "POST"])
@helpdesk_agent
def check_form(case_id: int) -> Any:
    answers = drafts.get(case_id, JOURNEY)
    if answers is None:
        return redirect(url_for("helpdesk.record_form", case_id=case_id))
    case = load_case(case_id)
    errors: dict[str, str] = {}
    warnings: list[str] = []
    try:
        body, found = checked(answers, case["organisation_id"])
        warnings = messages(found)
    except RuleViolation as refused:  # a rule changed since the question page: ask again
        return _question(case, answers, field_errors(refused, NAMES, elsewhere=NAMES[0]))
    if request.method == "POST":
        try:
            outcome = service().record_form(
                current_agent(), case_id, body.form(), send_link=body.send_link
            )
        except RuleViolation as refused:
            errors = field_errors(refused, elsewhere="confirm")
        else:
            drafts.drop()
            confirm(f"Form recorded: case {case_id}", warnings_of(outcome.as_dict()))
            return redirect(url_for("helpdesk.case", case_id=case_id))
    return render_template(
        "helpdesk/check_form.html",
        case=case,
        fields=FIELDS,
        answers=answers,
        warnings=warnings,
        errors=errors,
    ), 422 if errors else 200
