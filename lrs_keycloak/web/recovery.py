"""Recovery of a lost Super User over HTTP (guide §10.2): the help desk's JSON API and the
senior manager's approval page.

* ``/api/v1/recovery-cases…`` — help desk agents only: a bearer access token of the realm whose
  holder, as Keycloak knows them now, is active and holds the realm role ``lrs-helpdesk``.
  Errors: ``{"errors": [{field, code, message, rule}]}``; 401 no/invalid token, 403 not a help
  desk agent, 404 no such case, 409 the case's state forbids it (already completed, being
  completed, illegal move, another case open, the case still awaits its form or already holds
  one), 422 a rule of the guide or a malformed body, 502 the approval email could not be sent,
  503 Keycloak unreachable.
  A case the enforcer opened for an organisation that lost its last active super user awaits
  its form (``state: awaiting_form``, ``form: null``): ``POST …/<id>/form`` records it. A
  ``POST`` of a form for such an organisation records it on that case too, answering 200 (not
  201) with the case's ``Location`` and a warning ``recorded-on-waiting-case`` naming it.
* ``/recovery/approve/<token>`` — the senior manager's page outside the API (``web.approval``):
  GET shows the request and changes nothing (mail scanners prefetch links); a confirmed POST
  approves or rejects once.

Bearer tokens are checked by the super users' API's ``TokenVerifier`` (web.tokens; one per app).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import jwt
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    request,
)
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation, check_organisation_id
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.errors import KeycloakUnavailable
from lrs_keycloak.services.recovery import MailFailed, RecoveryService
from lrs_keycloak.services.user_admin import NotPermitted
from lrs_keycloak.web import approval, context
from lrs_keycloak.web.contracts import helpdesk as hd
from lrs_keycloak.web.contracts import recovery as rc
from lrs_keycloak.web.contracts.operations import operation
from lrs_keycloak.web.contracts.users import user_json
from lrs_keycloak.web.errors import (
    Unauthorised,
    errors,
    http_error,
    install,
    problem,
    unexpected,
)

log = logging.getLogger(__name__)
bp = Blueprint("recovery", __name__)

API = "/api/v1/recovery-cases"
#: Refusals caused by the case's current state rather than by the request: HTTP 409.
STATE_CODES = frozenset(
    {
        "already-completed",
        "completion-in-progress",
        "illegal-transition",
        "changed",
        "case-already-open",
        "form-already-recorded",
        "form-missing",
    }
)


# --- the app's recovery service -----------------------------------------------------------


def service() -> RecoveryService:
    """The app's RecoveryService (built once per app, shared with the enforcer)."""
    return context.recovery(current_app._get_current_object())  # type: ignore[attr-defined]


def agent() -> Actor:
    found: Actor = g.lrs_agent
    return found


@bp.before_request
def _authenticate() -> None:
    if not request.path.startswith("/api/"):
        return  # the senior manager's page: the token in the URL is the credential
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorised("token-missing", "Send an access token: Authorization: Bearer <token>.")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        claims = context.token_verifier(app).verify(token.strip())
    except jwt.PyJWKClientConnectionError as error:
        raise KeycloakUnavailable(f"cannot fetch the realm's keys: {error}") from error
    # The same account still (a removed user's name may be given again), as Keycloak knows it
    # now: active and holding the help desk role.
    found = service().admin.actor(claims["preferred_username"], subject=claims["sub"])
    if found is None:
        raise Unauthorised("invalid-token", "The token's user no longer exists.")
    if not found.is_helpdesk:
        raise NotPermitted("only active MIAP help desk agents (realm role lrs-helpdesk) may")
    g.lrs_agent = found


# --- errors --------------------------------------------------------------------------------------


install(bp)


@bp.errorhandler(RuleViolation)
def _refused(error: RuleViolation) -> Response:
    status = 409 if any(v.code in STATE_CODES for v in error.violations) else 422
    return errors(status, [v.as_dict() for v in error.violations])


@bp.errorhandler(MailFailed)
def _mail_failed(error: MailFailed) -> Response:
    return errors(502, [problem("", "email-failed", str(error))])


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith("/api/"):
        return error  # the senior manager's page keeps Flask's own
    return http_error(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    """As the super users' API: JSON with an id to quote (503 when Keycloak cannot be reached);
    the senior manager gets a plain page with the same id, never a trace."""
    answer = unexpected(error)
    if request.path.startswith("/api/"):
        return answer
    error_id = (answer.get_json() or {}).get("error_id", "")
    return approval.page(
        answer.status_code,
        "Something went wrong",
        message=f"Your answer could not be recorded. Please try the link again later; if it "
        f"keeps failing, contact the MIAP Help Desk quoting error {error_id}.",
        refused=True,
    )


# --- the help desk's API -------------------------------------------------------------------------

#: Every help desk operation's answers, and those of the ones about a case.
_ANY = {
    401: "Unauthorised",
    403: "NotHelpDesk",
    413: "TooLarge",
    500: "InternalError",
    503: "KeycloakUnavailable",
}
_ON_CASE = {**_ANY, 404: "HelpDeskNotFound", 409: "StateConflict", 422: "HelpDeskRefused"}
_TAGS = ("Help desk",)
#: A help desk agent's access token: the realm role is checked against Keycloak on each call.
_HELPDESK = [{"bearer": [HELPDESK_REALM_ROLE]}]
_CASE_LOCATION = {"Location": "The case's URL."}


def _desk(
    method: str, rule: str, operation_id: str, summary: str, **declared: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A help desk operation: its tag and security, and the answers every one of them may give."""
    responses = {**_ANY, **declared.pop("responses")}
    return operation(
        bp,
        method,
        rule,
        operation_id=operation_id,
        summary=summary,
        tags=_TAGS,
        security=_HELPDESK,
        responses=responses,
        **declared,
    )


def _json(answer: dict[str, Any], status: int = 200) -> Response:
    """An answer, any user in it made as every user is (``user_json``)."""
    if isinstance(answer.get("user"), dict):
        answer = {**answer, "user": user_json(answer["user"])}
    response = jsonify(answer)
    response.status_code = status
    return response


@_desk(
    "post",
    API,
    "openRecoveryCase",
    "Open a case from the New Super User Form (guide §10.2), only when the organisation has no "
    "active super user (422 super-user-can-act names whom to contact), and email the senior "
    "manager the approval link unless send_link is false (if that email fails, the case is "
    "still opened and an email-failed warning names it).",
    body=rc.NewSuperUserFormBody,
    responses={
        201: (rc.CaseResult, "Opened.", _CASE_LOCATION),
        200: (
            rc.CaseResult,
            "No new case: the organisation's case awaiting its form (opened by the enforcer) "
            "now holds the form; the first warning, recorded-on-waiting-case, names it.",
            _CASE_LOCATION,
        ),
        409: "StateConflict",
        422: "HelpDeskRefused",
    },
)
def open_case(body: rc.NewSuperUserFormBody) -> Any:
    outcome = service().open(agent(), body.form(), send_link=body.send_link)
    # 200 when the form went onto the organisation's case awaiting it: no new resource.
    answer = _json(outcome.as_dict(), 201 if outcome.new_case else 200)
    answer.headers["Location"] = f"{API}/{outcome.case['id']}"
    return answer


@_desk(
    "post",
    f"{API}/<int:case_id>/form",
    "recordRecoveryForm",
    "Record the New Super User Form on a case awaiting it (awaiting_form → received), checked "
    "as when opening a case; a recorded form is never replaced (409 form-already-recorded). "
    "Emails the approval link unless send_link is false (if that email fails, the form is still "
    "recorded and an email-failed warning says so).",
    body=rc.NewSuperUserFormBody,
    responses={200: (rc.CaseResult, "Recorded."), **_ON_CASE},
)
def record_form(case_id: int, body: rc.NewSuperUserFormBody) -> Any:
    outcome = service().record_form(agent(), case_id, body.form(), send_link=body.send_link)
    return _json(outcome.as_dict())


@_desk(
    "get",
    API,
    "listRecoveryCases",
    "Recovery cases, newest first; links that ran out are marked expired first.",
    query=rc.CaseQuery,
    responses={200: (rc.CaseList, "The cases."), 422: "HelpDeskRefused"},
)
def list_cases(query: rc.CaseQuery) -> Any:
    wanted = query.organisation
    cases = service().list_cases(
        agent(),
        state=query.state,
        organisation_id=None if wanted is None else _organisation_id(wanted, "organisation"),
    )
    return jsonify(cases=cases)


@_desk(
    "get",
    f"{API}/<int:case_id>",
    "showRecoveryCase",
    "One case with its audit trail.",
    responses={200: (rc.CaseDetail, "The case."), 404: "HelpDeskNotFound"},
)
def show_case(case_id: int) -> Any:
    return jsonify(case=service().show(agent(), case_id))


@_desk(
    "post",
    f"{API}/<int:case_id>/approval",
    "recordPaperApproval",
    "Record the senior manager's approval received on paper: by a second agent, never the one "
    "who raised the case or recorded its form (422 own-case).",
    body=rc.PaperApproval,
    responses={200: (rc.CaseResult, "Approved."), **_ON_CASE},
)
def paper_approval(case_id: int, body: rc.PaperApproval) -> Any:
    outcome = service().record_paper_approval(
        agent(), case_id, body.scan_reference, ip=request.remote_addr
    )
    return _json(outcome.as_dict())


@_desk(
    "post",
    f"{API}/<int:case_id>/approval-link",
    "sendApprovalLink",
    "Email the senior manager a new approval link (it replaces the previous one), e.g. after "
    "the last one expired. The link goes only to the Organisation Agreement signatory MIAP "
    "holds, when the form's manager is that person and no agent of the case recorded them (422 "
    "no-signatory-recorded, manager-not-signatory, signatory-recorded-by-agent: paper approval "
    "only). No request body.",
    responses={200: (rc.CaseResult, "Sent."), **_ON_CASE, 502: "MailFailed"},
)
def resend_link(case_id: int) -> Any:
    return _json(service().send_link(agent(), case_id).as_dict())


@_desk(
    "post",
    f"{API}/<int:case_id>/complete",
    "completeRecoveryCase",
    "Create the new super user of an approved case, exactly once (a generated username; "
    "Keycloak mails the set-password link), and make them the primary contact when the form "
    "says so. Four eyes: refused to the agent who raised the case or recorded its form (422 "
    "own-case). Refused if a super user is active again (422 super-user-active-again). The "
    "answer names what the agent relied on. No body.",
    responses={200: (rc.CompletedCase, "Completed: the case and the new user."), **_ON_CASE},
)
def complete_case(case_id: int) -> Any:
    return _json(service().complete(agent(), case_id).as_dict())


@_desk(
    "post",
    f"{API}/<int:case_id>/cancel",
    "cancelRecoveryCase",
    "Cancel a case that is not finished, with a reason (422 reason-required).",
    body=rc.CancelReason,
    responses={200: (rc.CaseResult, "Cancelled."), **_ON_CASE},
)
def cancel_case(case_id: int, body: rc.CancelReason) -> Any:
    return _json(service().cancel(agent(), case_id, body.reason or "").as_dict())


def _organisation_id(value: str, field: str = "org_id") -> str:
    """The path's organisation id, when it has the one id shape (issue 9 §4)."""
    refused = check_organisation_id(value, field)
    if refused:
        raise RuleViolation([refused])
    return value


@_desk(
    "put",
    "/api/v1/helpdesk/organisations/<org_id>/signatory",
    "recordSignatory",
    "Record or change the organisation's Organisation Agreement signatory from the signed "
    "agreement (issue 9 §1): audited, a change needs a reason. An agent who recorded it cannot "
    "send a recovery approval link relying on it.",
    body=hd.SignatoryChange,
    responses={200: (hd.SignatoryRecorded, "Recorded."), 422: "HelpDeskRefused"},
)
def record_signatory(org_id: str, body: hd.SignatoryChange) -> Any:
    """Issue 9 §1: the signatory, from the signed Organisation Agreement (audited)."""
    _organisation_id(org_id)
    return jsonify(service().record_signatory(agent(), org_id, body.signatory(), body.reason))


@_desk(
    "get",
    "/api/v1/helpdesk/organisations/<org_id>",
    "helpDeskOrganisation",
    "Any organisation as the help desk sees it: its super users and their status, the primary "
    "contact, whether recovery is allowed (guide §3), its open cases.",
    responses={
        200: (hd.HelpDeskOrganisation, "The organisation."),
        404: "HelpDeskNotFound",
        422: "HelpDeskRefused",
    },
)
def organisation(org_id: str) -> Any:
    return jsonify(service().organisation_view(agent(), _organisation_id(org_id)))


@_desk(
    "post",
    "/api/v1/helpdesk/organisations",
    "registerOrganisation",
    "Register an organisation with its first Super User (guide §1.1) and its Organisation "
    "Agreement signatory; Keycloak mails the Super User the set-password link.",
    body=hd.NewOrganisation,
    responses={201: (hd.RegisteredOrganisation, "Registered."), 422: "HelpDeskRefused"},
)
def register_organisation(body: hd.NewOrganisation) -> Any:
    """Guide §1.1: the help desk registers an organisation with its first Super User."""
    given: Any = body.super_user
    person = {k: v for k, v in given.model_dump().items() if v is not None}
    org = Organisation(body.id, body.name, body.kind, frozenset(body.entitlements))
    signatory = body.signatory.signatory() if body.signatory is not None else None
    result = service().register_organisation(agent(), org, UserDetails(**person), signatory)
    return _json(result.as_dict(), 201)


# --- the senior manager's page (web.approval) -------------------------------------------------

bp.add_url_rule(
    "/recovery/approve/<token>", "approval_page", approval.approval_page, methods=["GET"]
)
bp.add_url_rule(
    "/recovery/approve/<token>", "approval_decision", approval.approval_decision, methods=["POST"]
)


__all__ = ["bp", "service"]
