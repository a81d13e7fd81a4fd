"""The JSON API for super users: ``/api/v1``, bearer access tokens issued by the realm.

Thin, as the architecture asks: verify the token, find the actor, parse the body, call the
``UserAdmin`` use case, render. Errors have one shape, ``{"errors": [{field, code, message}]}``:

* no token, or one that fails verification (signature, issuer, azp, expiry) → 401
  with ``WWW-Authenticate: Bearer``;
* another organisation, or a user not in the organisation → 404 (existence never leaks);
* the caller's own organisation, but not an active super user of it → 403;
* a body of the wrong shape, or a request a rule of the guide refuses → 422 (rule cited);
* Keycloak unreachable → 503; anything unexpected → 500 with an id that is in the log.

The OpenAPI document at ``/api/v1/openapi.json`` is written by hand in
``lrs_keycloak/web/openapi.py``; a test checks it names exactly the routes registered here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import MAX_LENGTHS, UserDetails, too_long
from lrs_keycloak.services.user_admin import EDITABLE, UserAdmin
from lrs_keycloak.store.idempotency import (
    MAX_KEY_LENGTH,
    Answered,
    IdempotencyKeys,
    InProgress,
    Mismatch,
    fingerprint,
)
from lrs_keycloak.store.locks import OrganisationBusy
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
bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_AUDIT_EVENTS = 500
#: The request header a client may send with a creation it might retry (echoed back).
IDEMPOTENCY_KEY = "Idempotency-Key"

USER_FIELDS = (
    "title",
    "given_name",
    "family_name",
    "verification_provided",
    "email",
    "telephone",
    "mobile",
    "staff_id",
    "preferred_language",
)
REQUIRED_TEXT = ("title", "given_name", "family_name", "verification_provided")

F = TypeVar("F", bound=Callable[..., Any])


# --- errors -------------------------------------------------------------------------------------


class BadInput(Exception):
    """The request body or query does not have the documented shape (HTTP 422)."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


@bp.errorhandler(BadInput)
def _bad_input(error: BadInput) -> Any:
    return errors(422, error.problems)


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
    if request.endpoint == "api.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorised("token-missing", "Send an access token: Authorization: Bearer <token>.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    claims = context.token_verifier(app).verify(token.strip())
    # The subject must still be the same account: a removed user's name may be given again.
    found = context.user_admin(app).actor(claims["preferred_username"], subject=claims["sub"])
    if found is None:
        raise Unauthorised("invalid-token", "The token's user no longer exists.")
    g.lrs_actor = found


# --- request parsing ------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput([problem("", "invalid-json", "Send a JSON object as the request body.")])
    return data


def _text(data: dict[str, Any], name: str, problems: list[dict[str, str]]) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return _fits(name, value, problems)
    problems.append(problem(name, "invalid-type", f"{name} must be a string."))
    return None


def _fits(name: str, value: str | None, problems: list[dict[str, str]]) -> str | None:
    """The value, or a too-long problem (domain.users.MAX_LENGTHS) before anything reads it."""
    oversized = too_long(name, value) if name in MAX_LENGTHS else None
    if oversized is not None:
        problems.append(oversized.as_dict())
        return None
    return value


def _roles(data: dict[str, Any], problems: list[dict[str, str]]) -> list[str]:
    value = data.get("roles")
    if value is None:
        problems.append(problem("roles", "required", "Give the user's roles: a list of names."))
        return []
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        problems.append(problem("roles", "invalid-type", "roles must be a list of role names."))
        return []
    return value


def _unknown(data: dict[str, Any], allowed: set[str], problems: list[dict[str, str]]) -> None:
    for name in sorted(set(data) - allowed):
        problems.append(problem(name, "unknown-field", f"{name} is not a field of this request."))


def _check(problems: list[dict[str, str]]) -> None:
    if problems:
        raise BadInput(problems)


def _result(result: Any, status: int = 200) -> tuple[Response, int]:
    return jsonify(result.as_dict()), status


# --- endpoints ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Any:
    from lrs_keycloak.web.openapi import SPEC

    return jsonify(SPEC)


@bp.get("/organisations/<org>/users")
def list_users(org: str) -> Any:
    result = admin().list_users(
        actor(),
        org,
        search=request.args.get("search") or None,
        role=request.args.get("role") or None,
        status=request.args.get("status") or None,
    )
    return _result(result)


@bp.post("/organisations/<org>/users")
def create_user(org: str) -> Any:
    data = _body()
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return _create_user(org, data)
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        return errors(
            422,
            [problem(IDEMPOTENCY_KEY, "invalid-idempotency-key", f"Send 1 to {MAX_KEY_LENGTH} "
                     "printable characters, e.g. a UUID, the same on every retry.")],
        )  # fmt: skip
    # The same request again (same organisation and body): same key, same answer.
    keys = _idempotency_keys()
    caller = actor().username
    claim = keys.claim(caller, key, fingerprint(org, data))
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
        response, status = _create_user(org, data)
    except BaseException:
        keys.release(caller, key)  # refused or failed, nothing made: the key is free again
        raise
    keys.finish(caller, key, status, response.get_json())
    response.headers[IDEMPOTENCY_KEY] = key
    return response, status


def _idempotency_keys() -> IdempotencyKeys:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return context.shared(app, "lrs_idempotency_keys", lambda: IdempotencyKeys(context.engine(app)))


def _user_url(org: str, username: str) -> str:
    return f"{bp.url_prefix}/organisations/{org}/users/{username}"


def _create_user(org: str, data: dict[str, Any]) -> tuple[Response, int]:
    problems: list[dict[str, str]] = []
    _unknown(data, {*USER_FIELDS, "roles", "reference"}, problems)
    values = {name: _text(data, name, problems) for name in USER_FIELDS}
    roles = _roles(data, problems)
    reference = _text(data, "reference", problems)
    _check(problems)
    details = UserDetails(
        **{k: values[k] or "" for k in REQUIRED_TEXT},
        email=values["email"],
        telephone=values["telephone"],
        mobile=values["mobile"],
        staff_id=values["staff_id"],
        preferred_language=values["preferred_language"] or "en",
    )
    result = admin().create_user(actor(), org, details, roles, reference)
    # A repeated creation (same names and email or staff ID, e.g. a retry after a lost answer)
    # is answered with the account the person already has: 200, not a second account.
    response, status = _result(result, 200 if result.existing else 201)
    if result.user is not None:
        response.headers["Location"] = _user_url(org, str(result.user["username"]))
    return response, status


@bp.get("/organisations/<org>/users/<username>")
def get_user(org: str, username: str) -> Any:
    return _result(admin().get_user(actor(), org, username))


@bp.patch("/organisations/<org>/users/<username>")
def update_user(org: str, username: str) -> Any:
    data = _body()
    problems: list[dict[str, str]] = []
    changes: dict[str, Any] = {}
    for name in sorted(set(data) - {"reference"}):
        # Fields that cannot be edited (roles, username…) go to the service, which refuses
        # them with the rule; editable ones must be strings (or null to clear an optional one).
        changes[name] = _text(data, name, problems) if name in EDITABLE else data[name]
    reference = _text(data, "reference", problems)
    if not changes:
        problems.append(problem("", "nothing-to-change", "Send at least one field to change."))
    _check(problems)
    return _result(admin().update_details(actor(), org, username, changes, reference))


@bp.put("/organisations/<org>/users/<username>/roles")
def change_roles(org: str, username: str) -> Any:
    data = _body()
    problems: list[dict[str, str]] = []
    _unknown(data, {"roles", "reference"}, problems)
    roles = _roles(data, problems)
    reference = _text(data, "reference", problems)
    _check(problems)
    return _result(admin().change_roles(actor(), org, username, roles, reference))


def _reason(required: bool) -> str | None:
    data = _body() if required or request.get_data() else {}
    problems: list[dict[str, str]] = []
    _unknown(data, {"reason"}, problems)
    reason = _text(data, "reason", problems)
    _check(problems)
    return reason


@bp.post("/organisations/<org>/users/<username>/suspend")
def suspend(org: str, username: str) -> Any:
    reason = _reason(required=True)
    return _result(admin().suspend(actor(), org, username, reason or ""))


@bp.post("/organisations/<org>/users/<username>/reinstate")
def reinstate(org: str, username: str) -> Any:
    reason = _reason(required=True)
    return _result(admin().reinstate(actor(), org, username, reason or ""))


@bp.delete("/organisations/<org>/users/<username>")
def remove(org: str, username: str) -> Any:
    problems: list[dict[str, str]] = []
    reason = _reason(required=False) or _fits("reason", request.args.get("reason"), problems)
    _check(problems)
    return _result(admin().remove(actor(), org, username, reason))


@bp.get("/organisations/<org>/audit-events")
def audit_events(org: str) -> Any:
    raw = request.args.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_AUDIT_EVENTS:
        raise BadInput(
            [
                problem(
                    "limit",
                    "invalid-limit",
                    f"limit must be a whole number from 1 to {MAX_AUDIT_EVENTS}.",
                )
            ]
        )
    events = admin().audit_events(actor(), org, limit=int(raw))
    return jsonify(events=[e.as_dict() for e in events])


@bp.get("/organisations/<org>/agreement-report")
def agreement_report(org: str) -> Any:
    """Guide §4.3: who accepted which User Agreement version, and when."""
    return jsonify(users=admin().agreement_report(actor(), org))
