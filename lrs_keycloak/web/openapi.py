"""The OpenAPI 3.1 document of ``/api/v1``, written by hand to match ``web/api.py``.

Tests check that every route of the ``api`` blueprint is documented here and nothing else, and
validate real responses against the schemas below.
"""

from __future__ import annotations

from typing import Any

from lrs_keycloak import __version__
from lrs_keycloak.store.audit import EVENTS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Errors"), description)


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorised"},
    "500": {"$ref": "#/components/responses/InternalError"},
    "503": {"$ref": "#/components/responses/KeycloakUnavailable"},
}
_IN_ORG = {
    **_ERRORS,
    "403": {"$ref": "#/components/responses/Forbidden"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
_REFUSABLE = {**_IN_ORG, "422": {"$ref": "#/components/responses/Refused"}}

_ORG = {
    "name": "org",
    "in": "path",
    "required": True,
    "description": "The organisation's id (its group /organisations/<org>).",
    "schema": {"type": "string"},
}
_USERNAME = {
    "name": "username",
    "in": "path",
    "required": True,
    "description": "The generated account name, e.g. aoife.obrien.",
    "schema": {"type": "string"},
}

_TEXT = {"type": ["string", "null"]}
_DETAILS = {
    "title": {"type": "string", "description": "Mr, Mrs, Miss, Ms, Mx, Dr, Prof, …"},
    "given_name": {"type": "string"},
    "family_name": {"type": "string"},
    "verification_provided": {
        "type": "string",
        "description": "How the organisation checked the person's identity and authorisation.",
    },
    "email": {
        **_TEXT,
        "description": "Strongly recommended: without it the user cannot set or reset a "
        "password (a warning says so). Keycloak mails the set-password link to it.",
    },
    "telephone": _TEXT,
    "mobile": _TEXT,
    "staff_id": _TEXT,
    "preferred_language": {**_TEXT, "description": "English (en) only today."},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["field", "code", "message"],
        "properties": {
            "field": {"type": "string", "description": "The input at fault; empty for all."},
            "code": {"type": "string", "description": "Stable, machine-readable."},
            "message": {"type": "string", "description": "Plain English: what to do."},
            "rule": {"type": "string", "description": "The guide's rule that refused it."},
        },
    },
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "items": _ref("Error"), "minItems": 1},
            "error_id": {"type": "string", "description": "Quote it: the log has the detail."},
        },
    },
    "Warning": {
        "type": "object",
        "required": ["field", "code", "message", "rule"],
        "properties": {
            "field": {"type": "string"},
            "code": {
                "type": "string",
                "description": "e.g. email-missing, too-few-super-users (deputies).",
            },
            "message": {"type": "string"},
            "rule": {"type": "string"},
        },
    },
    "User": {
        "type": "object",
        "required": ["username", "given_name", "family_name", "roles", "status"],
        "properties": {
            "username": {"type": "string"},
            **{k: _TEXT for k in _DETAILS},
            "roles": {"type": "array", "items": {"type": "string"}},
            "status": {"enum": ["active", "suspended", "locked"]},
            "enabled": {"type": "boolean"},
            "locked": {"type": "boolean"},
            "created_at_ms": {"type": ["integer", "null"]},
            "last_login_ms": {
                "type": ["integer", "null"],
                "description": "Last logon (epoch ms) from Keycloak's stored login events.",
            },
        },
    },
    "NewUser": {
        "type": "object",
        "required": ["title", "given_name", "family_name", "verification_provided", "roles"],
        "additionalProperties": False,
        "properties": {
            **_DETAILS,
            "roles": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "reference": {**_TEXT, "description": "Authorisation reference, if any."},
        },
    },
    "UserChanges": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "Only the fields to change; null clears an optional one. A user may "
        "change their own name and contact details; roles never change here.",
        "properties": {**{k: _TEXT for k in _DETAILS}, "reference": _TEXT},
    },
    "RoleChange": {
        "type": "object",
        "required": ["roles"],
        "additionalProperties": False,
        "properties": {
            "roles": {"type": "array", "items": {"type": "string"}},
            "reference": {
                **_TEXT,
                "description": "Who authorised it; required when the change gives more access.",
            },
        },
    },
    "Reason": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": {"type": "string", "description": "Kept in the audit log."}},
    },
    "UserResult": {
        "type": "object",
        "required": ["user", "warnings"],
        "properties": {
            "user": _ref("User"),
            "warnings": {"type": "array", "items": _ref("Warning")},
            "event_id": {"type": "integer", "description": "The audit event written."},
        },
    },
    "UserList": {
        "type": "object",
        "required": ["users", "warnings"],
        "properties": {
            "users": {"type": "array", "items": _ref("User")},
            "warnings": {"type": "array", "items": _ref("Warning")},
        },
    },
    "AuditEvent": {
        "type": "object",
        "required": ["id", "at", "actor", "organisation_id", "action"],
        "properties": {
            "id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "string"},
            "organisation_id": {"type": ["string", "null"]},
            # The whole catalogue: an organisation's trail also holds the help desk's recovery
            # events and the enforcer's, not only its super users' own changes.
            "action": {"enum": [e.name for e in EVENTS]},
            "target": _TEXT,
            "reason": _TEXT,
            "reference": _TEXT,
            "details": {"type": "object"},
        },
    },
    "AuditEvents": {
        "type": "object",
        "required": ["events"],
        "properties": {"events": {"type": "array", "items": _ref("AuditEvent")}},
    },
    "Acceptance": {
        "type": "object",
        "required": [
            "username",
            "name",
            "accepted_version",
            "accepted_at",
            "accepted_current_version",
        ],
        "properties": {
            "username": {"type": "string"},
            "name": {"type": "string"},
            "accepted_version": {"type": ["string", "null"]},
            "accepted_at": {"type": ["string", "null"], "description": "ISO-8601, UTC"},
            "accepted_current_version": {"type": "boolean"},
        },
    },
    "AgreementReport": {
        "type": "object",
        "required": ["users"],
        "properties": {"users": {"type": "array", "items": _ref("Acceptance")}},
    },
}


def _body(schema: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(schema)}}}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "LRS user administration API",
        "version": __version__,
        "description": "Super users manage their own organisation's users (MIAP guide §3-§8). "
        "Send an access token of the realm, issued to the lrs-portal client, as "
        "`Authorization: Bearer <token>`. Another organisation's users are invisible (404). "
        "Every change writes one audit event.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document."}},
            }
        },
        "/api/v1/organisations/{org}/users": {
            "parameters": [_ORG],
            "get": {
                "operationId": "listUsers",
                "summary": "The organisation's users (guide §8), with a deputies warning.",
                "parameters": [
                    {"name": "search", "in": "query", "schema": {"type": "string"}},
                    {"name": "role", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["active", "suspended", "locked"]},
                    },
                ],
                "responses": {"200": _json(_ref("UserList"), "The users."), **_IN_ORG},
            },
            "post": {
                "operationId": "createUser",
                "summary": "Create a named person's account (guide §4); the username is "
                "generated and Keycloak mails the set-password link.",
                "requestBody": _body("NewUser"),
                "responses": {
                    "201": {
                        **_json(_ref("UserResult"), "Created."),
                        "headers": {
                            "Location": {
                                "description": "The new user's URL.",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **_REFUSABLE,
                },
            },
        },
        "/api/v1/organisations/{org}/users/{username}": {
            "parameters": [_ORG, _USERNAME],
            "get": {
                "operationId": "getUser",
                "summary": "One user of the organisation.",
                "responses": {"200": _json(_ref("UserResult"), "The user."), **_IN_ORG},
            },
            "patch": {
                "operationId": "updateUser",
                "summary": "Update details (guide §5); a user may update their own name and "
                "contact details.",
                "requestBody": _body("UserChanges"),
                "responses": {"200": _json(_ref("UserResult"), "Updated."), **_REFUSABLE},
            },
            "delete": {
                "operationId": "removeUser",
                "summary": "Delete the account from Keycloak (guide §7); its audit trail stays. "
                "The last active super user cannot be removed.",
                "parameters": [{"name": "reason", "in": "query", "schema": {"type": "string"}}],
                "requestBody": _body("Reason", required=False),
                "responses": {
                    "200": _json(_ref("UserResult"), "Removed: the account as it was."),
                    **_REFUSABLE,
                },
            },
        },
        "/api/v1/organisations/{org}/users/{username}/roles": {
            "parameters": [_ORG, _USERNAME],
            "put": {
                "operationId": "changeRoles",
                "summary": "Replace the user's roles (guide §5), recording who authorised it.",
                "requestBody": _body("RoleChange"),
                "responses": {"200": _json(_ref("UserResult"), "Changed."), **_REFUSABLE},
            },
        },
        "/api/v1/organisations/{org}/users/{username}/suspend": {
            "parameters": [_ORG, _USERNAME],
            "post": {
                "operationId": "suspendUser",
                "summary": "Disable the account and end its sessions at once (guide §6); "
                "reason required.",
                "requestBody": _body("Reason"),
                "responses": {"200": _json(_ref("UserResult"), "Suspended."), **_REFUSABLE},
            },
        },
        "/api/v1/organisations/{org}/users/{username}/reinstate": {
            "parameters": [_ORG, _USERNAME],
            "post": {
                "operationId": "reinstateUser",
                "summary": "Re-enable the account and clear a lock (guide §6.1); reason required.",
                "requestBody": _body("Reason"),
                "responses": {"200": _json(_ref("UserResult"), "Reinstated."), **_REFUSABLE},
            },
        },
        "/api/v1/organisations/{org}/audit-events": {
            "parameters": [_ORG],
            "get": {
                "operationId": "auditEvents",
                "summary": "The organisation's audit trail, newest first (guide §8).",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                    }
                ],
                "responses": {
                    "200": _json(_ref("AuditEvents"), "The events."),
                    **_IN_ORG,
                    "422": {"$ref": "#/components/responses/Refused"},
                },
            },
        },
        "/api/v1/organisations/{org}/agreement-report": {
            "parameters": [_ORG],
            "get": {
                "operationId": "agreementReport",
                "summary": "Which users accepted which User Agreement version, and when (§4.3).",
                "responses": {
                    "200": _json(_ref("AgreementReport"), "One row per user of the organisation."),
                    **_IN_ORG,
                },
            },
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token (typ Bearer, RS256) of the realm, azp lrs-portal.",
            }
        },
        "schemas": SCHEMAS,
        "responses": {
            "Unauthorised": {
                **_error("No token, or it is invalid, tampered with or expired."),
                "headers": {
                    "WWW-Authenticate": {
                        "description": "Bearer challenge.",
                        "schema": {"type": "string"},
                    }
                },
            },
            "Forbidden": _error("Your organisation, but you are not an active super user of it."),
            "NotFound": _error(
                "No such organisation or user for you (other organisations' users are invisible)."
            ),
            "Refused": _error("Bad input, or a rule of the guide refused it (`rule` cites it)."),
            "InternalError": _error("Unexpected error; `error_id` is in the log."),
            "KeycloakUnavailable": _error("Keycloak cannot be reached."),
        },
    },
}
