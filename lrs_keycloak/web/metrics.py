"""Prometheus metrics at ``/metrics``: the app's requests and its calls to Keycloak.

- ``lrs_http_requests_total`` and ``lrs_http_request_duration_seconds``, by endpoint (the
  route's rule, e.g. ``/recovery/approve/<token>``: never a token, and a bounded set of labels;
  ``unmatched`` for a path no route has), method and status;
- ``lrs_keycloak_requests_total`` and ``lrs_keycloak_errors_total``, by method and outcome (the
  HTTP status, or ``unreachable``), counted by a hook in the one place that talks to Keycloak
  (`lrs_keycloak.keycloak.gateway.CALL_HOOKS`, through the composition root).

Under gunicorn each worker is its own process: `lrs-keycloak serve` has gunicorn set
``PROMETHEUS_MULTIPROC_DIR`` (in the cache folder, emptied at start) before the app is built,
and hands the app the same folder (``LRS_METRICS_DIR``), where ``/metrics`` adds up every
worker's files. Without it (tests, one process), the default registry.

``/metrics`` is not public in production: it needs ``Authorization: Bearer $LRS_METRICS_TOKEN``;
with no token set it is open in local development and absent (404) elsewhere.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from lrs_keycloak.composition import on_keycloak_call
from lrs_keycloak.web import context

UNMATCHED = "unmatched"

REQUESTS = Counter("lrs_http_requests", "Requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "lrs_http_request_duration_seconds",
    "Seconds from a request's start to its answer",
    ["endpoint", "method", "status"],
)
KEYCLOAK_CALLS = Counter(
    "lrs_keycloak_requests", "Admin-API requests made to Keycloak", ["method", "outcome"]
)
KEYCLOAK_ERRORS = Counter(
    "lrs_keycloak_errors",
    "Admin-API requests to Keycloak that failed (unexpected status, or no answer)",
    ["method", "outcome"],
)

bp = Blueprint("metrics", __name__)


def endpoint_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def observe_request(status: int, seconds: float) -> None:
    labels = (endpoint_label(), request.method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


def observe_keycloak_call(method: str, outcome: str, ok: bool, seconds: float) -> None:
    KEYCLOAK_CALLS.labels(method, outcome).inc()
    if not ok:
        KEYCLOAK_ERRORS.labels(method, outcome).inc()


def exposition() -> bytes:
    """The text format of every metric (all gunicorn workers' in multiprocess mode)."""
    folder = current_app.config.get("LRS_METRICS_DIR")
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def allowed(authorization: str | None) -> bool:
    """Whether this request may read the metrics (see the module's note)."""
    settings = context.settings(current_app)
    token = settings.metrics_token
    if token is None:
        return settings.is_development
    given = (authorization or "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given.encode(), token.get_secret_value().encode())


@bp.get("/metrics")
def metrics() -> Any:
    if not allowed(request.headers.get("Authorization")):
        abort(404)  # not there, rather than a door to knock on
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    app.register_blueprint(bp)
    on_keycloak_call(observe_keycloak_call)
