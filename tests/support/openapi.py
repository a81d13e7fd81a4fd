"""Check real API answers (and the bodies the API accepted) against the OpenAPI document the API
serves."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from lrs_keycloak.web.openapi import SPEC

_ROOT = "urn:lrs-api"
_REGISTRY = Registry().with_resource(_ROOT, Resource(contents=SPEC, specification=DRAFT202012))


def _template(path: str) -> str:
    for template in SPEC["paths"]:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path.split("?")[0]):
            return str(template)
    raise AssertionError(f"{path} matches no documented path")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def _operation(method: str, path: str) -> dict[str, Any]:
    template = _template(path)
    operation: dict[str, Any] | None = SPEC["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not documented"
    return operation


def _problems(schema: dict[str, Any], body: Any) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": f"{_ROOT}{schema['$ref']}"} if "$ref" in schema else schema,
        registry=_REGISTRY,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def check_response(
    method: str, path: str, status: int, body: Any, mimetype: str = "application/json"
) -> None:
    """The status is documented for this operation and the body matches its schema (a body
    that is not JSON: its media type is documented for the status)."""
    responses = _operation(method, path)["responses"]
    assert str(status) in responses, f"{method} {_template(path)}: {status} is not documented"
    response = _resolve(responses[str(status)])
    if mimetype != "application/json" and status < 300:
        documented = response.get("content", {})
        assert mimetype in documented, f"{method} {path} {status}: {mimetype} is not documented"
        return
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    problems = _problems(schema, body)
    assert not problems, f"{method} {path} {status}: body does not match the document: {problems}"


def check_request(method: str, path: str, body: Any) -> None:
    """A body the API accepted matches the documented request body: the document is not
    stricter than the code."""
    request_body = _operation(method, path).get("requestBody")
    assert request_body is not None, f"{method} {path}: no request body is documented"
    schema = _resolve(request_body)["content"]["application/json"]["schema"]
    problems = _problems(schema, body)
    assert not problems, f"{method} {path}: accepted body does not match the document: {problems}"


class CheckedClient(FlaskClient):
    """Flask's test client that checks every answer under /api/v1 against the document, and a
    JSON body sent with ``json=`` against the documented request body when the API accepted it.

    Install it with ``app.test_client_class = CheckedClient``.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith("/api/v1/"):
            body = response.get_json(silent=True)
            check_response(
                request.method, request.path, response.status_code, body, response.mimetype
            )
            if response.status_code < 300 and kwargs.get("json") is not None:
                check_request(request.method, request.path, kwargs["json"])
        return response
