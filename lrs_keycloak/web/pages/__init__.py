"""The companion app's HTML pages: every signed-in user's home, the super users' pages for
their organisation and the help desk's. Each view declares its guard (`web.signin.guards`)."""

from __future__ import annotations

from flask import Flask

from lrs_keycloak.web.pages import errors, helpdesk, home, superuser

#: The blueprints of pages, by name: the permission matrix test walks their routes.
BLUEPRINTS = (home.bp, superuser.bp, helpdesk.bp)


def register(app: Flask) -> None:
    """The pages' blueprints, and GOV.UK error pages app-wide (JSON kept for /api/, /hooks/):
    call it after any other 404/405 handler, which it replaces."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
