"""How much a request may send: every body is capped before it is read (issue 9 §4).

A body over the cap is refused with 413 before the app reads a byte of it when its
Content-Length says so, and as soon as it grows past the cap when it is sent chunked (no
Content-Length). The API's bodies are small JSON objects and the senior manager's form is one
field; the webhook carries Keycloak's admin events, whose ``representation`` is a whole
resource (a realm, a user profile, a published User Agreement's text), so it gets more room.
"""

from __future__ import annotations

import io

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from lrs_keycloak.settings import Settings
from lrs_keycloak.settings_limits import API_BODY_LIMIT, IMPORT_BODY_LIMIT, WEBHOOK_BODY_LIMIT
from lrs_keycloak.web.errors import errors, problem

__all__ = ["API_BODY_LIMIT", "IMPORT_BODY_LIMIT", "WEBHOOK_BODY_LIMIT", "body_limit", "install"]

#: The endpoints that take a file of people (their cap is LRS_MAX_IMPORT_BYTES).
IMPORT_ENDPOINTS = frozenset({"api.upload_import", "superuser.import_upload"})


def install(app: Flask, settings: Settings) -> None:
    """The caps: ``LRS_MAX_BODY_BYTES`` and ``LRS_MAX_WEBHOOK_BYTES`` (the settings')."""
    app.config["LRS_MAX_BODY_BYTES"] = settings.max_body_bytes
    app.config["LRS_MAX_WEBHOOK_BYTES"] = settings.max_webhook_bytes
    app.config["LRS_MAX_IMPORT_BYTES"] = settings.max_import_bytes
    # Flask's own cap, as a backstop for any read; the hook below sets each request's cap
    # (the webhook's and an import's are larger) and refuses early, before any authentication.
    app.config["MAX_CONTENT_LENGTH"] = app.config["LRS_MAX_BODY_BYTES"]
    app.before_request(_cap)
    app.register_error_handler(RequestEntityTooLarge, _too_large)


def body_limit() -> int:
    key = "LRS_MAX_BODY_BYTES"
    if request.blueprint == "hooks":
        key = "LRS_MAX_WEBHOOK_BYTES"
    elif request.endpoint in IMPORT_ENDPOINTS:
        key = "LRS_MAX_IMPORT_BYTES"
    limit: int = current_app.config[key]
    return limit


def _cap() -> None:
    # App-level, so it runs before the blueprints' authentication: a stranger's 300 MiB costs
    # a header, not a token verification (nor memory).
    limit = body_limit()
    request.max_content_length = limit
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif request.environ.get("wsgi.input_terminated"):
        _buffer_chunked(limit)


def _buffer_chunked(limit: int) -> None:
    """A chunked body, read now up to one byte past the cap: over it is 413. Werkzeug's own
    guard stops reading at the cap and hands the route a body cut short without a word (a
    bad signature, bad JSON), never a 413; within it, the route reads what was buffered."""
    stream = request.environ["wsgi.input"]
    data = bytearray()
    while len(data) <= limit:
        piece = stream.read(min(64 * 1024, limit + 1 - len(data)))
        if not piece:
            break
        data.extend(piece)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    # Still "terminated" with no Content-Length (the request says chunked): Werkzeug reads
    # this to its end.
    request.environ["wsgi.input"] = io.BytesIO(bytes(data))


def _too_large(error: RequestEntityTooLarge) -> Response:
    limit = body_limit()
    message = f"The request body is larger than the {limit} bytes accepted here."
    if request.path.startswith("/api/"):
        answer = errors(413, [problem("", "body-too-large", message)])
    elif request.blueprint == "hooks":
        answer = jsonify(error=message)
        answer.status_code = 413
    else:
        answer = Response(message + "\n", status=413, mimetype="text/plain")
    return answer
