"""GOV.UK error pages (403, 404, 405, 500, and 503 while the app's database cannot be reached)
for the companion app's pages; paths of the JSON API (/api/) and of Keycloak's webhook
(/hooks/) keep the API's JSON error shape (`web.errors`).

`register(app)` installs them app-wide, in place of any earlier 404/405 handler: routing fails
before a blueprint is chosen, so only app-wide handlers see an unknown path.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from lrs_keycloak.services.errors import DATABASE_UNAVAILABLE, database_unavailable
from lrs_keycloak.web.errors import errors, http_error, problem
from lrs_keycloak.web.logs import redact

log = logging.getLogger(__name__)

#: Paths answered in JSON, never with a page.
MACHINE_PATHS = ("/api/", "/hooks/")
#: The codes with a page of their own; 405 shows the 404 page (a form posted to a page's URL
#: that takes no form is, to a person, a page that is not there).
PAGES = {403: "errors/403.html", 404: "errors/404.html", 405: "errors/404.html"}


def _machine() -> bool:
    return request.path.startswith(MACHINE_PATHS)


def _page(error: HTTPException) -> Any:
    if _machine():
        return http_error(error)
    code = error.code or 500
    return render_template(PAGES[code]), code


def _server_error(error: InternalServerError) -> Any:
    if _machine():
        return http_error(error)
    error_id = uuid.uuid4().hex[:12]
    cause = error.original_exception or error
    log.error(
        "page error %s on %s %s", error_id, request.method, redact(request.path), exc_info=cause
    )
    try:
        return render_template("errors/500.html", error_id=error_id), 500
    except Exception:  # the layout itself failed: still answer, plainly
        log.exception("page error %s: the error page failed too", error_id)
        return f"Sorry, there is a problem with the service (error {error_id}).", 500


#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def _database(error: DBAPIError) -> Any:
    """503 while the database cannot be reached, on any path and from any blueprint without
    handlers of its own (pages, the webhook); the service resumes by itself when it is back."""
    if not database_unavailable(error):
        return _server_error(InternalServerError(original_exception=error))
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "error %s on %s %s: the database is unavailable: %s",
        error_id,
        request.method,
        redact(request.path),
        error,
    )
    message = f"{DATABASE_UNAVAILABLE} (error {error_id})"
    answer: Any
    if request.path.startswith("/hooks/"):
        answer = jsonify(error=message)
    elif _machine():
        answer = errors(503, [problem("", "database-unavailable", message)], error_id=error_id)
    else:
        try:
            answer = render_template("errors/503.html", error_id=error_id)
        except Exception:  # the layout itself needs the database: still answer, plainly
            answer = f"Sorry, the service is unavailable: {message}"
    return answer, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def register(app: Flask) -> None:
    for code in PAGES:
        app.register_error_handler(code, _page)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(DBAPIError, _database)
