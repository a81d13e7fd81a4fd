"""The JSON API for super users: ``/api/v1``, bearer access tokens issued by the realm.

Thin, as the architecture asks: verify the token, find the actor, parse the body, call the
``UserAdmin`` use case, render. Errors have one shape, ``{"errors": [{field, code, message}]}``:

* no token, or one that fails verification (signature, issuer, audience/azp, expiry) → 401
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

import jwt
from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.user_admin import EDITABLE, UserAdmin
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

#: The OIDC client whose access tokens this API accepts (config ``LRS_API_CLIENT``).
API_CLIENT = "lrs-portal"
#: Seconds the realm's public keys are cached before they are fetched again.
JWKS_LIFESPAN = 300
MAX_AUDIT_EVENTS = 500

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


install(bp)
bp.register_error_handler(HTTPException, http_error)
bp.register_error_handler(Exception, unexpected)


# --- tokens -------------------------------------------------------------------------------------


class TokenVerifier:
    """Checks a realm's access tokens: RS256 signature by a realm key, issuer, azp/aud, expiry."""

    def __init__(self, keycloak_url: str, realm: str, client_id: str = API_CLIENT) -> None:
        self.issuer = f"{keycloak_url.rstrip('/')}/realms/{realm}"
        self.client_id = client_id
        self.jwks = jwt.PyJWKClient(
            f"{self.issuer}/protocol/openid-connect/certs",
            cache_keys=True,
            lifespan=JWKS_LIFESPAN,
            timeout=10,
        )

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; raises Unauthorised with the reason it is refused."""
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "iss", "sub"],
                    # Keycloak's access tokens name the resource servers in `aud` (often
                    # "account") and the client they were issued to in `azp`: checked below.
                    "verify_aud": False,
                },
            )
        except jwt.PyJWKClientConnectionError:
            raise
        except jwt.ExpiredSignatureError as error:
            raise Unauthorised("token-expired", "The access token has expired.") from error
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise Unauthorised(
                "invalid-token", f"The access token is not valid: {error}"
            ) from error
        if claims.get("typ") != "Bearer":
            raise Unauthorised("invalid-token", "Only access tokens are accepted (typ Bearer).")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if claims.get("azp") != self.client_id and self.client_id not in audiences:
            raise Unauthorised(
                "invalid-token", f"The access token was not issued to {self.client_id}."
            )
        if not isinstance(claims.get("preferred_username"), str):
            raise Unauthorised("invalid-token", "The access token names no user.")
        return claims


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
        return value
    problems.append(problem(name, "invalid-type", f"{name} must be a string."))
    return None


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
    response, status = _result(result, 201)
    if result.user is not None:
        response.headers["Location"] = f"{bp.url_prefix}/organisations/{org}/users/" + str(
            result.user["username"]
        )
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
    reason = _reason(required=False) or request.args.get("reason") or None
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
