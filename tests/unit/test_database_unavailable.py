"""The app's database away: 503 with a clear message and an error id for people (a page), the
API (its JSON error shape) and the webhook, never a traceback; any other database error stays a
500 (docs/adr/0023; tests/integration/faults/test_database_unavailable.py cuts a real
PostgreSQL)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from lrs_keycloak.services.errors import DATABASE_UNAVAILABLE, database_unavailable
from lrs_keycloak.web import create_app

AWAY = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
BROKEN = IntegrityError("INSERT", {}, Exception("duplicate key"))


@pytest.fixture
def app() -> Flask:
    app = create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise to the test

    def away() -> str:
        raise AWAY

    def broken() -> str:
        raise BROKEN

    for path in ("/db-away", "/hooks/db-away", "/api/v1/db-away"):
        app.add_url_rule(path, path, away)
    app.add_url_rule("/db-broken", "db-broken", broken)
    return app


def test_only_a_database_out_of_reach_is_unavailable() -> None:
    assert database_unavailable(AWAY)
    assert not database_unavailable(BROKEN)
    assert not database_unavailable(ValueError("bad input"))


def test_a_page_while_the_database_is_away_is_a_503_page(app: Flask) -> None:
    answer = app.test_client().get("/db-away")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "Sorry, the service is unavailable" in text and "Traceback" not in text


def test_the_webhook_and_the_api_answer_json(app: Flask) -> None:
    hook = app.test_client().get("/hooks/db-away")
    assert hook.status_code == 503 and DATABASE_UNAVAILABLE in hook.get_json()["error"]
    api = app.test_client().get("/api/v1/db-away")
    assert api.status_code == 503
    assert [e["code"] for e in api.get_json()["errors"]] == ["database-unavailable"]


def test_any_other_database_error_is_a_500(app: Flask) -> None:
    assert app.test_client().get("/db-broken").status_code == 500
