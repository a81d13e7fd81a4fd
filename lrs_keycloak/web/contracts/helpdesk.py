"""The help desk's organisations: registering one with its first Super User and its
Organisation Agreement signatory (guide §1.1), the signatory, and an organisation as the help
desk sees it."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, create_model

from lrs_keycloak.domain.entitlements import KNOWN_ENTITLEMENTS
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import MAX_ORG_ID_LENGTH, MAX_ORG_NAME_LENGTH, ORG_ID_SHAPE
from lrs_keycloak.domain.signatories import MAX_SIGNATORY_TEXT, Signatory, validate_signatory
from lrs_keycloak.domain.users import MAX_EMAIL_LENGTH, MAX_LENGTHS
from lrs_keycloak.web.contracts.common import Answer, Contract, Kind, Warning
from lrs_keycloak.web.contracts.recovery import RecordedSignatory, RecoveryCase
from lrs_keycloak.web.contracts.users import User, details_fields

_ENTITLEMENTS: Any = sorted(KNOWN_ENTITLEMENTS)
#: Values the domain accepts, to ask it about one field alone.
_FINE = {"name": "Sam Signer", "email": "sam@example.org", "job_title": None}


class SignatoryBody(Contract):
    """The Organisation Agreement's signatory as the organisation gave MIAP them: the only
    address a recovery approval link may go to."""

    name: str = Field(max_length=MAX_SIGNATORY_TEXT)
    email: str = Field(max_length=MAX_EMAIL_LENGTH)
    job_title: str | None = Field(None, max_length=MAX_SIGNATORY_TEXT)

    @classmethod
    def refusal(cls, name: str, kind: Kind, value: Any, expected: str) -> Violation:
        if kind in ("missing", "too-long") and name in _FINE:
            # The domain's own answer to this value (blank when missing).
            values = {**_FINE, name: value if isinstance(value, str) else ""}
            asked = Signatory(values["name"] or "", values["email"] or "", values["job_title"])
            for found in validate_signatory(asked, prefix=""):
                if found.field == name:
                    return found
        return super().refusal(name, kind, value, expected)

    def signatory(self) -> Signatory:
        return Signatory(self.name, self.email, self.job_title)


class SignatoryChange(SignatoryBody):
    reason: str | None = Field(
        None,
        max_length=MAX_LENGTHS["reason"],
        description="Required when the organisation already has a signatory (422 "
        "reason-required); kept in the audit log.",
    )


class SignatoryRecorded(Answer):
    signatory: RecordedSignatory
    event_id: int = Field(description="The audit event written.")


NewSuperUser = create_model(
    "NewSuperUser",
    __base__=Contract,
    __doc__="The first Super User (guide §4.2 details).",
    **details_fields(),
)


class NewOrganisation(Contract):
    """Guide §1.1."""

    id: str = Field(
        description="A lower-case slug, e.g. anytown-college: its Keycloak group.",
        # Documented here, refused by the domain's own check (check_organisation_id).
        json_schema_extra={"pattern": f"^{ORG_ID_SHAPE}$", "maxLength": MAX_ORG_ID_LENGTH},
    )
    name: str = Field(description="The registered name; not blank.", max_length=MAX_ORG_NAME_LENGTH)
    kind: str = Field(
        description="One of the realm's organisation kinds (realm-config/roles.yaml), e.g. "
        "college, awarding-body.",
        # A kind is named like an organisation id; an unknown one is refused by name.
        max_length=MAX_ORG_ID_LENGTH,
    )
    entitlements: list[str] = Field(
        default_factory=list,
        description="Those the kind may have; an awarding body always holds its own.",
        json_schema_extra={"items": {"enum": _ENTITLEMENTS}},
    )
    super_user: NewSuperUser  # type: ignore[valid-type]
    signatory: SignatoryBody | None = Field(
        None,
        description="The Organisation Agreement's signatory (recommended): without one, a "
        "warning no-signatory-recorded says recovery is paper-only.",
    )


class RegisteredOrganisation(Answer):
    user: User
    warnings: list[Warning]
    event_id: int = Field(description="The audit event written.")


class OrganisationSummary(Answer):
    id: str
    name: str
    kind: str
    entitlements: list[str]


class SuperUserSummary(Answer):
    username: str
    given_name: str
    family_name: str
    email: str | None
    status: str = Field(json_schema_extra={"enum": ["active", "suspended", "locked"]})


class Counts(Answer):
    model_config = ConfigDict(json_schema_extra={"additionalProperties": {"type": "integer"}})

    users: int
    super_users: int
    active_super_users: int
    suspended_super_users: int
    locked_super_users: int
    active_users: int
    suspended_users: int
    locked_users: int


class HelpDeskOrganisation(Answer):
    organisation: OrganisationSummary
    primary_contact: str | None = Field(description="A username.")
    super_users: list[SuperUserSummary]
    counts: Counts
    recovery_allowed: bool = Field(
        description="True when no super user can act (guide §3): only then may the help desk "
        "create one."
    )
    contact_instead: list[str] = Field(
        description="The active super users to contact instead, when not allowed."
    )
    open_cases: list[RecoveryCase]
    signatory: RecordedSignatory | None = Field(
        description="null: no signatory recorded, so approval links are refused (paper only)."
    )
    case_history: list[RecoveryCase] = Field(
        description="Closed cases (completed, rejected, cancelled), newest first."
    )
    failed_requests: int = Field(
        description="Requests rejected or expired unanswered; from 3 a warning "
        "repeated-failed-requests flags the organisation."
    )
    warnings: list[Warning]
