"""GOV.UK error pages for the pages (pages/errors.py); the JSON API's paths keep its JSON."""

from __future__ import annotations

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from lrs_keycloak.web.pages import errors
from tests.support.pages import persona, sign_in


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    def forbidden() -> str:
        abort(403)

    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/test-forbidden", view_func=forbidden)
    app.add_url_rule("/test-broken", view_func=broken)
    app.add_url_rule("/api/v1/test-broken", view_func=broken, endpoint="api_broken")
    app.testing = False  # let the 500 handler answer instead of raising into the test
    errors.register(app)  # last, as create_app must: one handler per code, the last one wins
    client = app.test_client()
    sign_in(client, persona("plain"))
    return client


def test_an_unknown_page_gets_the_govuk_page_not_found(client: FlaskClient) -> None:
    answer = client.get("/no-such-page")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "Page not found" in html and "govuk-header" in html


def test_an_unknown_api_path_keeps_the_apis_json_error(client: FlaskClient) -> None:
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.get_json()["errors"][0]["code"] == "not-found"


def test_a_forbidden_page_gets_the_govuk_page(client: FlaskClient) -> None:
    answer = client.get("/test-forbidden")
    assert answer.status_code == 403 and "You cannot see this page" in answer.get_data(True)


def test_a_failing_page_gets_the_govuk_page_with_an_error_id_to_quote(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    answer = client.get("/test-broken")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "Sorry, there is a problem with the service" in html
    assert "boom" not in html  # the detail goes to the log only
    error_id = html.split('id="error-id">', 1)[1].split("<", 1)[0]
    assert any(error_id in r.getMessage() for r in caplog.records)


def test_a_failing_api_path_never_gets_a_page(client: FlaskClient) -> None:
    answer = client.get("/api/v1/test-broken")
    assert answer.status_code == 500 and answer.is_json


def test_error_pages_show_the_signed_in_person(client: FlaskClient) -> None:
    assert "Pat Plain" in client.get("/no-such-page").get_data(as_text=True)
