"""Check a real API answer against the OpenAPI document the API serves."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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


def check_response(method: str, path: str, status: int, body: Any) -> None:
    """The status is documented for this operation and the body matches its schema."""
    template = _template(path)
    operation = SPEC["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not documented"
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template}: {status} is not documented"
    response = _resolve(responses[str(status)])
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    validator = Draft202012Validator(
        {"$ref": f"{_ROOT}{schema['$ref']}"} if "$ref" in schema else schema,
        registry=_REGISTRY,
    )
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not problems, f"{method} {path} {status}: body does not match the document: {problems}"
