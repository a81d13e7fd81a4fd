"""The JSON API for super users: ``/api/v1``, bearer access tokens issued by the realm.

An organisation's integrating system calls it too, with a client-credentials token of its own
client ``lrs-api-<org>`` (docs/adr/0013, docs/api.md): it acts as ``api-client:<org>`` and may
only read its organisation's users, User Agreement report and audit trail; anything else → 403
with the rule.

Thin, as the architecture asks: verify the token, find the actor, parse the body, call the
``UserAdmin`` use case, render. Errors have one shape, ``{"errors": [{field, code, message}]}``:

* no token, or one that fails verification (signature, issuer, azp, expiry) → 401
  with ``WWW-Authenticate: Bearer``;
* another organisation, or a user not in the organisation → 404 (existence never leaks);
* the caller's own organisation, but not an active super user of it → 403;
* a body of the wrong shape, or a request a rule of the guide refuses → 422 (rule cited);
* Keycloak unreachable → 503; anything unexpected → 500 with an id that is in the log.

Each route declares its contract (``@operation``: the body's model, the answers' models);
the OpenAPI document at ``/api/v1/openapi.json`` is generated from them (``web/openapi.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    request,
    stream_with_context,
)
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.api_clients import organisation_of
from lrs_keycloak.domain.audit_report import table
from lrs_keycloak.domain.csv_cells import csv_lines
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import REQUIRED_DETAILS as REQUIRED
from lrs_keycloak.domain.users import UserDetails, too_long
from lrs_keycloak.services.api_clients import ApiClients
from lrs_keycloak.services.console_trail import ConsoleTrail
from lrs_keycloak.services.errors import OrganisationBusy
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.idempotency import (
    MAX_KEY_LENGTH,
    Answered,
    IdempotencyKeys,
    InProgress,
    Mismatch,
    fingerprint,
)
from lrs_keycloak.web import context
from lrs_keycloak.web.contracts import users as c
from lrs_keycloak.web.contracts.common import Errors, shape
from lrs_keycloak.web.contracts.operations import operation
from lrs_keycloak.web.errors import (
    Unauthorised,
    errors,
    http_error,
    install,
    problem,
    unexpected,
)
from lrs_keycloak.web.tokens import claimed_client

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: The request header a client may send with a creation it might retry (echoed back).
IDEMPOTENCY_KEY = "Idempotency-Key"

# --- errors -------------------------------------------------------------------------------------


@bp.errorhandler(RuleViolation)
def _refused(error: RuleViolation) -> Any:
    return errors(422, [v.as_dict() for v in error.violations])


@bp.errorhandler(OrganisationBusy)
def _busy(error: OrganisationBusy) -> Any:
    # Another change to the organisation's super users held its lock too long: nothing changed.
    response = errors(503, [problem("", "organisation-busy", f"{error} Nothing was changed.")])
    response.headers["Retry-After"] = "5"
    return response


install(bp)
bp.register_error_handler(HTTPException, http_error)
bp.register_error_handler(Exception, unexpected)


# --- the app's services, built once per app -------------------------------------------------------


def admin() -> UserAdmin:
    return context.user_admin(current_app._get_current_object())  # type: ignore[attr-defined]


def actor() -> Actor:
    found: Actor = g.lrs_actor
    return found


@bp.before_request
def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorised("token-missing", "Send an access token: Authorization: Bearer <token>.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    verifier = context.token_verifier(app)
    if organisation_of(claimed_client(token.strip())) is None:
        claims = verifier.verify(token.strip())
    else:
        claims = verifier.verify_integration(token.strip())
    integration = organisation_of(claims.get("azp"))
    if integration is not None:
        # An organisation's integrating system (docs/adr/0013): its client must still exist,
        # be one, and the subject be its service account; it acts as api-client:<org>.
        client = _api_clients(app).caller(integration, subject=claims["sub"])
        if client is None:
            raise Unauthorised("invalid-token", "The token's API client no longer exists.")
        g.lrs_actor = client
        return
    # The subject must still be the same account: a removed user's name may be given again.
    found = context.user_admin(app).actor(claims["preferred_username"], subject=claims["sub"])
    if found is None:
        raise Unauthorised("invalid-token", "The token's user no longer exists.")
    g.lrs_actor = found
    g.lrs_subject = claims["sub"]  # a job acts as this same account later (an import's)


def _api_clients(app: Flask) -> ApiClients:
    """Organisations' API clients, built once per app from its shared parts."""
    return context.root(app).api_clients()


# --- the contracts' answers ---------------------------------------------------------------------

#: Every operation's answers when it needs a token / is about one organisation / may be refused.
_ANY = {401: "Unauthorised", 413: "TooLarge", 500: "InternalError", 503: "KeycloakUnavailable"}
_IN_ORG = {**_ANY, 403: "Forbidden", 404: "NotFound"}
_REFUSABLE = {**_IN_ORG, 422: "Refused"}
_TAGS = ("Super users",)
_LOCATION = {"Location": "The new user's URL."}


def _result(result: Any, status: int = 200) -> tuple[Response, int]:
    return jsonify(c.result_json(result)), status


# --- endpoints ------------------------------------------------------------------------------------


@operation(
    bp,
    "get",
    "/organisations/<org>/users",
    operation_id="listUsers",
    tags=_TAGS,
    summary="The organisation's users (guide §8), with a deputies warning.",
    query=c.UserQuery,
    responses={200: (c.UserList, "The users."), **_IN_ORG, 422: "Refused"},
)
def list_users(org: str, query: c.UserQuery) -> Any:
    result = admin().list_users(
        actor(), org, search=query.search or None, role=query.role or None, status=query.status
    )
    return _result(result)


_IDEMPOTENCY_HEADER = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": "Send a new key (e.g. a UUID) with each new person, and the same key when "
    "retrying after a lost answer: the retry gets the first answer again (with "
    "Idempotent-Replayed: true), never a second account. Kept 24 hours per caller. A key used "
    "for a different body is refused (422 idempotency-key-reused); while the first request is "
    "still running, 409 request-in-progress. Without a key a retry is still recognised by the "
    "person (same names and email or staff ID).",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


@operation(
    bp,
    "post",
    "/organisations/<org>/users",
    operation_id="createUser",
    tags=_TAGS,
    summary="Create a named person's account (guide §4); the username is generated and "
    "Keycloak mails the set-password link.",
    body=c.NewUser,
    headers=(_IDEMPOTENCY_HEADER,),
    responses={
        201: (c.UserResult, "Created.", _LOCATION),
        200: (
            c.UserResult,
            "The person already has an account here (a repeated creation): that account, with "
            "a person-already-registered warning; nothing created.",
        ),
        **_REFUSABLE,
        409: (
            Errors,
            "A request with this Idempotency-Key is still running (request-in-progress): send "
            "it again in a moment.",
        ),
    },
)
def create_user(org: str, body: Any) -> Any:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return _create_user(org, body)
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return errors(
            422,
            [problem(IDEMPOTENCY_KEY, "invalid-idempotency-key", f"Send 1 to {MAX_KEY_LENGTH} "
                     "printable characters, e.g. a UUID, the same on every retry.")],
        )  # fmt: skip
    # The same request again (same organisation and body): same key, same answer.
    keys = _idempotency_keys()
    caller = actor().username
    claim = keys.claim(caller, key, fingerprint(org, request.get_json()))
    if isinstance(claim, Answered):
        replayed, status = jsonify(claim.body), claim.status
        replayed.headers[IDEMPOTENCY_KEY] = key
        replayed.headers["Idempotent-Replayed"] = "true"
        user = claim.body.get("user")
        if isinstance(user, dict):
            replayed.headers["Location"] = _user_url(org, str(user.get("username")))
        return replayed, status
    if isinstance(claim, InProgress):
        return errors(
            409,
            [problem(IDEMPOTENCY_KEY, "request-in-progress", "A request with this key is still "
                     "being handled; send it again in a moment to get its answer.")],
        )  # fmt: skip
    if isinstance(claim, Mismatch):
        return errors(
            422,
            [problem(IDEMPOTENCY_KEY, "idempotency-key-reused", "This key was used for a "
                     "different request; use a new key for a new request.")],
        )  # fmt: skip
    try:
        response, status = _create_user(org, body)
    except BaseException:
        keys.release(caller, key)  # refused or failed, nothing made: the key is free again
        raise
    keys.finish(caller, key, status, response.get_json())
    response.headers[IDEMPOTENCY_KEY] = key
    return response, status


def _idempotency_keys() -> IdempotencyKeys:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return context.idempotency_keys(app)


def _user_url(org: str, username: str) -> str:
    return f"{bp.url_prefix}/organisations/{org}/users/{username}"


def _create_user(org: str, body: Any) -> tuple[Response, int]:
    sent = body.model_dump(exclude={"roles", "reference"})
    # Required text left blank is the domain's to refuse; an optional one left out is None.
    details = UserDetails(
        **{k: v if v is not None else "" for k, v in sent.items() if k in REQUIRED},
        **{k: v for k, v in sent.items() if k not in REQUIRED and v is not None},
    )
    result = admin().create_user(actor(), org, details, body.roles, body.reference)
    # A repeated creation (same names and email or staff ID, e.g. a retry after a lost answer)
    # is answered with the account the person already has: 200, not a second account.
    response, status = _result(result, 200 if result.existing else 201)
    if result.user is not None:
        response.headers["Location"] = _user_url(org, str(result.user["username"]))
    return response, status


@operation(
    bp,
    "get",
    "/organisations/<org>/users/<username>",
    operation_id="getUser",
    tags=_TAGS,
    summary="One user of the organisation.",
    responses={200: (c.UserResult, "The user."), **_IN_ORG},
)
def get_user(org: str, username: str) -> Any:
    return _result(admin().get_user(actor(), org, username))


@operation(
    bp,
    "patch",
    "/organisations/<org>/users/<username>",
    operation_id="updateUser",
    tags=_TAGS,
    summary="Update details (guide §5); a user may update their own name and contact details.",
    body=c.UserChanges,
    responses={200: (c.UserResult, "Updated."), **_REFUSABLE},
)
def update_user(org: str, username: str, body: Any) -> Any:
    changes = {name: getattr(body, name) for name in body.model_fields_set - {"reference"}}
    if not changes:
        raise RuleViolation([shape("", "nothing-to-change", "Send at least one field to change.")])
    return _result(admin().update_details(actor(), org, username, changes, body.reference))


@operation(
    bp,
    "put",
    "/organisations/<org>/users/<username>/roles",
    operation_id="changeRoles",
    tags=_TAGS,
    summary="Replace the user's roles (guide §5), recording who authorised it.",
    body=c.RoleChange,
    responses={200: (c.UserResult, "Changed."), **_REFUSABLE},
)
def change_roles(org: str, username: str, body: c.RoleChange) -> Any:
    return _result(admin().change_roles(actor(), org, username, body.roles, body.reference))


@operation(
    bp,
    "post",
    "/organisations/<org>/users/<username>/suspend",
    operation_id="suspendUser",
    tags=_TAGS,
    summary="Disable the account and end its sessions at once (guide §6); reason required.",
    body=c.Reason,
    responses={200: (c.UserResult, "Suspended."), **_REFUSABLE},
)
def suspend(org: str, username: str, body: c.Reason) -> Any:
    return _result(admin().suspend(actor(), org, username, body.reason or ""))


@operation(
    bp,
    "post",
    "/organisations/<org>/users/<username>/reinstate",
    operation_id="reinstateUser",
    tags=_TAGS,
    summary="Re-enable the account and clear a lock (guide §6.1); reason required.",
    body=c.Reason,
    responses={200: (c.UserResult, "Reinstated."), **_REFUSABLE},
)
def reinstate(org: str, username: str, body: c.Reason) -> Any:
    return _result(admin().reinstate(actor(), org, username, body.reason or ""))


@operation(
    bp,
    "post",
    "/organisations/<org>/users/<username>/second-factor/reset",
    operation_id="resetSecondFactor",
    tags=_TAGS,
    summary="Delete the user's lost authenticator app and end their sessions; they set up a new "
    "one at their next sign-in (docs/adr/0015). A super user for their organisation's users, "
    "the help desk for super users; never one's own. Reason (how the person was checked) "
    "required.",
    body=c.Reason,
    responses={200: (c.UserResult, "Reset."), **_REFUSABLE},
)
def reset_second_factor(org: str, username: str, body: c.Reason) -> Any:
    return _result(admin().reset_second_factor(actor(), org, username, body.reason or ""))


@operation(
    bp,
    "delete",
    "/organisations/<org>/users/<username>",
    operation_id="removeUser",
    tags=_TAGS,
    summary="Delete the account from Keycloak (guide §7); its audit trail stays. The last "
    "active super user cannot be removed.",
    body=c.Reason,
    body_required=False,
    query=c.Reason,
    responses={200: (c.UserResult, "Removed: the account as it was."), **_REFUSABLE},
)
def remove(org: str, username: str, body: c.Reason, query: c.Reason) -> Any:
    reason = body.reason or query.reason
    oversized = too_long("reason", reason)
    if oversized is not None:
        raise RuleViolation([oversized])
    return _result(admin().remove(actor(), org, username, reason))


@operation(
    bp,
    "get",
    "/organisations/<org>/audit-events",
    operation_id="auditEvents",
    tags=_TAGS,
    summary="The organisation's audit trail, newest first (guide §8).",
    query=c.AuditQuery,
    responses={200: (c.AuditEvents, "The events."), **_IN_ORG, 422: "Refused"},
)
def audit_events(org: str, query: c.AuditQuery) -> Any:
    events = admin().audit_events(actor(), org, limit=query.limit)
    return jsonify(events=[e.as_dict() for e in events])


@operation(
    bp,
    "get",
    "/organisations/<org>/audit-report",
    operation_id="auditReport",
    tags=_TAGS,
    summary="The audit of the organisation's users (guide §8): roles, status, created, last "
    "logon, agreement accepted, staff ID and open flags, filtered; format=csv streams a download.",
    query=c.ReportQuery,
    responses={
        200: (c.AuditReport, "One row per user the filters keep."),
        **_IN_ORG,
        422: "Refused",
    },
    csv=(200,),
)
def audit_report(org: str, query: c.ReportQuery) -> Any:
    """Guide §8: "take an audit of your user community". Refusals come before the first row."""
    rows = admin().audit_report(actor(), org, query.filter(), context.flags(current_app))
    if query.format == "csv":
        return Response(
            stream_with_context(csv_lines(table(rows))),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{org}-users-audit.csv"'},
        )
    return jsonify(users=[row.as_dict() for row in rows])


@operation(
    bp,
    "get",
    "/organisations/<org>/console-changes",
    operation_id="consoleChangesNeedingReason",
    tags=_TAGS,
    summary="Changes made in the Keycloak admin console that still need a reason or reference "
    '("needs a reason"), newest first (issue 12).',
    responses={200: (c.ConsoleChanges, "The changes owing one."), **_IN_ORG},
)
def console_changes(org: str) -> Any:
    changes = _console_trail().needing_reason(actor(), org)
    return jsonify(changes=[change.as_dict() for change in changes])


@operation(
    bp,
    "post",
    "/organisations/<org>/console-changes/<int:change_id>/reason",
    operation_id="addConsoleChangeReason",
    tags=_TAGS,
    summary="Give the reason (or reference) a console change was made without; the trail keeps "
    "when the change was made and when, and by whom, the reason was added.",
    body=c.ConsoleReason,
    responses={201: (c.AuditEvent, "The reason's audit event."), **_REFUSABLE},
)
def add_console_change_reason(org: str, change_id: int, body: c.ConsoleReason) -> Any:
    event = _console_trail().add_reason(actor(), org, change_id, body.reason, body.reference)
    return jsonify(event.as_dict()), 201


def _console_trail() -> ConsoleTrail:
    return context.root(current_app._get_current_object()).console_trail()  # type: ignore[attr-defined]


@operation(
    bp,
    "get",
    "/organisations/<org>/agreement-report",
    operation_id="agreementReport",
    tags=_TAGS,
    summary="Which users accepted which User Agreement version, and when (§4.3).",
    responses={200: (c.AgreementReport, "One row per user of the organisation."), **_IN_ORG},
)
def agreement_report(org: str) -> Any:
    """Guide §4.3: who accepted which User Agreement version, and when."""
    return jsonify(users=admin().agreement_report(actor(), org))
