"""The Flask companion app: application factory and blueprints."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify

from lrs_keycloak.composition import Root
from lrs_keycloak.settings import ENV_PREFIX, Settings, load_settings


def create_app(
    settings: Settings | Mapping[str, Any] | None = None,
    test_config: Mapping[str, Any] | None = None,
) -> Flask:
    """The companion app on ``settings`` (else the environment's), every part built through
    the composition root. ``test_config`` is Flask configuration; its ``LRS_*`` keys that name
    a setting replace that setting. ``create_app(test_config)`` is accepted too.

    Refused at start (`SettingsError`) outside local development when a secret or the admin
    credentials would be generated or assumed; and, outside tests, when the store's schema is
    behind (`SchemaOutOfDate`: run ``lrs-keycloak db upgrade``).
    """
    if settings is not None and not isinstance(settings, Settings):
        settings, test_config = None, settings
    config = dict(test_config or {})
    settings = _configured(settings or load_settings(), config)
    settings.refuse_unsafe()

    app = Flask(__name__)
    from lrs_keycloak.web.contracts import operations as contracts

    contracts.install(app)  # the routes' <int:…> are ids the store can hold (404 past them)
    app.config.from_mapping(
        LRS_REALM=settings.realm,
        LRS_DATABASE_URL=settings.database_url,
        LRS_PUBLIC_URL=settings.public_url,
        LRS_SECRET_KEY=settings.secret_key.get_secret_value() if settings.secret_key else None,
    )
    app.config.update(config)
    app.config["LRS_WEBHOOK_SECRET"] = settings.webhook_key()
    root = Root(realm=settings.realm, settings=settings)

    from lrs_keycloak.web import (
        api,
        context,
        hooks,
        imports,  # noqa: F401 - its routes join the API's blueprint before it is registered
        limits,
        logs,
        openapi,
        operations,
        pages,
        recovery,
        reviews,  # noqa: F401 - its routes join the API's blueprint before it is registered
    )
    from lrs_keycloak.web import security as web_security
    from lrs_keycloak.web.signin import routes as signin_routes
    from lrs_keycloak.web.signin import session as signin_session

    context.install(app, root)
    operations.install(app, settings)  # request ids, JSON access log, /healthz, /metrics
    if not app.testing:
        root.engine()  # a store whose schema is behind is refused now, not at the first request
    # Before the blueprints, so that an oversized body is refused ahead of any authentication.
    limits.install(app, settings)
    # The development server's access log and Flask's own messages (approval tokens).
    logs.install(logging.getLogger("werkzeug"), app.logger)
    app.extensions["lrs_events"] = deque(maxlen=1000)  # the latest deliveries, for operators
    app.extensions.setdefault("lrs_event_handlers", [])
    app.register_blueprint(hooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(recovery.bp)
    app.register_blueprint(openapi.bp)  # the API's document, generated from its routes
    # The pages: sign-in (OpenID Connect, a signed minimal session cookie), then the checks
    # every form post and HTML answer gets, then the pages themselves (ADR 11).
    signin_session.install(app)
    web_security.install(app)
    signin_routes.install(app)

    # Rules held on admin-console changes (off in unit tests unless asked for).
    if app.config.get("LRS_ENFORCE", not app.testing):
        from lrs_keycloak.web import enforcement

        enforcement.install(app)

    # The pages' blueprints and the app-wide 403/404/405/500 answers: GOV.UK pages, the API's
    # JSON error shape under /api/ and /hooks/ (routing fails before any blueprint is chosen).
    pages.register(app)

    # What the app is, for operators (the home page `/` is the signed-in person's: pages/home).
    @app.get("/about.json")
    def about() -> Any:
        return jsonify(
            service="lrs-keycloak companion app",
            realm=app.config["LRS_REALM"],
            keycloak=settings.keycloak_url,
        )

    return app


def _configured(settings: Settings, config: Mapping[str, Any]) -> Settings:
    """``settings`` with the values ``config`` gives under their variables' names."""
    values = {
        name: config[variable]
        for name in Settings.model_fields
        if (variable := ENV_PREFIX + name.upper()) in config
    }
    return settings.replace(**values) if values else settings
