"""What serving the app needs around its pages (docs/operations.md): the forwarded headers of
trusted proxies, a request id on every request and log line, one JSON access-log line a
request, the metrics and the health check."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from lrs_keycloak.settings import Settings
from lrs_keycloak.web import health, logs, metrics

access_log = logging.getLogger("lrs_keycloak.access")


def install(app: Flask, settings: Settings) -> None:
    if settings.trusted_proxies:
        # Only as many X-Forwarded-* values as there are proxies we run are believed: a client
        # can send its own, which a proxy appends to rather than replaces.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    metrics.install(app)
    app.register_blueprint(health.bp)
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)


def _begin() -> None:
    g.lrs_started = time.perf_counter()
    g.lrs_request_id = logs.request_id(request.headers.get(logs.REQUEST_ID_HEADER))
    g.lrs_request_token = logs.set_request_id(g.lrs_request_id)


def _end(response: Response) -> Response:
    rid = g.get("lrs_request_id")
    if rid is None:  # refused before `_begin` ran (another before_request answered first)
        return response
    response.headers[logs.REQUEST_ID_HEADER] = rid
    seconds = time.perf_counter() - g.lrs_started
    metrics.observe_request(response.status_code, seconds)
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,  # redacted by the formatter: an approval link is a credential
            "endpoint": metrics.endpoint_label(),
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def _forget(_error: BaseException | None) -> None:
    token = g.pop("lrs_request_token", None)
    if token is not None:
        logs.reset_request_id(token)
