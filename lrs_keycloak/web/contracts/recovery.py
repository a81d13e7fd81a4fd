"""The help desk's recovery of a lost Super User (guide §10.2): the New Super User Form in,
recovery cases out.

The form's fields are read by the domain (``NewSuperUserForm.from_dict``, for the API and a
form file alike); this model holds them to their types and lengths first, and answers a field
that is missing, of the wrong kind or too long exactly as the domain does.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import MAX_ORG_ID_LENGTH
from lrs_keycloak.domain.recovery import CaseState, NewSuperUserForm
from lrs_keycloak.domain.recovery.form import (
    FORM_MAX_LENGTHS,
    too_long,
    unreadable,
)
from lrs_keycloak.domain.users import MAX_CHOICE_LENGTH, MAX_LENGTHS, TITLES
from lrs_keycloak.web.contracts.common import Answer, Contract, Kind, Warning
from lrs_keycloak.web.contracts.users import AuditEvent, User

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def _line(name: str, description: str, **schema: Any) -> Any:
    return Field(
        max_length=FORM_MAX_LENGTHS[name], description=description, json_schema_extra=schema
    )


class _FormFields(Contract):
    """The form's fields, in a body (with ``send_link``) and in a recorded case."""

    organisation_id: str = _line(
        "organisation_id", "The registered organisation the form is for (its id)."
    )
    nominee_title: str = _line("nominee_title", "The nominee's title.", enum=list(TITLES))
    nominee_given_name: str = _line(
        "nominee_given_name", "The guide's name rules apply: a named person, never generic."
    )
    nominee_family_name: str = _line("nominee_family_name", "As for the given name.")
    nominee_email: str = _line(
        "nominee_email",
        "Keycloak mails the new super user's set-password link here: their only way to a "
        "password (the help desk never sees one).",
        format="email",
    )
    nominee_telephone: str = _line(
        "nominee_telephone", "10 to 15 digits; only digits, spaces and + ( ) -."
    )
    nominee_staff_id: str | None = Field(
        None,
        max_length=FORM_MAX_LENGTHS["nominee_staff_id"],
        description="Optional; blank is recorded as null.",
    )
    manager_name: str = _line("manager_name", "The senior manager who approves the form.")
    manager_job_title: str = _line("manager_job_title", "The senior manager's job title.")
    manager_email: str = _line(
        "manager_email",
        "The approval link goes here; must not be the nominee's address.",
        format="email",
    )
    manager_signed_agreement: StrictBool = Field(
        description="Whether the manager signed the Organisation Agreement; false is accepted "
        "with the warning not-agreement-signatory (the guide prefers the signatory)."
    )
    form_reference: str = _line("form_reference", "The form's own reference, e.g. NSU-2024-017.")
    # Text here: the domain reads the date (a form file's YAML may hold a date already).
    received_on: str = Field(
        description="When MIAP received the form, YYYY-MM-DD; not in the future.",
        json_schema_extra={"format": "date"},
    )
    make_primary_contact: StrictBool = Field(
        False,
        description="Guide §9: the new super user becomes MIAP's primary contact on completion.",
    )

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        if kind == "too-long" and name in FORM_MAX_LENGTHS:
            return too_long(name)
        if kind in ("missing", "type") and name in _FormFields.model_fields:
            return unreadable(name)
        return super().refusal(name, kind, value, expected)


class NewSuperUserFormBody(_FormFields):
    """The New Super User Form as received (guide §10.2). Texts must be non-blank and on one
    line."""

    send_link: StrictBool = Field(
        True,
        description="Email the senior manager the approval link now (the case becomes "
        "awaiting_approval); false leaves it received.",
    )

    def form(self) -> NewSuperUserForm:
        """The form as the domain reads it (the same reading as a form file's)."""
        return NewSuperUserForm.from_dict(self.model_dump(exclude={"send_link"}))


class RecordedForm(Answer):
    """The form as a case holds it."""

    organisation_id: str
    nominee_title: str
    nominee_given_name: str
    nominee_family_name: str
    nominee_email: str
    nominee_telephone: str
    nominee_staff_id: str | None
    manager_name: str
    manager_job_title: str
    manager_email: str
    manager_signed_agreement: bool
    form_reference: str
    received_on: str = Field(json_schema_extra={"format": "date"})
    make_primary_contact: bool


class ApprovalLink(Answer):
    """The latest link (a new one replaces it); never the token itself."""

    sent_at: Time
    sent_to: str = Field(description="The form's manager_email.")
    sent_by: str
    expires_at: Time
    used_at: Time | None


class Decision(Answer):
    method: str = Field(json_schema_extra={"enum": ["link", "paper"]})
    approved: bool
    by: str = Field(description="The manager's email (link) or the agent who recorded the paper.")
    at: Time
    ip: str | None
    reference: str | None = Field(description="The scan's reference of a paper approval.")


#: States a case reaches only through its form (every one but awaiting_form and cancelled).
_WITH_FORM = [s.value for s in CaseState if s not in (CaseState.AWAITING_FORM, CaseState.CANCELLED)]
_FORM_REF: Any = {"$ref": "#/components/schemas/RecordedForm"}
_STATES: Any = _WITH_FORM


class RecoveryCase(Answer):
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "required": ["state"],
                        "properties": {"state": {"const": CaseState.AWAITING_FORM.value}},
                    },
                    "then": {"properties": {"form": {"type": "null"}}},
                },
                {
                    "if": {"required": ["state"], "properties": {"state": {"enum": _STATES}}},
                    "then": {"properties": {"form": _FORM_REF}},
                },
            ]
        }
    )

    id: int
    organisation_id: str
    state: CaseState = Field(
        description="awaiting_form → received → awaiting_approval → approved → completing → "
        "completed; or rejected, expired (a new link makes it awaiting_approval again), "
        "cancelled."
    )
    form: RecordedForm | None = Field(
        description="null while the case awaits its form: the enforcer opened it when the "
        "organisation lost its last active super user (also once such a case is cancelled)."
    )
    form_recorded_by: str | None
    form_recorded_at: Time | None
    created_at: Time
    updated_at: Time
    raised_by: str = Field(description="The agent who opened it, or the enforcer (lrs-enforcer).")
    approval_link: ApprovalLink | None = Field(description="null until a link is sent.")
    decision: Decision | None = Field(description="null until the senior manager answers.")
    completed_at: Time | None
    completed_by: str | None
    super_user: str | None = Field(description="The account created.")
    primary_contact_updated: bool
    closed_at: Time | None
    closed_by: str | None
    close_reason: str | None


class Nominee(Answer):
    name: str | None
    email: str | None
    telephone: str | None


class Manager(Answer):
    name: str | None
    job_title: str | None
    email: str | None
    signed_agreement: bool


class ReliedOn(Answer):
    """What the completing agent relies on (issue 9 §1: four eyes): shown to them before they
    complete, and answered with the completion."""

    nominee: Nominee | None
    manager: Manager | None
    approval: Decision | None = Field(description="null until the senior manager answers.")
    request_entered_by: list[str] = Field(
        description="The agents who raised the case or recorded its form: none of them may "
        "complete it."
    )


class RecordedSignatory(Answer):
    name: str | None
    email: str | None
    job_title: str | None
    recorded_by: str | None
    recorded_at: Time


class RecoveryCaseWithAudit(RecoveryCase):
    relied_on: ReliedOn
    signatory: RecordedSignatory | None = Field(
        description="The organisation's signatory now (null: none recorded, paper approval only)."
    )
    audit: list[AuditEvent] = Field(description="The case's events, oldest first.")


class CaseResult(Answer):
    case: RecoveryCase
    warnings: list[Warning]


class CompletedCase(CaseResult):
    user: User
    relied_on: ReliedOn


class CaseList(Answer):
    cases: list[RecoveryCase] = Field(description="Newest first, at most 500.")


class CaseDetail(Answer):
    case: RecoveryCaseWithAudit


class PaperApproval(Contract):
    scan_reference: str = Field(
        max_length=MAX_LENGTHS["reference"],
        description="The reference of the scanned, signed approval; not blank.",
    )


class CancelReason(Contract):
    # Left out, it is blank: the service's refusal (reason-required) answers both alike.
    reason: str | None = Field(
        None,
        max_length=MAX_LENGTHS["reason"],
        description="Required and not blank (422 reason-required); kept in the audit log.",
    )


class CaseQuery(Contract):
    # Read as text and refused by the service (422 unknown-state, naming the states), which
    # the CLI calls too; documented as the enumeration it is.
    state: str | None = Field(
        None,
        max_length=MAX_CHOICE_LENGTH,
        description="Another value is refused (422 unknown-state).",
        json_schema_extra={"enum": [*(s.value for s in CaseState), None]},
    )
    organisation: str | None = Field(
        None,
        max_length=MAX_ORG_ID_LENGTH,
        description="Only this organisation's cases (its id).",
    )
