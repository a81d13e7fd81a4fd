"""A case's journeys after its form: send (or resend) the approval link, record a paper
approval (a second agent), complete (a second agent, shown what they rely on), cancel with a
reason. Each is a GOV.UK question page where there is a question, a check-your-answers page
whose button makes the change (POST, CSRF), then the case's page with a confirmation banner
(POST-redirect-GET). The service decides every refusal; the page shows its message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.recovery import MailFailed, Outcome
from lrs_keycloak.web.contracts import recovery as rc
from lrs_keycloak.web.contracts.common import Contract
from lrs_keycloak.web.pages.helpdesk import drafts
from lrs_keycloak.web.pages.helpdesk.agent import (
    confirm,
    current_agent,
    field_errors,
    service,
    warnings_of,
)
from lrs_keycloak.web.pages.helpdesk.blueprint import bp
from lrs_keycloak.web.pages.helpdesk.case import load_case, timings
from lrs_keycloak.web.signin.guards import helpdesk_agent


def _to_case(case_id: int) -> Any:
    return redirect(url_for("helpdesk.case", case_id=case_id))


# --- one answer, then check: paper approval and cancel ----------------------------------------


@dataclass(frozen=True)
class Journey:
    """A journey with one question (its field, checked by the API's contract for that body)."""

    name: str
    field: str
    contract: type[Contract]
    title: str
    label: str
    hint: str
    button: str
    done: str
    multiline: bool
    act: Callable[[Actor, int, str], Outcome]


def _paper(agent: Actor, case_id: int, answer: str) -> Outcome:
    return service().record_paper_approval(agent, case_id, answer, ip=request.remote_addr)


def _cancel(agent: Actor, case_id: int, answer: str) -> Outcome:
    return service().cancel(agent, case_id, answer)


JOURNEYS = {
    "paper-approval": Journey(
        "paper-approval",
        "scan_reference",
        rc.PaperApproval,
        "Record a paper approval",
        "Reference of the scanned, signed approval",
        "A second agent records it: never the agent who raised the case or recorded its form.",
        "Record the approval",
        "Paper approval recorded",
        False,
        _paper,
    ),
    "cancel": Journey(
        "cancel",
        "reason",
        rc.CancelReason,
        "Cancel the case",
        "Why are you cancelling this case?",
        "It is kept in the audit log. A corrected form is a new case: cancel this one first.",
        "Cancel the case",
        "Case cancelled",
        True,
        _cancel,
    ),
}


def _journey(name: str) -> Journey:
    found = JOURNEYS.get(name)
    if found is None:
        abort(404)
    return found


@bp.route("/cases/<int:case_id>/<any('paper-approval', 'cancel'):name>", methods=["GET", "POST"])
@helpdesk_agent
def question(case_id: int, name: str) -> Any:
    journey = _journey(name)
    case = load_case(case_id)
    errors: dict[str, str] = {}
    answer = (drafts.get(case_id, name) or {}).get(journey.field, "")
    if request.method == "POST":
        answer = request.form.get(journey.field, "")
        try:
            journey.contract.parse({journey.field: answer})
        except RuleViolation as refused:
            errors = field_errors(refused, (journey.field,))
        else:
            drafts.put(case_id, name, {journey.field: answer})
            return redirect(url_for("helpdesk.check", case_id=case_id, name=name))
    return _question_page(journey, case, answer, errors)


def _question_page(
    journey: Journey, case: dict[str, Any], answer: str, errors: dict[str, str]
) -> Any:
    return render_template(
        "helpdesk/question.html",
        journey=journey,
        case=case,
        answer=answer,
        errors=errors,
    ), 422 if errors else 200


@bp.route(
    "/cases/<int:case_id>/<any('paper-approval', 'cancel'):name>/check", methods=["GET", "POST"]
)
@helpdesk_agent
def check(case_id: int, name: str) -> Any:
    journey = _journey(name)
    answers = drafts.get(case_id, name)
    if answers is None:  # nothing answered yet (or already recorded): ask first
        return redirect(url_for("helpdesk.question", case_id=case_id, name=name))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            outcome = journey.act(current_agent(), case_id, answers[journey.field])
        except RuleViolation as refused:
            errors = field_errors(refused, (journey.field,), elsewhere="confirm")
            if journey.field in errors:  # the answer itself: ask it again, error and all
                return _question_page(journey, load_case(case_id), answers[journey.field], errors)
        else:
            drafts.drop()
            confirm(f"{journey.done}: case {case_id}", warnings_of(outcome.as_dict()))
            return _to_case(case_id)
    case = load_case(case_id)
    return render_template(
        "helpdesk/check.html",
        journey=journey,
        case=case,
        when=timings(case),
        answer=answers[journey.field],
        errors=errors,
    ), 422 if errors else 200


# --- no question: send the link, complete --------------------------------------------------


@bp.route("/cases/<int:case_id>/send-link", methods=["GET", "POST"])
@helpdesk_agent
def send_link(case_id: int) -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            outcome = service().send_link(current_agent(), case_id)
        except RuleViolation as refused:
            errors = field_errors(refused, elsewhere="confirm")
        except MailFailed as failed:
            errors = {"confirm": str(failed)}
        else:
            link = outcome.case["approval_link"] or {}
            confirm(f"Approval link sent to {link.get('sent_to')}: case {case_id}")
            return _to_case(case_id)
    case = load_case(case_id)
    return render_template(
        "helpdesk/send_link.html",
        case=case,
        when=timings(case),
        lifetime=service().links.lifetime,
        errors=errors,
    ), 422 if errors else 200


@bp.route("/cases/<int:case_id>/complete", methods=["GET", "POST"])
@helpdesk_agent
def complete(case_id: int) -> Any:
    """Shows what the agent relies on (the nominee, the senior manager, the approval) before
    they confirm; refused at once to the agent who raised the case or recorded its form."""
    errors: dict[str, str] = {}
    agent = current_agent()
    if request.method == "POST":
        try:
            outcome = service().complete(agent, case_id)
        except RuleViolation as refused:
            errors = field_errors(refused, elsewhere="confirm")
        else:
            user = outcome.user or {}
            confirm(
                f"Case {case_id} completed: {user.get('username')} is the new super user",
                warnings_of(outcome.as_dict()),
            )
            return _to_case(case_id)
    case = load_case(case_id)
    refused_now = False
    try:
        service().prepare_completion(agent, case_id)
    except RuleViolation as refused:
        errors = errors or field_errors(refused, elsewhere="confirm")
        refused_now = True
    return render_template(
        "helpdesk/complete.html",
        case=case,
        relied_on=case["relied_on"],
        when=timings(case),
        refused=refused_now,
        errors=errors,
    ), 422 if errors and request.method == "POST" else 200
