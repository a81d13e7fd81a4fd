"""The Flask companion app: application factory and blueprints."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from flask import Flask, jsonify, request

from lrs_keycloak import __version__
from lrs_keycloak.settings import keycloak_settings, webhook_secret


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(LRS_REALM=keycloak_settings().realm)
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("LRS_WEBHOOK_SECRET", webhook_secret())

    from lrs_keycloak.web import api, hooks, limits, logs, recovery

    # Before the blueprints, so that an oversized body is refused ahead of any authentication.
    limits.install(app)
    # The development server's access log and Flask's own messages (approval tokens).
    logs.install(logging.getLogger("werkzeug"), app.logger)
    app.extensions["lrs_events"] = deque(maxlen=1000)  # the latest deliveries, for operators
    app.extensions.setdefault("lrs_event_handlers", [])
    app.register_blueprint(hooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(recovery.bp)

    # Rules held on admin-console changes (off in unit tests unless asked for).
    if app.config.get("LRS_ENFORCE", not app.testing):
        from lrs_keycloak.web import enforcement

        enforcement.install(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _api_routing_error(error: Any) -> Any:
        # Routing fails before any blueprint is chosen: keep the API's JSON error shape there.
        if request.path.startswith("/api/"):
            code = "not-found" if error.code == 404 else "method-not-allowed"
            problem = {"field": "", "code": code, "message": str(error.description)}
            return jsonify(errors=[problem]), error.code
        return error

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="UP", version=__version__)

    @app.get("/")
    def index() -> Any:
        return jsonify(
            service="lrs-keycloak companion app",
            realm=app.config["LRS_REALM"],
            keycloak=keycloak_settings().url,
        )

    return app
