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
import time
from collections.abc import Callable
from typing import Any, TypeVar

import jwt
from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import MAX_LENGTHS, UserDetails, too_long
from lrs_keycloak.services.user_admin import EDITABLE, UserAdmin
from lrs_keycloak.settings import DEFAULT_KEYCLOAK_TIMEOUT
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

#: The OIDC client whose access tokens this API accepts (config ``LRS_API_CLIENT``).
API_CLIENT = "lrs-portal"
#: Seconds the realm's public keys are cached before they are fetched again: a signing key
#: removed from the realm is trusted at most this long afterwards.
JWKS_LIFESPAN = 300
#: Seconds after a fetch of the keys during which a token with an unknown kid is refused
#: without fetching them again (PyJWT's cooldown).
JWKS_COOLDOWN = 30
#: Seconds after the keys could not be fetched during which verifications fail at once (503).
JWKS_RETRY_AFTER = 5.0
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


# --- tokens -------------------------------------------------------------------------------------


class _RealmKeys(jwt.PyJWKClient):
    """PyJWT's key client, failing at once for JWKS_RETRY_AFTER seconds after a fetch failed.

    It fetches under a lock: while Keycloak hangs, every verification queued behind a fetch
    would otherwise wait out its own timeout in turn, and the whole API with them.
    """

    unreachable_until = 0.0

    def fetch_data(self) -> Any:
        if time.monotonic() < self.unreachable_until:
            raise jwt.PyJWKClientConnectionError("the realm's keys could not be fetched just now")
        try:
            return super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            self.unreachable_until = time.monotonic() + JWKS_RETRY_AFTER
            raise


class TokenVerifier:
    """Checks a realm's access tokens: RS256 signature by a realm key, issuer, azp, expiry.

    The keys are fetched from ``keycloak_url`` (how this app reaches Keycloak); the issuer is
    ``public_url`` (how browsers reach it, and so what Keycloak writes in ``iss`` behind a
    proxy), the same URL when none is given.
    """

    def __init__(
        self,
        keycloak_url: str,
        realm: str,
        client_id: str = API_CLIENT,
        public_url: str | None = None,
        timeout: float = DEFAULT_KEYCLOAK_TIMEOUT,
    ) -> None:
        self.issuer = f"{(public_url or keycloak_url).rstrip('/')}/realms/{realm}"
        self.client_id = client_id
        # Only the key set is cached, for JWKS_LIFESPAN: a key removed from the realm is no
        # longer trusted once it expires. (PyJWT's per-key cache, cache_keys, never expires.)
        # A kid not in the set fetches it again at once, unless the set was fetched in the last
        # JWKS_COOLDOWN seconds: random kids must not make every request a fetch.
        self.jwks = _RealmKeys(
            f"{keycloak_url.rstrip('/')}/realms/{realm}/protocol/openid-connect/certs",
            cache_keys=False,
            lifespan=JWKS_LIFESPAN,
            cooldown_duration=JWKS_COOLDOWN,
            timeout=timeout,
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
        # Issued to this API's own client, whatever `aud` says: Keycloak adds lrs-portal to the
        # `aud` of any client's tokens for users holding its (client) roles, e.g. the admin
        # console's, so an audience alone would let other clients' tokens in.
        if claims.get("azp") != self.client_id:
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
