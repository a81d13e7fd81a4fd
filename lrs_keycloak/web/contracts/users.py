"""The super users' API: a user's details, roles and reasons in; a User and its results out.

The nine user-detail fields are not restated here: ``domain.users.DETAIL_FIELDS`` declares
them (name, required or not, maximum length, description) and the models are made from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field, create_model

from lrs_keycloak.domain.audit import EVENTS
from lrs_keycloak.domain.audit_report import MAX_INACTIVE_DAYS, ReportFilter, Status
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.users import (
    DETAIL_FIELDS,
    MAX_CHOICE_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_LENGTHS,
    DetailField,
    not_editable,
)
from lrs_keycloak.web.contracts.common import Answer, Contract, Kind, Warning, shape


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _detail(field: DetailField, *, all_optional: bool = False) -> Any:
    """The field as a pydantic field: required text, or optional text that null leaves out.
    In a change (``all_optional``) a required detail may be left out but never cleared: it is
    text, and null is refused as the missing value it would make (``title-required``…)."""
    if field.required and not all_optional:
        return (str, Field(max_length=field.max_length, description=field.description))
    if field.required:
        return (
            str,
            Field(
                None,
                max_length=field.max_length,
                description=field.description,
                json_schema_extra=_no_default,
            ),
        )
    return (
        str | None,
        Field(None, max_length=field.max_length, description=field.description),
    )


def details_fields(*, all_optional: bool = False) -> dict[str, Any]:
    """Every user-detail field, for ``create_model``; ``all_optional`` for a change."""
    return {f.name: _detail(f, all_optional=all_optional) for f in DETAIL_FIELDS}


def _text(name: str, description: str) -> Any:
    return (str | None, Field(None, max_length=MAX_LENGTHS[name], description=description))


_ROLES = (
    list[str],
    Field(description="The LRS roles' names.", json_schema_extra={"minItems": 1}),
)

NewUser = create_model(
    "NewUser",
    __base__=Contract,
    __doc__="A named person's account (guide §4.2): their details and roles.",
    **details_fields(),
    roles=_ROLES,
    reference=_text("reference", "Authorisation reference, kept in the audit log."),
)


class _Changes(Contract):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        # Anything but a detail is not editable here (roles have their own operation): the
        # answer the service gives to a change of it.
        if kind == "unknown":
            return not_editable(name)
        return super().refusal(name, kind, value, expected)


UserChanges = create_model(
    "UserChanges",
    __base__=_Changes,
    __doc__="Only the fields to change; null clears an optional one. A user may change their "
    "own name and contact details; roles never change here.",
    **details_fields(all_optional=True),
    reference=_text("reference", "Authorisation reference, kept in the audit log."),
)


class RoleChange(Contract):
    """The user's roles from now on (guide §5)."""

    roles: list[str] = Field(description="The LRS roles' names.")
    reference: str | None = Field(
        None,
        max_length=MAX_LENGTHS["reference"],
        description="Who authorised it; required when the change gives more access.",
    )


class Reason(Contract):
    reason: str | None = Field(
        None, max_length=MAX_LENGTHS["reason"], description="Kept in the audit log."
    )


# --- answers -----------------------------------------------------------------------------------


_USER: dict[str, Any] = dict(
    __doc__="A user as every answer shows them (made by ``user_json`` only). Details are as "
    "Keycloak holds them: null where nothing is recorded.",
    username=(str, ...),
    **{f.name: (str | None, Field(description=f.description)) for f in DETAIL_FIELDS},
    roles=(list[str], ...),
    status=(Status, ...),
    # A user just created is active and unlocked; Keycloak has not told its creation time.
    enabled=(bool, True),
    locked=(bool, False),
    created_at_ms=(int | None, None),
    last_login_ms=(
        int | None,
        Field(None, description="Last logon (epoch ms) from Keycloak's stored login events."),
    ),
)
User = create_model("User", **_USER)


def user_json(user: Mapping[str, Any]) -> dict[str, Any]:
    """The one way a user becomes JSON: every field of ``User``, in its order."""
    return User.model_validate(dict(user)).model_dump(mode="json")


class UserResult(Answer):
    user: User  # type: ignore[valid-type]
    warnings: list[Warning]
    event_id: int | None = Field(None, description="The audit event written.")
    existing: Literal[True] | None = Field(
        None,
        description="A creation for someone who already has an account here: that account, "
        "nothing created.",
    )


class UserList(Answer):
    users: list[User]  # type: ignore[valid-type]
    warnings: list[Warning]


def result_json(result: Any) -> dict[str, Any]:
    """A ``UserAdmin`` result as the API answers it, its users made by ``user_json``."""
    out: dict[str, Any] = result.as_dict()
    if "user" in out:
        out["user"] = user_json(out["user"])
    if "users" in out:
        out["users"] = [user_json(u) for u in out["users"]]
    return out


class AuditEvent(Answer):
    id: int
    at: str = Field(json_schema_extra={"format": "date-time"})
    actor: str
    organisation_id: str | None
    # The whole catalogue: an organisation's trail also holds the help desk's recovery events
    # and the enforcer's, not only its super users' own changes.
    action: Literal[tuple(e.name for e in EVENTS)]  # type: ignore[valid-type]
    target: str | None = None
    reason: str | None = None
    reference: str | None = None
    details: dict[str, Any] | None = None


class AuditEvents(Answer):
    events: list[AuditEvent]


class ConsoleChange(Answer):
    """A change made in the Keycloak admin console, as recorded in the trail (issue 12)."""

    id: int
    organisation_id: str
    action: str
    target: str
    made_by: str
    made_at: str = Field(json_schema_extra={"format": "date-time"})
    needs: Literal["reason", "reference"] | None = Field(
        description="What the companion app would have asked for: a reason (suspension, "
        "reinstatement) or an authorisation reference (a role given)."
    )
    needs_reason: bool = Field(description="True while it is still owed.")
    audit_event_id: int
    reason_event_id: int | None
    reason_added_at: str | None = Field(json_schema_extra={"format": "date-time"})
    reason_added_by: str | None


class ConsoleChanges(Answer):
    changes: list[ConsoleChange]


class ConsoleReason(Contract):
    """The reason (suspension, reinstatement) or reference (a role given) for a console change
    made without one; the change keeps its own time, the reason is recorded now."""

    reason: str | None = Field(None, description="For a suspension or reinstatement.")
    reference: str | None = Field(None, description="For a role given: its approval's reference.")


class Acceptance(Answer):
    username: str
    name: str
    accepted_version: str | None
    accepted_at: str | None = Field(description="ISO-8601, UTC")
    accepted_current_version: bool


class AgreementReport(Answer):
    users: list[Acceptance]


class ReportedUser(Answer):
    """One row of the audit of the user community (domain.audit_report.ReportRow)."""

    organisation_id: str
    username: str
    given_name: str
    family_name: str
    email: str | None
    staff_id: str | None
    roles: list[str]
    status: Status
    created_at_ms: int | None = Field(description="Epoch milliseconds.")
    last_logon_ms: int | None = Field(
        description="Epoch milliseconds; null when no logon is recorded."
    )
    agreement_version: str | None = Field(description="The version last accepted (§4.3).")
    agreement_accepted_at: str | None = Field(description="ISO-8601, UTC")
    open_flags: list[str] = Field(description="The rules of the enforcer's open flags.")


class AuditReport(Answer):
    users: list[ReportedUser]


# --- query strings -----------------------------------------------------------------------------


class UserQuery(Contract):
    search: str | None = Field(
        None,
        max_length=MAX_EMAIL_LENGTH,
        description="Part of a name, username, email or staff ID.",
    )
    role: str | None = Field(
        None, max_length=MAX_CHOICE_LENGTH, description="Only users holding this role."
    )
    status: Status | None = None

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        if name == "status" and kind == "type":
            wanted = ", ".join(get_args(Status))
            return shape("status", "invalid-status", f"status must be one of {wanted}.")
        return super().refusal(name, kind, value, expected)


#: The most audit events one answer holds.
MAX_AUDIT_EVENTS = 500
DEFAULT_AUDIT_EVENTS = 100


class ReportQuery(Contract):
    """The audit report's filters (every one optional) and its format."""

    role: str | None = Field(
        None, max_length=MAX_CHOICE_LENGTH, description="Only users holding this role."
    )
    status: Status | None = None
    inactive_days: int | None = Field(
        None,
        ge=1,
        le=MAX_INACTIVE_DAYS,
        description="Only users not logged on for this many days (never used: since creation).",
    )
    never_logged_on: bool = Field(False, description="Only users who never logged on.")
    not_accepted: bool = Field(
        False, description="Only users who have not accepted the current User Agreement."
    )
    format: Literal["json", "csv"] = Field(
        "json", description="csv: a streamed text/csv download, one row per user."
    )

    def filter(self) -> ReportFilter:
        return ReportFilter(
            role=self.role,
            status=self.status,
            inactive_days=self.inactive_days,
            never_logged_on=self.never_logged_on,
            not_accepted_current=self.not_accepted,
        )


class AuditQuery(Contract):
    limit: int = Field(DEFAULT_AUDIT_EVENTS, ge=1, le=MAX_AUDIT_EVENTS)

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        if name == "limit" and kind == "type":
            message = f"limit must be a whole number from 1 to {MAX_AUDIT_EVENTS}."
            return shape("limit", "invalid-limit", message)
        return super().refusal(name, kind, value, expected)
