"""A number in an API path names a row of the store, whose ids are INTEGER columns: a number
past them (found by schemathesis: 21481802983285159100416 overflowed SQLite, a 500) is refused
by routing, 404, before anything reads it; the document says the same (``maximum``)."""

from __future__ import annotations

import pytest
from flask import Flask

from lrs_keycloak.web import create_app
from lrs_keycloak.web.contracts.operations import MAX_ID
from lrs_keycloak.web.openapi import SPEC


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "LRS_DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recovery-cases/{}",
        "/api/v1/organisations/ash-college/reviews/{}",
        "/api/v1/organisations/ash-college/console-changes/{}/reason",
    ],
)
def test_an_id_past_the_stores_range_is_404_and_one_within_it_reaches_the_api(
    app: Flask, path: str
) -> None:
    client = app.test_client()
    method = "POST" if path.endswith("reason") else "GET"
    past = client.open(path.format(MAX_ID + 1), method=method)
    assert past.status_code == 404
    assert past.get_json()["errors"]
    within = client.open(path.format(MAX_ID), method=method)
    assert within.status_code == 401  # routed: the token is asked for


def test_the_document_bounds_every_id_in_a_path_as_the_routes_do() -> None:
    ids = [
        parameter["schema"]
        for item in SPEC["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"]["type"] == "integer"
    ]
    assert ids
    assert all(schema["maximum"] == MAX_ID for schema in ids)
