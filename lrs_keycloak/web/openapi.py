"""The OpenAPI 3.1 document of ``/api/v1``, generated: the schemas are pydantic's JSON schemas
of the contracts (``web/contracts/``), the operations are those the routes declared with
``@operation`` (docs/adr/0009). Nothing here restates a field.

Tests check that every route under ``/api/v1`` is documented and nothing else, validate the
document as OpenAPI 3.1, and check real answers against it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from lrs_keycloak import __version__
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.settings_limits import API_BODY_LIMIT
from lrs_keycloak.web import (  # noqa: F401 - their routes declare operations
    api,
    imports,
    recovery,
    reviews,
)
from lrs_keycloak.web.contracts.common import Errors
from lrs_keycloak.web.contracts.operations import MAX_ID, OPERATIONS, Operation, operation

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

#: The error answers many operations share, by name (``components/responses``).
SHARED = {
    "Unauthorised": "No token, or it is invalid, tampered with or expired.",
    "Forbidden": "Your organisation, but you are not an active super user of it.",
    "NotFound": "No such organisation or user for you (other organisations' users are invisible).",
    "Refused": "Bad input, or a rule of the guide refused it (`rule` cites it).",
    "TooLarge": "The request body is larger than the API accepts (LRS_MAX_BODY_BYTES, "
    f"{API_BODY_LIMIT // 1024} KiB by default): refused (body-too-large) before it is read "
    "when Content-Length says so, or as soon as a chunked body grows past it.",
    "InternalError": "Unexpected error; `error_id` is in the log.",
    "KeycloakUnavailable": "Keycloak or the app's database cannot be reached; try again.",
    "NotHelpDesk": "The token's holder is not an active MIAP help desk agent (realm role "
    f"{HELPDESK_REALM_ROLE}): without the role, disabled or locked.",
    "HelpDeskNotFound": "No such recovery case or organisation.",
    "StateConflict": "The case's state forbids it. A refusal is 409 when any of its errors "
    f"has one of the codes {', '.join(sorted(recovery.STATE_CODES))}; the other errors found "
    "come with it.",
    "HelpDeskRefused": "A body of the wrong shape (invalid-json, required, invalid-type, "
    "unknown-field, invalid, invalid-date, too-long) or a rule of the guide refused it (`rule` "
    "cites it).",
    "MailFailed": "The approval email could not be sent (email-failed), so its link does not "
    "work and the case keeps the state it had before the sending. (Opening a case or "
    "recording its form does not answer this: the case is kept and the answer carries an "
    "email-failed warning naming it.)",
}
#: What a path's parameters are, by name.
PATH_PARAMETERS = {
    "org": "The organisation's id (its group /organisations/<org>).",
    "username": "The generated account name, e.g. aoife.obrien.",
    "case_id": "The recovery case's number.",
    "org_id": "The organisation's id.",
    "change_id": "The console change's number (from the console-changes listing).",
    "review_id": "The access review's number (from the reviews listing).",
    "job_id": "The import job's id (the upload's answer and Location).",
}
_REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Super users manage their own organisation's users (MIAP guide §3-§8); MIAP help desk "
    "agents recover a lost Super User (guide §10.2) and register organisations (§1.1). Send an "
    "access token of the realm, issued to the lrs-portal client, as `Authorization: Bearer "
    "<token>`. Another organisation's users are invisible to a super user (404). Every change "
    "writes one audit event. A body with a field the operation does not know is refused, "
    "naming the field. The senior manager answers a recovery case on an HTML page outside "
    "this API (/recovery/approve/<token>, the link emailed to them)."
)


@operation(
    bp,
    "get",
    "/openapi.json",
    operation_id="openapi",
    summary="This document.",
    security=[],
    responses={200: (None, "The OpenAPI document."), 413: "TooLarge"},
)
def openapi() -> Any:
    return jsonify(SPEC)


def _models() -> list[tuple[type[BaseModel], Any]]:
    """Every model the operations name: request bodies and queries as they are read,
    answers as they are written."""
    found: dict[type[BaseModel], Any] = {Errors: "serialization"}
    for op in OPERATIONS:
        for model in (op.body, op.query):
            if model is not None:
                found[model] = "validation"
        for reply in op.responses.values():
            if not isinstance(reply, str) and reply[0] is not None:
                found.setdefault(reply[0], "serialization")
    return list(found.items())


def _parameters(op: Operation, query: dict[str, Any] | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for converter, name in re.findall(r"<(?:([^:>]+):)?([^>]+)>", op.rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        found.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": PATH_PARAMETERS[name],
                "schema": schema,
            }
        )
    for name, schema in (query or {}).get("properties", {}).items():
        found.append(
            {
                "name": name,
                "in": "query",
                "required": name in query.get("required", ()),  # type: ignore[union-attr]
                "schema": schema,
                **({"description": schema["description"]} if "description" in schema else {}),
            }
        )
    return found + [dict(h) for h in op.headers]


def _content(model: type[BaseModel], refs: dict[Any, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": refs[model]}}


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, reply in op.responses.items():
        if isinstance(reply, str):
            answers[str(status)] = {"$ref": f"#/components/responses/{reply}"}
            continue
        model, description, *rest = reply
        answer: dict[str, Any] = {"description": description}
        if model is not None:
            answer["content"] = _content(model, refs)
        if status in op.csv:
            text = {"schema": {"type": "string", "description": "CSV with a header row."}}
            answer.setdefault("content", {})["text/csv"] = text
        if rest:
            answer["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in rest[0].items()
            }
        answers[str(status)] = answer
    return answers


def build() -> dict[str, Any]:
    """The document, from the models and the operations declared when it is built."""
    models = _models()
    keys, schemas = models_json_schema(models, ref_template=_REF)
    refs = {model: keys[(model, mode)] for model, mode in models}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        query = None
        if op.query is not None:
            query = op.query.model_json_schema(ref_template=_REF)
        item: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
        if op.tags:
            item["tags"] = list(op.tags)
        if op.security is not None:
            item["security"] = op.security
        parameters = _parameters(op, query)
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {
                "required": op.body_required,
                "content": _content(op.body, refs),
            }
        if op.csv_body is not None:
            text = {"schema": {"type": "string", "description": op.csv_body}}
            item["requestBody"] = {"required": True, "content": {"text/csv": text}}
        item["responses"] = _responses(op, refs)
        item.update(op.extra)
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method] = item
    errors = {"$ref": _REF.format(model="Errors")}
    responses: dict[str, Any] = {
        name: {"description": text, "content": {"application/json": {"schema": errors}}}
        for name, text in SHARED.items()
    }
    responses["Unauthorised"]["headers"] = {
        "WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}}
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LRS user administration API",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "tags": [
            {"name": "Super users", "description": "A super user's own organisation."},
            {
                "name": "Help desk",
                "description": f"MIAP help desk agents only (realm role {HELPDESK_REALM_ROLE}). "
                "These routes answer a refusal caused by the case's state with 409.",
            },
        ],
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token (typ Bearer, RS256) of the realm, azp "
                    "lrs-portal. An operation that names a role (lrs-helpdesk) needs its holder "
                    "to hold that realm role and be active, as Keycloak knows them at the time "
                    "of the call.",
                }
            },
            "schemas": schemas.get("$defs", {}),
            "responses": responses,
        },
    }


SPEC: dict[str, Any] = build()
