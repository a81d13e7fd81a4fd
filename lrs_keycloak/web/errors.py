"""How the companion app's JSON API answers what went wrong, for every blueprint alike.

Each error names the field, a code, a message and, when a rule of the guide refused it, the
rule. Anything unexpected gets an id to quote to the help desk; the trace goes only to the log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import jwt
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from lrs_keycloak.services.errors import (
    DATABASE_UNAVAILABLE,
    GatewayError,
    KeycloakUnavailable,
    database_unavailable,
)
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible
from lrs_keycloak.web.logs import redact

log = logging.getLogger(__name__)


class Unauthorised(Exception):
    """No usable bearer token (HTTP 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def errors(status: int, problems: list[dict[str, str]], **extra: Any) -> Response:
    answer = jsonify(errors=problems, **extra)
    answer.status_code = status
    return answer


def unauthorised(error: Unauthorised) -> Response:
    """401 with the challenge RFC 6750 asks for: no error code when no token was sent."""
    answer = errors(401, [problem("Authorization", error.code, error.message)])
    realm = current_app.config["LRS_REALM"]
    description = error.message.replace('"', "'")
    answer.headers["WWW-Authenticate"] = (
        f'Bearer realm="{realm}", error="invalid_token", error_description="{description}"'
        if error.code != "token-missing"
        else f'Bearer realm="{realm}"'
    )
    return answer


def http_error(error: HTTPException) -> Response:
    """An HTTP error raised in a route (abort, a bad method), in the JSON shape."""
    name = (error.name or "error").lower().replace(" ", "-")
    return errors(error.code or 500, [problem("", name, str(error.description))])


def _forbidden(error: NotPermitted) -> Response:
    return errors(403, [problem("", "forbidden", str(error))])


def _not_found(error: NotVisible) -> Response:
    return errors(404, [problem("", "not-found", str(error))])


def install(bp: Blueprint) -> None:
    """The answers every JSON blueprint gives alike; each adds its own refusals after this."""
    bp.register_error_handler(Unauthorised, unauthorised)
    bp.register_error_handler(NotPermitted, _forbidden)
    bp.register_error_handler(NotVisible, _not_found)


def unexpected(error: Exception) -> Response:
    """The last line of defence: 503 when Keycloak cannot be reached, else 500; both JSON with
    an id to quote, the detail only in the log."""
    error_id = uuid.uuid4().hex[:12]
    if isinstance(error, KeycloakUnavailable | jwt.PyJWKClientConnectionError):
        log.error("API error %s: Keycloak unavailable: %s", error_id, error)
        message = f"Keycloak cannot be reached (error {error_id})."
        return errors(503, [problem("", "keycloak-unavailable", message)], error_id=error_id)
    if database_unavailable(error):
        log.error("API error %s: the database is unavailable: %s", error_id, error)
        message = f"{DATABASE_UNAVAILABLE} (error {error_id})"
        return errors(503, [problem("", "database-unavailable", message)], error_id=error_id)
    kind = "Keycloak answered unexpectedly" if isinstance(error, GatewayError) else "unexpected"
    # The path may be the senior manager's approval link: its token never goes to the log.
    path = redact(request.path)
    log.exception("API error %s (%s) on %s %s", error_id, kind, request.method, path)
    message = f"Something went wrong on our side; quote error {error_id} to the help desk."
    return errors(500, [problem("", "internal-error", message)], error_id=error_id)
