"""The OpenAPI 3.1 document of ``/api/v1``, written by hand to match ``web/api.py`` (super
users) and the help desk's routes in ``web/recovery.py``.

Tests check that every route under ``/api/v1`` is documented here and nothing else, and validate
real responses against the schemas below. Enumerations (case states, audit actions, titles, the
codes answered 409) are taken from the code that enforces them, so they cannot drift apart.
The senior manager's approval page (``/recovery/approve/<token>``) is HTML outside the API.
"""

from __future__ import annotations

from typing import Any

from lrs_keycloak import __version__
from lrs_keycloak.domain.entitlements import KNOWN_ENTITLEMENTS
from lrs_keycloak.domain.organisations import ORG_ID_SHAPE
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.domain.recovery import FORM_REQUIRED_FIELDS, MAX_TEXT, CaseState
from lrs_keycloak.domain.users import MAX_LENGTHS, MAX_STAFF_ID_LENGTH, TITLES
from lrs_keycloak.store.audit import EVENTS
from lrs_keycloak.web.limits import API_BODY_LIMIT
from lrs_keycloak.web.recovery import STATE_CODES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Errors"), description)


#: Every request's body is capped (web/limits.py), whatever the operation.
_TOO_LARGE = {"413": {"$ref": "#/components/responses/TooLarge"}}
_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorised"},
    **_TOO_LARGE,
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
_DETAILS: dict[str, dict[str, Any]] = {
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
# Each free-text value's maximum, from the domain: a longer one is refused (422, too-long).
_DETAILS = {name: {**schema, "maxLength": MAX_LENGTHS[name]} for name, schema in _DETAILS.items()}


def _limited(name: str) -> dict[str, Any]:
    return {**_TEXT, "maxLength": MAX_LENGTHS[name]}


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
                "description": "e.g. email-missing, too-few-super-users (deputies); for the "
                "help desk also not-agreement-signatory, recorded-on-waiting-case, "
                "primary-contact-not-updated, email-failed (the case is kept; resend the link).",
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
            "reference": {**_limited("reference"), "description": "Authorisation reference."},
        },
    },
    "UserChanges": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "Only the fields to change; null clears an optional one. A user may "
        "change their own name and contact details; roles never change here.",
        "properties": {**{k: _limited(k) for k in _DETAILS}, "reference": _limited("reference")},
    },
    "RoleChange": {
        "type": "object",
        "required": ["roles"],
        "additionalProperties": False,
        "properties": {
            "roles": {"type": "array", "items": {"type": "string"}},
            "reference": {
                **_limited("reference"),
                "description": "Who authorised it; required when the change gives more access.",
            },
        },
    },
    "Reason": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": {
                "type": "string",
                "maxLength": MAX_LENGTHS["reason"],
                "description": "Kept in the audit log.",
            }
        },
    },
    "UserResult": {
        "type": "object",
        "required": ["user", "warnings"],
        "properties": {
            "user": _ref("User"),
            "warnings": {"type": "array", "items": _ref("Warning")},
            "event_id": {"type": "integer", "description": "The audit event written."},
            "existing": {
                "const": True,
                "description": "A creation for someone who already has an account here: that "
                "account, nothing created.",
            },
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


# --- the help desk's recovery of a lost Super User (guide §10.2), web/recovery.py ----------------


def _line(description: str) -> dict[str, Any]:
    return {"type": "string", "maxLength": MAX_TEXT, "description": description}


def _nullable(name: str, description: str) -> dict[str, Any]:
    return {"anyOf": [_ref(name), {"type": "null"}], "description": description}


#: The New Super User Form as ``NewSuperUserForm.from_dict`` reads it and ``validate_form``
#: checks it; a recorded form is stored (and answered) with the same fields.
_FORM = {
    "organisation_id": _line("The registered organisation the form is for (its id)."),
    "nominee_title": {"enum": list(TITLES)},
    "nominee_given_name": _line("The guide's name rules apply: a named person, never generic."),
    "nominee_family_name": _line("As for the given name."),
    "nominee_email": {
        **_line(
            "Keycloak mails the new super user's set-password link here: their only way to a "
            "password (the help desk never sees one)."
        ),
        "format": "email",
    },
    "nominee_telephone": _line("10 to 15 digits; only digits, spaces and + ( ) -."),
    "nominee_staff_id": {
        "type": ["string", "null"],
        "maxLength": MAX_STAFF_ID_LENGTH,
        "description": "Optional; blank is recorded as null.",
    },
    "manager_name": _line("The senior manager who approves the form."),
    "manager_job_title": _line("The senior manager's job title."),
    "manager_email": {
        **_line("The approval link goes here; must not be the nominee's address."),
        "format": "email",
    },
    "manager_signed_agreement": {
        "type": "boolean",
        "description": "Whether the manager signed the Organisation Agreement; false is accepted "
        "with the warning not-agreement-signatory (the guide prefers the signatory).",
    },
    "form_reference": _line("The form's own reference, e.g. NSU-2024-017."),
    "received_on": {
        "type": "string",
        "format": "date",
        "description": "When MIAP received the form, YYYY-MM-DD; not in the future.",
    },
    "make_primary_contact": {
        "type": "boolean",
        "default": False,
        "description": "Guide §9: the new super user becomes MIAP's primary contact on completion.",
    },
}
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_STATE = {"enum": [s.value for s in CaseState]}
#: States a case reaches only through its form (every one but awaiting_form and cancelled).
_WITH_FORM = [s.value for s in CaseState if s not in (CaseState.AWAITING_FORM, CaseState.CANCELLED)]

HELPDESK_SCHEMAS: dict[str, Any] = {
    "NewSuperUserForm": {
        "type": "object",
        "required": list(FORM_REQUIRED_FIELDS),
        "description": "The New Super User Form as received (guide §10.2). Texts must be "
        "non-blank and on one line; other fields are ignored.",
        "properties": {
            **_FORM,
            "send_link": {
                "type": "boolean",
                "default": True,
                "description": "Email the senior manager the approval link now (the case "
                "becomes awaiting_approval); false leaves it received.",
            },
        },
    },
    "RecordedForm": {
        "type": "object",
        "required": list(_FORM),
        "properties": _FORM,
    },
    "ApprovalLink": {
        "type": "object",
        "required": ["sent_at", "sent_to", "sent_by", "expires_at", "used_at"],
        "description": "The latest link (a new one replaces it); never the token itself.",
        "properties": {
            "sent_at": _TIME,
            "sent_to": {"type": "string", "description": "The form's manager_email."},
            "sent_by": {"type": "string"},
            "expires_at": _TIME,
            "used_at": _TIME_OR_NULL,
        },
    },
    "Decision": {
        "type": "object",
        "required": ["method", "approved", "by", "at", "ip", "reference"],
        "properties": {
            "method": {"enum": ["link", "paper"]},
            "approved": {"type": "boolean"},
            "by": {
                "type": "string",
                "description": "The manager's email (link) or the agent who recorded the paper.",
            },
            "at": _TIME,
            "ip": {"type": ["string", "null"]},
            "reference": {
                "type": ["string", "null"],
                "description": "The scan's reference of a paper approval.",
            },
        },
    },
    "RecoveryCase": {
        "type": "object",
        "required": [
            "id",
            "organisation_id",
            "state",
            "form",
            "form_recorded_by",
            "form_recorded_at",
            "created_at",
            "updated_at",
            "raised_by",
            "approval_link",
            "decision",
            "completed_at",
            "completed_by",
            "super_user",
            "primary_contact_updated",
            "closed_at",
            "closed_by",
            "close_reason",
        ],
        "properties": {
            "id": {"type": "integer"},
            "organisation_id": {"type": "string"},
            "state": {
                **_STATE,
                "description": "awaiting_form → received → awaiting_approval → approved → "
                "completing → completed; or rejected, expired (a new link makes it "
                "awaiting_approval again), cancelled.",
            },
            "form": _nullable(
                "RecordedForm",
                "null while the case awaits its form: the enforcer opened it when the "
                "organisation lost its last active super user (also once such a case is "
                "cancelled).",
            ),
            "form_recorded_by": {"type": ["string", "null"]},
            "form_recorded_at": _TIME_OR_NULL,
            "created_at": _TIME,
            "updated_at": _TIME,
            "raised_by": {
                "type": "string",
                "description": "The agent who opened it, or the enforcer (lrs-enforcer).",
            },
            "approval_link": _nullable("ApprovalLink", "null until a link is sent."),
            "decision": _nullable("Decision", "null until the senior manager answers."),
            "completed_at": _TIME_OR_NULL,
            "completed_by": {"type": ["string", "null"]},
            "super_user": {"type": ["string", "null"], "description": "The account created."},
            "primary_contact_updated": {"type": "boolean"},
            "closed_at": _TIME_OR_NULL,
            "closed_by": {"type": ["string", "null"]},
            "close_reason": {"type": ["string", "null"]},
        },
        "allOf": [
            {
                "if": {"required": ["state"], "properties": {"state": {"const": "awaiting_form"}}},
                "then": {"properties": {"form": {"type": "null"}}},
            },
            {
                "if": {"required": ["state"], "properties": {"state": {"enum": _WITH_FORM}}},
                "then": {"properties": {"form": _ref("RecordedForm")}},
            },
        ],
    },
    "ReliedOn": {
        "type": "object",
        "required": ["nominee", "manager", "approval", "request_entered_by"],
        "description": "What the completing agent relies on (issue 9 §1: four eyes): shown to "
        "them before they complete, and answered with the completion.",
        "properties": {
            "nominee": {
                "type": ["object", "null"],
                "required": ["name", "email", "telephone"],
                "properties": {"name": _TEXT, "email": _TEXT, "telephone": _TEXT},
            },
            "manager": {
                "type": ["object", "null"],
                "required": ["name", "job_title", "email", "signed_agreement"],
                "properties": {
                    "name": _TEXT,
                    "job_title": _TEXT,
                    "email": _TEXT,
                    "signed_agreement": {"type": "boolean"},
                },
            },
            "approval": _nullable("Decision", "null until the senior manager answers."),
            "request_entered_by": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The agents who raised the case or recorded its form: none of "
                "them may complete it.",
            },
        },
    },
    "Signatory": {
        "type": "object",
        "required": ["name", "email"],
        "description": "The Organisation Agreement's signatory as the organisation gave MIAP "
        "them: the only address a recovery approval link may go to.",
        "properties": {
            "name": {"type": "string", "maxLength": 255},
            "email": {"type": "string", "maxLength": 254},
            "job_title": {"type": ["string", "null"], "maxLength": 255},
        },
    },
    "RecordedSignatory": {
        "type": "object",
        "required": ["name", "email", "job_title", "recorded_by", "recorded_at"],
        "properties": {
            "name": _TEXT,
            "email": _TEXT,
            "job_title": {"type": ["string", "null"]},
            "recorded_by": _TEXT,
            "recorded_at": _TIME,
        },
    },
    "SignatoryChange": {
        "allOf": [_ref("Signatory")],
        "type": "object",
        "properties": {
            "reason": {
                "type": ["string", "null"],
                "maxLength": 1000,
                "description": "Required when the organisation already has a signatory (422 "
                "reason-required); kept in the audit log.",
            }
        },
    },
    "SignatoryRecorded": {
        "type": "object",
        "required": ["signatory", "event_id"],
        "properties": {
            "signatory": _ref("RecordedSignatory"),
            "event_id": {"type": "integer", "description": "The audit event written."},
        },
    },
    "RecoveryCaseWithAudit": {
        "allOf": [_ref("RecoveryCase")],
        "type": "object",
        "required": ["audit", "relied_on", "signatory"],
        "properties": {
            "relied_on": _ref("ReliedOn"),
            "signatory": _nullable(
                "RecordedSignatory",
                "The organisation's signatory now (null: none recorded, paper approval only).",
            ),
            "audit": {
                "type": "array",
                "items": _ref("AuditEvent"),
                "description": "The case's events, oldest first.",
            },
        },
    },
    "CaseResult": {
        "type": "object",
        "required": ["case", "warnings"],
        "properties": {
            "case": _ref("RecoveryCase"),
            "warnings": {"type": "array", "items": _ref("Warning")},
        },
    },
    "CompletedCase": {
        "allOf": [_ref("CaseResult")],
        "type": "object",
        "required": ["user", "relied_on"],
        "properties": {"user": _ref("User"), "relied_on": _ref("ReliedOn")},
    },
    "CaseList": {
        "type": "object",
        "required": ["cases"],
        "properties": {
            "cases": {
                "type": "array",
                "items": _ref("RecoveryCase"),
                "description": "Newest first, at most 500.",
            }
        },
    },
    "CaseDetail": {
        "type": "object",
        "required": ["case"],
        "properties": {"case": _ref("RecoveryCaseWithAudit")},
    },
    "PaperApproval": {
        "type": "object",
        "required": ["scan_reference"],
        "properties": {
            "scan_reference": {
                "type": "string",
                "description": "The reference of the scanned, signed approval; not blank.",
            }
        },
    },
    "CancelReason": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "description": "Not blank; kept in the audit log."}
        },
    },
    "HelpDeskOrganisation": {
        "type": "object",
        "required": [
            "organisation",
            "primary_contact",
            "super_users",
            "counts",
            "recovery_allowed",
            "contact_instead",
            "open_cases",
            "signatory",
            "case_history",
            "failed_requests",
            "warnings",
        ],
        "properties": {
            "organisation": {
                "type": "object",
                "required": ["id", "name", "kind", "entitlements"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                    "entitlements": {"type": "array", "items": {"type": "string"}},
                },
            },
            "primary_contact": {"type": ["string", "null"], "description": "A username."},
            "super_users": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["username", "given_name", "family_name", "email", "status"],
                    "properties": {
                        "username": {"type": "string"},
                        "given_name": {"type": "string"},
                        "family_name": {"type": "string"},
                        "email": _TEXT,
                        "status": {"enum": ["active", "suspended", "locked"]},
                    },
                },
            },
            "counts": {
                "type": "object",
                "required": [
                    "users",
                    "super_users",
                    "active_super_users",
                    "suspended_super_users",
                    "locked_super_users",
                ],
                "additionalProperties": {"type": "integer"},
            },
            "recovery_allowed": {
                "type": "boolean",
                "description": "True when no super user can act (guide §3): only then may the "
                "help desk create one.",
            },
            "contact_instead": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The active super users to contact instead, when not allowed.",
            },
            "open_cases": {"type": "array", "items": _ref("RecoveryCase")},
            "signatory": _nullable(
                "RecordedSignatory",
                "null: no signatory recorded, so approval links are refused (paper only).",
            ),
            "case_history": {
                "type": "array",
                "items": _ref("RecoveryCase"),
                "description": "Closed cases (completed, rejected, cancelled), newest first.",
            },
            "failed_requests": {
                "type": "integer",
                "description": "Requests rejected or expired unanswered; from 3 a warning "
                "repeated-failed-requests flags the organisation.",
            },
            "warnings": {"type": "array", "items": _ref("Warning")},
        },
    },
    "NewOrganisation": {
        "type": "object",
        "required": ["id", "name", "kind", "super_user"],
        "description": "Guide §1.1. Other fields are ignored.",
        "properties": {
            "id": {
                "type": "string",
                "pattern": f"^{ORG_ID_SHAPE}$",
                "description": "A lower-case slug, e.g. anytown-college: its Keycloak group.",
            },
            "name": {"type": "string", "description": "The registered name; not blank."},
            "kind": {
                "type": "string",
                "description": "One of the realm's organisation kinds (realm-config/roles.yaml), "
                "e.g. college, awarding-body.",
            },
            "entitlements": {
                "type": "array",
                "items": {"enum": sorted(KNOWN_ENTITLEMENTS)},
                "default": [],
                "description": "Those the kind may have; an awarding body always holds its own.",
            },
            "super_user": {
                "type": "object",
                "required": ["title", "given_name", "family_name", "verification_provided"],
                "description": "The first Super User; a value that is not a string is ignored.",
                "properties": {
                    "title": _DETAILS["title"],
                    "given_name": {"type": "string"},
                    "family_name": {"type": "string"},
                    "verification_provided": _DETAILS["verification_provided"],
                    "email": _DETAILS["email"],
                    "telephone": _TEXT,
                    "mobile": _TEXT,
                    "staff_id": _TEXT,
                },
            },
            "signatory": {
                **_ref("Signatory"),
                "description": "The Organisation Agreement's signatory (recommended): without "
                "one, a warning no-signatory-recorded says recovery is paper-only.",
            },
        },
    },
    "RegisteredOrganisation": {
        "type": "object",
        "required": ["user", "warnings", "event_id"],
        "properties": {
            "user": _ref("User"),
            "warnings": {"type": "array", "items": _ref("Warning")},
            "event_id": {"type": "integer", "description": "The audit event written."},
        },
    },
}
#: A help desk agent's access token: the realm role is checked against Keycloak on each call.
_HELPDESK = [{"bearer": [HELPDESK_REALM_ROLE]}]


def _helpdesk(
    operation_id: str, summary: str, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A help desk operation: its security, its tag and the answers every one of them may give."""
    return {
        "operationId": operation_id,
        "tags": ["Help desk"],
        "summary": summary,
        "security": _HELPDESK,
        **extra,
        "responses": {
            **responses,
            "401": {"$ref": "#/components/responses/Unauthorised"},
            "403": {"$ref": "#/components/responses/NotHelpDesk"},
            **_TOO_LARGE,
            "500": {"$ref": "#/components/responses/InternalError"},
            "503": {"$ref": "#/components/responses/KeycloakUnavailable"},
        },
    }


_CASE_ID = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "description": "The recovery case's number.",
    "schema": {"type": "integer", "minimum": 0},
}
_NO_CASE = {"404": {"$ref": "#/components/responses/HelpDeskNotFound"}}
_CONFLICT = {"409": {"$ref": "#/components/responses/StateConflict"}}
_HD_REFUSED = {"422": {"$ref": "#/components/responses/HelpDeskRefused"}}
_MAIL = {"502": {"$ref": "#/components/responses/MailFailed"}}
_CASE_LOCATION = {
    "Location": {"description": "The case's URL.", "schema": {"type": "string"}},
}

HELPDESK_PATHS: dict[str, Any] = {
    "/api/v1/recovery-cases": {
        "get": _helpdesk(
            "listRecoveryCases",
            "Recovery cases, newest first; links that ran out are marked expired first.",
            {"200": _json(_ref("CaseList"), "The cases."), **_HD_REFUSED},
            parameters=[
                {
                    "name": "state",
                    "in": "query",
                    "description": "Another value is refused (422 unknown-state).",
                    "schema": _STATE,
                },
                {
                    "name": "organisation",
                    "in": "query",
                    "description": "Only this organisation's cases (its id).",
                    "schema": {"type": "string"},
                },
            ],
        ),
        "post": _helpdesk(
            "openRecoveryCase",
            "Open a case from the New Super User Form (guide §10.2), only when the organisation "
            "has no active super user (422 super-user-can-act names whom to contact), and email "
            "the senior manager the approval link unless send_link is false (if that email "
            "fails, the case is still opened and an email-failed warning names it).",
            {
                "201": {
                    **_json(_ref("CaseResult"), "Opened."),
                    "headers": _CASE_LOCATION,
                },
                "200": {
                    **_json(
                        _ref("CaseResult"),
                        "No new case: the organisation's case awaiting its form (opened by the "
                        "enforcer) now holds the form; the first warning, "
                        "recorded-on-waiting-case, names it.",
                    ),
                    "headers": _CASE_LOCATION,
                },
                **_CONFLICT,
                **_HD_REFUSED,
            },
            requestBody=_body("NewSuperUserForm"),
        ),
    },
    "/api/v1/recovery-cases/{case_id}": {
        "parameters": [_CASE_ID],
        "get": _helpdesk(
            "showRecoveryCase",
            "One case with its audit trail.",
            {"200": _json(_ref("CaseDetail"), "The case."), **_NO_CASE},
        ),
    },
    "/api/v1/recovery-cases/{case_id}/form": {
        "parameters": [_CASE_ID],
        "post": _helpdesk(
            "recordRecoveryForm",
            "Record the New Super User Form on a case awaiting it (awaiting_form → received), "
            "checked as when opening a case; a recorded form is never replaced (409 "
            "form-already-recorded). Emails the approval link unless send_link is false (if that "
            "email fails, the form is still recorded and an email-failed warning says so).",
            {
                "200": _json(_ref("CaseResult"), "Recorded."),
                **_NO_CASE,
                **_CONFLICT,
                **_HD_REFUSED,
            },
            requestBody=_body("NewSuperUserForm"),
        ),
    },
    "/api/v1/recovery-cases/{case_id}/approval": {
        "parameters": [_CASE_ID],
        "post": _helpdesk(
            "recordPaperApproval",
            "Record the senior manager's approval received on paper: by a second agent, never "
            "the one who raised the case or recorded its form (422 own-case).",
            {
                "200": _json(_ref("CaseResult"), "Approved."),
                **_NO_CASE,
                **_CONFLICT,
                **_HD_REFUSED,
            },
            requestBody=_body("PaperApproval"),
        ),
    },
    "/api/v1/recovery-cases/{case_id}/approval-link": {
        "parameters": [_CASE_ID],
        "post": _helpdesk(
            "sendApprovalLink",
            "Email the senior manager a new approval link (it replaces the previous one), e.g. "
            "after the last one expired. The link goes only to the Organisation Agreement "
            "signatory MIAP holds, when the form's manager is that person and no agent of the "
            "case recorded them (422 no-signatory-recorded, manager-not-signatory, "
            "signatory-recorded-by-agent: paper approval only). No request body.",
            {
                "200": _json(_ref("CaseResult"), "Sent."),
                **_NO_CASE,
                **_CONFLICT,
                **_HD_REFUSED,
                **_MAIL,
            },
        ),
    },
    "/api/v1/recovery-cases/{case_id}/complete": {
        "parameters": [_CASE_ID],
        "post": _helpdesk(
            "completeRecoveryCase",
            "Create the new super user of an approved case, exactly once (a generated username; "
            "Keycloak mails the set-password link), and make them the primary contact when the "
            "form says so. Four eyes: refused to the agent who raised the case or recorded its "
            "form (422 own-case). Refused if a super user is active again (422 "
            "super-user-active-again). The answer names what the agent relied on. No body.",
            {
                "200": _json(_ref("CompletedCase"), "Completed: the case and the new user."),
                **_NO_CASE,
                **_CONFLICT,
                **_HD_REFUSED,
            },
        ),
    },
    "/api/v1/recovery-cases/{case_id}/cancel": {
        "parameters": [_CASE_ID],
        "post": _helpdesk(
            "cancelRecoveryCase",
            "Cancel a case that is not finished, with a reason (422 reason-required).",
            {
                "200": _json(_ref("CaseResult"), "Cancelled."),
                **_NO_CASE,
                **_CONFLICT,
                **_HD_REFUSED,
            },
            requestBody=_body("CancelReason"),
        ),
    },
    "/api/v1/helpdesk/organisations": {
        "post": _helpdesk(
            "registerOrganisation",
            "Register an organisation with its first Super User (guide §1.1) and its "
            "Organisation Agreement signatory; Keycloak mails the Super User the set-password "
            "link.",
            {
                "201": _json(_ref("RegisteredOrganisation"), "Registered."),
                **_HD_REFUSED,
            },
            requestBody=_body("NewOrganisation"),
        ),
    },
    "/api/v1/helpdesk/organisations/{org_id}": {
        "parameters": [
            {
                "name": "org_id",
                "in": "path",
                "required": True,
                "description": "The organisation's id.",
                "schema": {"type": "string"},
            }
        ],
        "get": _helpdesk(
            "helpDeskOrganisation",
            "Any organisation as the help desk sees it: its super users and their status, the "
            "primary contact, whether recovery is allowed (guide §3), its open cases.",
            {
                "200": _json(_ref("HelpDeskOrganisation"), "The organisation."),
                **_NO_CASE,
                **_HD_REFUSED,
            },
        ),
    },
    "/api/v1/helpdesk/organisations/{org_id}/signatory": {
        "parameters": [
            {
                "name": "org_id",
                "in": "path",
                "required": True,
                "description": "The organisation's id.",
                "schema": {"type": "string"},
            }
        ],
        "put": _helpdesk(
            "recordSignatory",
            "Record or change the organisation's Organisation Agreement signatory from the "
            "signed agreement (issue 9 §1): audited, a change needs a reason. An agent who "
            "recorded it cannot send a recovery approval link relying on it.",
            {"200": _json(_ref("SignatoryRecorded"), "Recorded."), **_HD_REFUSED},
            requestBody=_body("SignatoryChange"),
        ),
    },
}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "LRS user administration API",
        "version": __version__,
        "description": "Super users manage their own organisation's users (MIAP guide §3-§8); "
        "MIAP help desk agents recover a lost Super User (guide §10.2) and register "
        "organisations (§1.1). Send an access token of the realm, issued to the lrs-portal "
        "client, as `Authorization: Bearer <token>`. Another organisation's users are "
        "invisible to a super user (404). Every change writes one audit event. The senior "
        "manager answers a recovery case on an HTML page outside this API "
        "(/recovery/approve/<token>, the link emailed to them).",
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
    "paths": {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document."}, **_TOO_LARGE},
            }
        },
        "/api/v1/organisations/{org}/users": {
            "parameters": [_ORG],
            "get": {
                "operationId": "listUsers",
                "tags": ["Super users"],
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
                "tags": ["Super users"],
                "summary": "Create a named person's account (guide §4); the username is "
                "generated and Keycloak mails the set-password link.",
                "requestBody": _body("NewUser"),
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Send a new key (e.g. a UUID) with each new person, "
                        "and the same key when retrying after a lost answer: the retry gets "
                        "the first answer again (with Idempotent-Replayed: true), never a "
                        "second account. Kept 24 hours per caller. A key used for a different "
                        "body is refused (422 idempotency-key-reused); while the first request "
                        "is still running, 409 request-in-progress. Without a key a retry is "
                        "still recognised by the person (same names and email or staff ID).",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                ],
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
                    "200": _json(
                        _ref("UserResult"),
                        "The person already has an account here (a repeated creation): that "
                        "account, with a person-already-registered warning; nothing created.",
                    ),
                    **_REFUSABLE,
                    "409": _error(
                        "A request with this Idempotency-Key is still running "
                        "(request-in-progress): send it again in a moment."
                    ),
                },
            },
        },
        "/api/v1/organisations/{org}/users/{username}": {
            "parameters": [_ORG, _USERNAME],
            "get": {
                "operationId": "getUser",
                "tags": ["Super users"],
                "summary": "One user of the organisation.",
                "responses": {"200": _json(_ref("UserResult"), "The user."), **_IN_ORG},
            },
            "patch": {
                "operationId": "updateUser",
                "tags": ["Super users"],
                "summary": "Update details (guide §5); a user may update their own name and "
                "contact details.",
                "requestBody": _body("UserChanges"),
                "responses": {"200": _json(_ref("UserResult"), "Updated."), **_REFUSABLE},
            },
            "delete": {
                "operationId": "removeUser",
                "tags": ["Super users"],
                "summary": "Delete the account from Keycloak (guide §7); its audit trail stays. "
                "The last active super user cannot be removed.",
                "parameters": [
                    {
                        "name": "reason",
                        "in": "query",
                        "schema": {"type": "string", "maxLength": MAX_LENGTHS["reason"]},
                    }
                ],
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
                "tags": ["Super users"],
                "summary": "Replace the user's roles (guide §5), recording who authorised it.",
                "requestBody": _body("RoleChange"),
                "responses": {"200": _json(_ref("UserResult"), "Changed."), **_REFUSABLE},
            },
        },
        "/api/v1/organisations/{org}/users/{username}/suspend": {
            "parameters": [_ORG, _USERNAME],
            "post": {
                "operationId": "suspendUser",
                "tags": ["Super users"],
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
                "tags": ["Super users"],
                "summary": "Re-enable the account and clear a lock (guide §6.1); reason required.",
                "requestBody": _body("Reason"),
                "responses": {"200": _json(_ref("UserResult"), "Reinstated."), **_REFUSABLE},
            },
        },
        "/api/v1/organisations/{org}/audit-events": {
            "parameters": [_ORG],
            "get": {
                "operationId": "auditEvents",
                "tags": ["Super users"],
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
                "tags": ["Super users"],
                "summary": "Which users accepted which User Agreement version, and when (§4.3).",
                "responses": {
                    "200": _json(_ref("AgreementReport"), "One row per user of the organisation."),
                    **_IN_ORG,
                },
            },
        },
        **HELPDESK_PATHS,
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token (typ Bearer, RS256) of the realm, azp lrs-portal. "
                "An operation that names a role (lrs-helpdesk) needs its holder to hold that "
                "realm role and be active, as Keycloak knows them at the time of the call.",
            }
        },
        "schemas": {**SCHEMAS, **HELPDESK_SCHEMAS},
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
            "TooLarge": _error(
                "The request body is larger than the API accepts (LRS_MAX_BODY_BYTES, "
                f"{API_BODY_LIMIT // 1024} KiB by default): refused (body-too-large) before it "
                "is read when Content-Length says so, or as soon as a chunked body grows past it."
            ),
            "InternalError": _error("Unexpected error; `error_id` is in the log."),
            "KeycloakUnavailable": _error("Keycloak cannot be reached."),
            # The help desk's routes (web/recovery.py) map their errors themselves.
            "NotHelpDesk": _error(
                "The token's holder is not an active MIAP help desk agent (realm role "
                f"{HELPDESK_REALM_ROLE}): without the role, disabled or locked."
            ),
            "HelpDeskNotFound": _error("No such recovery case or organisation."),
            "StateConflict": _error(
                "The case's state forbids it. A refusal is 409 when any of its errors has one of "
                f"the codes {', '.join(sorted(STATE_CODES))}; the other errors found come "
                "with it."
            ),
            "HelpDeskRefused": _error(
                "A body of the wrong shape (invalid-json, required, invalid-type, invalid, "
                "invalid-date) or a rule of the guide refused it (`rule` cites it)."
            ),
            "MailFailed": _error(
                "The approval email could not be sent (email-failed), so its link does not work "
                "and the case keeps the state it had before the sending. (Opening a case or "
                "recording its form does not answer this: the case is kept and the answer "
                "carries an email-failed warning naming it.)"
            ),
        },
    },
}
