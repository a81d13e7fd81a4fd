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
* ``/recovery/approve/<token>`` — a plain page outside the API for the senior manager named on
  the form. GET shows the request and changes nothing (mail scanners prefetch links); POST
  approves or rejects once. The unguessable token in the URL is what makes the POST safe from
  cross-site forgery: a forger would need the token itself.

Bearer tokens are checked by the super users' API's ``TokenVerifier`` (web.tokens; one per app).
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    render_template_string,
    request,
)
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import Organisation, check_organisation_id
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.recovery import NewSuperUserForm
from lrs_keycloak.domain.signatories import RULE as SIGNED_RULE
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.services.recovery import LinkRefused, MailFailed, RecoveryService
from lrs_keycloak.services.user_admin import NotPermitted
from lrs_keycloak.web import context
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


# --- building the service once per app -----------------------------------------------------------


def service() -> RecoveryService:
    """The app's RecoveryService (``app.extensions["lrs_recovery"]``, built on first use)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return context.shared(app, "lrs_recovery", lambda: _build(app))


def _build(app: Flask) -> RecoveryService:
    from lrs_keycloak.composition import build_recovery

    return build_recovery(
        context.user_admin(app),
        context.recovery_store(app),
        context.gateway(app),
        context.engine(app),
        secret=app.config.get("LRS_SECRET_KEY"),
        public_url=app.config.get("LRS_PUBLIC_URL"),
    )


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
    return _page(
        answer.status_code,
        "Something went wrong",
        message=f"Your answer could not be recorded. Please try the link again later; if it "
        f"keeps failing, contact the MIAP Help Desk quoting error {error_id}.",
        refused=True,
    )


# --- the help desk's API -------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _bad("", "invalid-json", "Send a JSON object as the request body.")
    return data


def _bad(field: str, code: str, message: str) -> RuleViolation:
    return RuleViolation([Violation(field, code, message, "API request shape")])


def _form_body() -> tuple[NewSuperUserForm, bool]:
    """The form's fields, and ``send_link`` (default true), from the JSON body."""
    data = _body()
    send_link = data.pop("send_link", True)
    if not isinstance(send_link, bool):
        raise _bad("send_link", "invalid-type", "send_link must be true or false.")
    return NewSuperUserForm.from_dict(data), send_link


@bp.post(API)
def open_case() -> Any:
    form, send_link = _form_body()
    outcome = service().open(agent(), form, send_link=send_link)
    answer = jsonify(outcome.as_dict())
    # 200 when the form went onto the organisation's case awaiting it: no new resource.
    answer.status_code = 201 if outcome.new_case else 200
    answer.headers["Location"] = f"{API}/{outcome.case['id']}"
    return answer


@bp.post(f"{API}/<int:case_id>/form")
def record_form(case_id: int) -> Any:
    form, send_link = _form_body()
    return jsonify(service().record_form(agent(), case_id, form, send_link=send_link).as_dict())


@bp.get(API)
def list_cases() -> Any:
    wanted = request.args.get("organisation")
    cases = service().list_cases(
        agent(),
        state=request.args.get("state"),
        organisation_id=None if wanted is None else _organisation_id(wanted, "organisation"),
    )
    return jsonify(cases=cases)


@bp.get(f"{API}/<int:case_id>")
def show_case(case_id: int) -> Any:
    return jsonify(case=service().show(agent(), case_id))


@bp.post(f"{API}/<int:case_id>/approval")
def paper_approval(case_id: int) -> Any:
    data = _body()
    scan = data.get("scan_reference")
    if not isinstance(scan, str):
        raise _bad(
            "scan_reference", "required", "Give the reference of the scanned, signed approval."
        )
    outcome = service().record_paper_approval(agent(), case_id, scan, ip=request.remote_addr)
    return jsonify(outcome.as_dict())


@bp.post(f"{API}/<int:case_id>/approval-link")
def resend_link(case_id: int) -> Any:
    return jsonify(service().send_link(agent(), case_id).as_dict())


@bp.post(f"{API}/<int:case_id>/complete")
def complete_case(case_id: int) -> Any:
    return jsonify(service().complete(agent(), case_id).as_dict())


@bp.post(f"{API}/<int:case_id>/cancel")
def cancel_case(case_id: int) -> Any:
    reason = _body().get("reason")
    return jsonify(
        service().cancel(agent(), case_id, reason if isinstance(reason, str) else "").as_dict()
    )


def _signatory(data: Any, prefix: str = "") -> Signatory:
    """The signatory from JSON: name and email as text, job title as text or null."""
    if not isinstance(data, dict):
        raise _bad(prefix.rstrip(".") or "signatory", "invalid-type", "Give the signatory as an "
                   "object with name, email and job_title.")  # fmt: skip
    problems = [
        Violation(prefix + key, "required", f"{prefix}{key} is required, as text.", SIGNED_RULE)
        for key in ("name", "email")
        if not isinstance(data.get(key), str)
    ]
    title = data.get("job_title")
    if title is not None and not isinstance(title, str):
        problems.append(
            Violation(prefix + "job_title", "invalid-type", "job_title must be text.", SIGNED_RULE)
        )
    if problems:
        raise RuleViolation(problems)
    return Signatory(str(data["name"]), str(data["email"]), title)


def _organisation_id(value: str, field: str = "org_id") -> str:
    """The path's organisation id, when it has the one id shape (issue 9 §4)."""
    refused = check_organisation_id(value, field)
    if refused:
        raise RuleViolation([refused])
    return value


@bp.put("/api/v1/helpdesk/organisations/<org_id>/signatory")
def record_signatory(org_id: str) -> Any:
    """Issue 9 §1: the signatory, from the signed Organisation Agreement (audited)."""
    _organisation_id(org_id)
    data = _body()
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _bad("reason", "invalid-type", "reason must be text.")
    return jsonify(service().record_signatory(agent(), org_id, _signatory(data), reason))


@bp.get("/api/v1/helpdesk/organisations/<org_id>")
def organisation(org_id: str) -> Any:
    return jsonify(service().organisation_view(agent(), _organisation_id(org_id)))


_PERSON_FIELDS = {
    "title": "title",
    "given_name": "given_name",
    "family_name": "family_name",
    "verification_provided": "verification_provided",
    "email": "email",
    "telephone": "telephone",
    "mobile": "mobile",
    "staff_id": "staff_id",
}


@bp.post("/api/v1/helpdesk/organisations")
def register_organisation() -> Any:
    """Guide §1.1: the help desk registers an organisation with its first Super User."""
    data = _body()
    person = data.get("super_user")
    if not isinstance(person, dict):
        raise _bad("super_user", "required", "Give the first Super User's details.")
    entitlements = data.get("entitlements", [])
    if not isinstance(entitlements, list) or not all(isinstance(e, str) for e in entitlements):
        raise _bad("entitlements", "invalid-type", "entitlements must be a list of names.")
    texts = {k: data.get(k) for k in ("id", "name", "kind")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise _bad(key, "required", f"{key} is required.")
    details = {
        attr: person[key]
        for key, attr in _PERSON_FIELDS.items()
        if isinstance(person.get(key), str)
    }
    for key in ("title", "given_name", "family_name", "verification_provided"):
        if key not in details:
            raise _bad(f"super_user.{key}", "required", f"super_user.{key} is required.")
    org = Organisation(
        str(texts["id"]), str(texts["name"]), str(texts["kind"]), frozenset(entitlements)
    )
    signed = data.get("signatory")
    signatory = _signatory(signed, "signatory.") if signed is not None else None
    result = service().register_organisation(agent(), org, UserDetails(**details), signatory)
    answer = jsonify(result.as_dict())
    answer.status_code = 201
    return answer


# --- the senior manager's page -------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — Learner Registration Service</title>
<style>body{font-family:sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
dt{font-weight:bold}dd{margin:0 0 .5rem 0}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:1rem}
.refused{border-left:4px solid #b00;padding-left:1rem}</style></head><body>
<h1>{{ title }}</h1>
{% if case %}
<p>MIAP has received a New Super User Form for <strong>{{ case.organisation_name }}</strong>
naming you as the senior manager who approves it. As MIAP is taking responsibility for granting
someone Super User access for your organisation, it needs your approval.</p>
<dl>
<dt>Organisation</dt><dd>{{ case.organisation_name }} ({{ case.organisation_id }})</dd>
<dt>Proposed Super User</dt><dd>{{ form.nominee_title }} {{ form.nominee_given_name }}
{{ form.nominee_family_name }}</dd>
<dt>Their email and telephone</dt><dd>{{ form.nominee_email }}, {{ form.nominee_telephone }}</dd>
{% if form.nominee_staff_id %}<dt>Staff ID</dt><dd>{{ form.nominee_staff_id }}</dd>{% endif %}
<dt>Approving senior manager</dt><dd>{{ form.manager_name }}, {{ form.manager_job_title }}</dd>
<dt>Form reference</dt><dd>{{ form.form_reference }} (received {{ form.received_on }})</dd>
<dt>This link expires</dt><dd>{{ case.approval_link.expires_at }}</dd>
</dl>
<form method="post">
<p>This link works once. Your answer is recorded with the time and your IP address.</p>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="reject">Reject</button>
</form>
{% else %}
<p class="{{ 'refused' if refused else '' }}">{{ message }}</p>
{% if refused %}<p>If a new Super User is still needed, contact the MIAP Help Desk.</p>{% endif %}
{% endif %}
</body></html>"""

REFUSED_STATUS = {"link-expired": 410, "link-used": 410, "link-invalid": 404}


def _page(status: int, title: str, **context: Any) -> Response:
    answer = Response(render_template_string(PAGE, title=title, **context), status=status)
    # The token is in the URL: never cache it, never send it on as a referrer, never frame it.
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Referrer-Policy"] = "no-referrer"
    answer.headers["X-Frame-Options"] = "DENY"
    answer.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return answer


def _refused_page(refused: LinkRefused) -> Response:
    titles = {
        "link-expired": "This approval link has expired",
        "link-used": "This approval link has already been used",
    }
    return _page(
        REFUSED_STATUS.get(refused.code, 404),
        titles.get(refused.code, "This approval link is not valid"),
        message=refused.violation.message,
        refused=True,
    )


@bp.get("/recovery/approve/<token>")
def approval_page(token: str) -> Response:
    try:
        case = service().view_link(token)
    except LinkRefused as refused:
        return _refused_page(refused)
    return _page(200, "Approve a new Super User", case=case, form=case["form"])


@bp.post("/recovery/approve/<token>")
def approval_decision(token: str) -> Response:
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        return _page(400, "Choose Approve or Reject", message="Go back and choose a button.")
    try:
        service().decide_by_link(token, decision == "approve", request.remote_addr)
    except LinkRefused as refused:
        return _refused_page(refused)
    if decision == "approve":
        return _page(
            200,
            "Thank you: approved",
            message="Your approval is recorded. The MIAP Help Desk will now create the Super "
            "User account; the new Super User receives an email to choose their password.",
        )
    return _page(
        200,
        "Thank you: rejected",
        message="Your rejection is recorded. No Super User account will be created from this form.",
    )


__all__ = ["bp", "service"]
