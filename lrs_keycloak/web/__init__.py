"""The Flask companion app: application factory and blueprints."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from lrs_keycloak import __version__
from lrs_keycloak.settings import keycloak_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(LRS_REALM=keycloak_settings().realm)
    if test_config:
        app.config.update(test_config)

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
