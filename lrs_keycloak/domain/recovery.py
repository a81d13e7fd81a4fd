"""Recovering a lost Super User through the MIAP help desk (guide §10.2, §3, §9).

"In the unfortunate event that your Super User account is suspended or your Super user account
holder has left, and you have no other Super user accounts available … MIAP will create a new
Super User account for you … the form must be approved by a senior manager within your
organisation (preferably the same person which originally signed your Organisation Agreement)."

A recovery case holds the New Super User Form and moves through fixed states::

    awaiting_form ─► received ─► awaiting_approval ─► approved ─► completed
          │             │              │   │  └──► rejected
          │             │              │   └─────► expired ─► awaiting_approval (a new link)
          └─────────────┴──────────────┴──────────► cancelled (also from approved and expired)

``awaiting_form`` is a case the enforcer opened when the organisation lost its last active super
user (issue 5): the help desk knows before any form arrives, and the case waits for the senior
manager's New Super User Form. An agent records the form (``awaiting_form ─► received``) and the
case goes on as if it had been opened from the form. A case without a form is never approved
nor completed.

``received ─► approved`` and ``expired ─► approved`` are an approval received on paper (before
any link was sent, or after the link ran out).
``completing`` is a short claim between approved and completed: whoever moves the case there
creates the user, so two agents clicking at once create one user.

Pure rules, no I/O: the services feed in the members, the clock and who is acting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.organisations import check_organisation_id
from lrs_keycloak.domain.policies import Member, recovery_allowed
from lrs_keycloak.domain.users import (
    MAX_STAFF_ID_LENGTH,
    TITLES,
    UserDetails,
    check_telephone,
    is_valid_email,
)

RULE = "guide §10.2: lost your only Super User account"
MAX_TEXT = 255


class CaseState(StrEnum):
    AWAITING_FORM = "awaiting_form"
    RECEIVED = "received"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    COMPLETING = "completing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = CaseState

#: Every legal move; anything else is refused.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.AWAITING_FORM: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset(
        {S.AWAITING_APPROVAL, S.APPROVED, S.REJECTED, S.EXPIRED, S.CANCELLED}
    ),
    S.APPROVED: frozenset({S.COMPLETING, S.CANCELLED}),
    S.COMPLETING: frozenset({S.COMPLETED, S.APPROVED}),
    S.EXPIRED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.CANCELLED}),
    S.REJECTED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: States a case never leaves.
FINAL: frozenset[CaseState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: States in which the organisation still waits for an answer (one open case at a time).
OPEN: frozenset[CaseState] = frozenset(
    {S.AWAITING_FORM, S.RECEIVED, S.AWAITING_APPROVAL, S.APPROVED, S.COMPLETING, S.EXPIRED}
)
#: States a case may be cancelled from.
CANCELLABLE: frozenset[CaseState] = frozenset(
    s for s, nxt in TRANSITIONS.items() if S.CANCELLED in nxt
)

#: The form's required text fields, then all its required fields (as JSON input names them).
FORM_TEXT_FIELDS = (
    "organisation_id",
    "nominee_title",
    "nominee_given_name",
    "nominee_family_name",
    "nominee_email",
    "nominee_telephone",
    "manager_name",
    "manager_job_title",
    "manager_email",
    "form_reference",
)
FORM_REQUIRED_FIELDS = (*FORM_TEXT_FIELDS, "manager_signed_agreement", "received_on")

#: A completion claim unchanged this long died with its process (a crash or a kill mid-way):
#: another agent may take it over. Creating the account takes seconds, not minutes.
STALE_CLAIM_AFTER = timedelta(minutes=15)

APPROVAL_BY_LINK = "link"
APPROVAL_ON_PAPER = "paper"


def _v(field_name: str, code: str, message: str, rule: str = RULE) -> Violation:
    return Violation(field=field_name, code=code, message=message, rule=rule)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


@dataclass(frozen=True)
class NewSuperUserForm:
    """The content of the New Super User Form the organisation sent to MIAP (guide §10.2)."""

    organisation_id: str
    nominee_title: str
    nominee_given_name: str
    nominee_family_name: str
    nominee_email: str
    nominee_telephone: str
    manager_name: str
    manager_job_title: str
    manager_email: str
    manager_signed_agreement: bool
    form_reference: str
    received_on: date
    nominee_staff_id: str | None = None
    #: Guide §9: the new super user becomes MIAP's primary contact point when the form says so.
    make_primary_contact: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "organisation_id": self.organisation_id,
            "nominee_title": self.nominee_title,
            "nominee_given_name": self.nominee_given_name,
            "nominee_family_name": self.nominee_family_name,
            "nominee_email": self.nominee_email,
            "nominee_telephone": self.nominee_telephone,
            "nominee_staff_id": self.nominee_staff_id,
            "manager_name": self.manager_name,
            "manager_job_title": self.manager_job_title,
            "manager_email": self.manager_email,
            "manager_signed_agreement": self.manager_signed_agreement,
            "form_reference": self.form_reference,
            "received_on": self.received_on.isoformat(),
            "make_primary_contact": self.make_primary_contact,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NewSuperUserForm:
        """From JSON-like input; raises RuleViolation naming each missing or mistyped field."""
        problems: list[Violation] = []
        values: dict[str, object] = {}
        for name in FORM_TEXT_FIELDS:
            value = data.get(name)
            if not isinstance(value, str):
                problems.append(
                    _v(name, "required", f"Give {name.replace('_', ' ')} from the form.")
                )
            values[name] = value if isinstance(value, str) else ""
        staff = data.get("nominee_staff_id")
        if staff is not None and not isinstance(staff, str):
            problems.append(_v("nominee_staff_id", "invalid", "The staff ID must be text."))
        signed = data.get("manager_signed_agreement")
        if not isinstance(signed, bool):
            problems.append(
                _v(
                    "manager_signed_agreement",
                    "required",
                    "Say (true or false) whether the senior manager signed the Organisation "
                    "Agreement.",
                )
            )
        primary = data.get("make_primary_contact", False)
        if not isinstance(primary, bool):
            problems.append(_v("make_primary_contact", "invalid", "Must be true or false."))
        received = data.get("received_on")
        received_on = date.min
        if isinstance(received, datetime):  # a YAML form file's "2026-11-29 10:00"
            problems.append(
                _v("received_on", "invalid-date", "Give the date received as YYYY-MM-DD.")
            )
        elif isinstance(received, date):
            received_on = received
        else:
            try:
                received_on = date.fromisoformat(str(received))
            except ValueError:
                problems.append(
                    _v("received_on", "invalid-date", "Give the date received as YYYY-MM-DD.")
                )
        if problems:
            raise RuleViolation(problems)
        return cls(
            **{k: str(v) for k, v in values.items()},
            nominee_staff_id=staff if isinstance(staff, str) and staff.strip() else None,
            manager_signed_agreement=bool(signed),
            make_primary_contact=bool(primary),
            received_on=received_on,
        )


def validate_form(form: NewSuperUserForm, today: date) -> tuple[list[Violation], list[Violation]]:
    """``(errors, warnings)`` for the form's content (names are checked by ``validate_details``).

    The nominee needs an email: the set-password email is the only way they get a password
    (the help desk never sees one). The senior manager needs one for the approval link and must
    be someone other than the nominee.
    """
    errors: list[Violation] = []
    warnings: list[Violation] = []
    required = {
        "organisation_id": "the organisation",
        "nominee_given_name": "the nominee's given name",
        "nominee_family_name": "the nominee's family name",
        "nominee_email": "the nominee's email address",
        "nominee_telephone": "the nominee's telephone number",
        "manager_name": "the senior manager's name",
        "manager_job_title": "the senior manager's job title",
        "manager_email": "the senior manager's email address",
        "form_reference": "the form's reference",
    }
    for name, label in required.items():
        if _blank(getattr(form, name)):
            errors.append(_v(name, "required", f"Give {label} as written on the form."))
        elif len(getattr(form, name)) > MAX_TEXT:
            errors.append(_v(name, "too-long", f"Shorten {label} to {MAX_TEXT} characters."))
        elif not getattr(form, name).isprintable():
            # Line breaks and control characters would reach the approval email's headers.
            errors.append(
                _v(name, "invalid-characters", f"Give {label} on one line, as plain text.")
            )
    if not _blank(form.organisation_id):
        # The one id shape, untrimmed: "x/../org", "org#2" or " org" would otherwise reach the
        # same organisation under another name, and "one open case" would not hold.
        refused = check_organisation_id(form.organisation_id, "organisation_id")
        if refused:
            errors.append(refused)
    if form.nominee_title not in TITLES:
        errors.append(
            _v("nominee_title", "unknown-title", f"Choose the title from {', '.join(TITLES)}.")
        )
    for name in ("nominee_email", "manager_email"):
        value = getattr(form, name)
        if not _blank(value) and not is_valid_email(value.strip()):
            errors.append(
                _v(name, "invalid-email", f"{value!r} is not an email address (name@example.org).")
            )
    if (
        not _blank(form.nominee_email)
        and form.nominee_email.strip().casefold() == form.manager_email.strip().casefold()
    ):
        errors.append(
            _v(
                "manager_email",
                "manager-is-nominee",
                "The senior manager approving the form must be someone other than the nominee.",
            )
        )
    phone = form.nominee_telephone.strip()
    if phone and len(phone) <= MAX_TEXT:
        # The account's own check: a number the form accepts is one the account accepts.
        errors += [
            _v("nominee_telephone", v.code, v.message, v.rule)
            for v in check_telephone("nominee_telephone", "telephone number", phone)
        ]
    staff = form.nominee_staff_id or ""
    if len(staff) > MAX_STAFF_ID_LENGTH or not staff.isprintable():
        errors.append(
            _v(
                "nominee_staff_id",
                "invalid-staff-id",
                f"The staff ID must be at most {MAX_STAFF_ID_LENGTH} printable characters.",
            )
        )
    if form.received_on > today:
        errors.append(
            _v("received_on", "in-the-future", "The date received cannot be in the future.")
        )
    if not form.manager_signed_agreement:
        warnings.append(
            _v(
                "manager_signed_agreement",
                "not-agreement-signatory",
                "The approving senior manager did not sign the Organisation Agreement; the guide "
                "prefers that person. Check their seniority before sending the approval link.",
            )
        )
    return errors, warnings


def nominee_details(form: NewSuperUserForm) -> UserDetails:
    """The new super user's account details; the verification names the form."""
    return UserDetails(
        title=form.nominee_title,
        given_name=form.nominee_given_name,
        family_name=form.nominee_family_name,
        verification_provided=(
            f"New Super User Form {form.form_reference.strip()} approved by "
            f"{form.manager_name.strip()}, {form.manager_job_title.strip()}"
        )[:255],
        email=form.nominee_email.strip(),
        telephone=form.nominee_telephone.strip() or None,
        staff_id=form.nominee_staff_id,
    )


@dataclass(frozen=True)
class Approval:
    """The senior manager's answer: by link (with IP) or on paper (recorded by an agent)."""

    method: str  # APPROVAL_BY_LINK or APPROVAL_ON_PAPER
    approved: bool
    by: str  # the manager's email (link) or the recording agent (paper)
    at: datetime
    ip: str | None = None
    reference: str | None = None  # the scan's reference for a paper approval


@dataclass(frozen=True)
class RecoveryCase:
    """One request for a new super user, as the rules see it."""

    id: int
    organisation_id: str
    state: CaseState
    #: None while the case awaits the form (opened by the enforcer, not from a form).
    form: NewSuperUserForm | None
    raised_by: str
    created_at: datetime
    approval: Approval | None = None
    #: The agent who entered the form (the one who raised the case, unless the enforcer did).
    form_recorded_by: str | None = None
    link_expires_at: datetime | None = None
    link_used: bool = False
    super_user: str | None = None
    completed_by: str | None = None
    #: Who holds the completion claim (``completing``), and when the case last changed.
    claimed_by: str | None = None
    updated_at: datetime | None = None


# --- the rules ---------------------------------------------------------------------------------


def check_transition(current: CaseState, target: CaseState) -> Violation | None:
    """A move the state machine allows, or the reason it does not."""
    if target in TRANSITIONS[current]:
        return None
    if current == S.COMPLETED and target in (S.COMPLETING, S.COMPLETED):
        return _v(
            "state",
            "already-completed",
            "This case is already completed: its super user exists. A case is completed once.",
        )
    if current == S.COMPLETING:
        minutes = int(STALE_CLAIM_AFTER.total_seconds() // 60)
        return _v(
            "state",
            "completion-in-progress",
            "Another agent is completing this case right now; reload it in a moment. If it is "
            f"still completing {minutes} minutes after it started, complete it again: you take "
            "over, and no second super user is created.",
        )
    nice = {s: s.value.replace("_", " ") for s in CaseState}
    return _v(
        "state",
        "illegal-transition",
        f"A case that is {nice[current]} cannot become {nice[target]}.",
    )


def require_transition(current: CaseState, target: CaseState) -> None:
    refused = check_transition(current, target)
    if refused:
        raise RuleViolation([refused])


def check_recovery_allowed(members: Iterable[Member]) -> Violation | None:
    """Only when no active super user can act; otherwise name the ones to contact (guide §3)."""
    allowed, contacts = recovery_allowed(members)
    if allowed:
        return None
    return _v(
        "organisation_id",
        "super-user-can-act",
        f"The organisation has an active super user ({', '.join(contacts)}): they are the first "
        "point of call and can create another super user themselves. The help desk creates one "
        "only when no super user can act.",
        "guide §3, §10.2: super users first; MIAP only when none is available",
    )


def _form_missing(case: RecoveryCase) -> Violation:
    return _v(
        "form",
        "form-missing",
        f"Case {case.id} has no New Super User Form yet: record the form the organisation's "
        "senior manager sent before asking for approval or completing the case.",
    )


def check_form_present(case: RecoveryCase) -> Violation | None:
    """Approval, the approval link and completion all act on the form: without one, the case
    still waits for it (the nominee and the approving manager are only known from the form)."""
    return None if case.form is not None else _form_missing(case)


def require_form(case: RecoveryCase) -> NewSuperUserForm:
    """The case's form, or the ``form-missing`` refusal."""
    if case.form is None:
        raise RuleViolation([_form_missing(case)])
    return case.form


def check_record_form(case: RecoveryCase, form: NewSuperUserForm) -> list[Violation]:
    """A form is recorded once, on a case waiting for it, and only for the case's organisation.

    A recorded form is never replaced: the approval link and any paper approval name what it
    said, so a corrected form is a new case.
    """
    problems: list[Violation] = []
    if case.form is not None:
        problems.append(
            _v(
                "state",
                "form-already-recorded",
                f"Case {case.id} already holds form {case.form.form_reference}; a recorded form "
                "is not replaced. Cancel the case and open a new one from the corrected form.",
            )
        )
    else:
        refused = check_transition(case.state, S.RECEIVED)
        if refused:
            problems.append(refused)
    if form.organisation_id.strip() != case.organisation_id:
        problems.append(
            _v(
                "organisation_id",
                "form-for-another-organisation",
                f"The form is for {form.organisation_id.strip()!r}, but case {case.id} is for "
                f"{case.organisation_id!r}.",
            )
        )
    return problems


def check_paper_approval(case: RecoveryCase, agent: str, scan_reference: str) -> list[Violation]:
    """A paper approval is recorded by a second agent: never the one who raised the case nor
    the one who entered its form (each could otherwise both request and approve)."""
    problems: list[Violation] = []
    if agent.casefold() in _entered_by(case):
        problems.append(
            _v(
                "agent",
                "own-case",
                "You raised this case or recorded its form, so you cannot record its approval: "
                "a second help desk agent must record the senior manager's paper approval.",
                f"{RULE} (approval is separate from the request)",
            )
        )
    if _blank(scan_reference):
        problems.append(
            _v(
                "scan_reference",
                "scan-reference-required",
                "Give the reference of the scanned, signed approval.",
            )
        )
    refused = check_form_present(case) or check_transition(case.state, S.APPROVED)
    if refused:
        problems.append(refused)
    return problems


def check_link_decision(case: RecoveryCase, now: datetime) -> Violation | None:
    """The senior manager's link works once, before it expires, while the case waits for it."""
    if case.link_used or case.state in (S.APPROVED, S.REJECTED, S.COMPLETING, S.COMPLETED):
        return _v("token", "link-used", "This approval link has already been used.")
    if case.state == S.EXPIRED or (
        case.link_expires_at is not None and now >= case.link_expires_at
    ):
        return _v("token", "link-expired", "This approval link has expired.")
    if case.state != S.AWAITING_APPROVAL:
        return _v("token", "link-invalid", "This request no longer waits for an approval.")
    return None


def _entered_by(case: RecoveryCase) -> set[str]:
    """The agents who brought the request in: who raised the case and who entered its form."""
    agents = {case.raised_by.casefold()}
    if case.form_recorded_by:
        agents.add(case.form_recorded_by.casefold())
    return agents


def check_four_eyes(case: RecoveryCase, agent: str) -> Violation | None:
    """Completion is a second agent's decision, whatever the approval route: the agent who
    raised the case or entered its form could otherwise create a super user alone."""
    if agent.casefold() not in _entered_by(case):
        return None
    return _v(
        "agent",
        "own-case",
        "You raised this case or recorded its form, so you cannot complete it: a second help "
        "desk agent checks the nominee, the senior manager and the approval, and completes it.",
        f"{RULE} (four eyes: the request and the new super user are separate decisions)",
    )


def check_completion(
    case: RecoveryCase, members: Iterable[Member], agent: str | None = None
) -> list[Violation]:
    """Completion needs the form, an approved case, a second agent and still no active
    super user."""
    problems: list[Violation] = []
    refused = check_form_present(case) or check_transition(case.state, S.COMPLETING)
    if refused:
        problems.append(refused)
        return problems
    if agent is not None:
        own = check_four_eyes(case, agent)
        if own:
            problems.append(own)
            return problems
    again = check_recovery_allowed(members)
    if again:
        problems.append(
            _v(
                "organisation_id",
                "super-user-active-again",
                again.message.replace(
                    "The organisation has", "Since the case was opened the organisation has"
                ),
                again.rule,
            )
        )
    return problems


def completion_summary(case: RecoveryCase) -> dict[str, object]:
    """What the completing agent relies on, shown before they create the super user: who is
    nominated, which senior manager approved, and how (link with its IP, or paper scan)."""
    form = case.form
    approval = case.approval
    return {
        "nominee": None
        if form is None
        else {
            "name": f"{form.nominee_title} {form.nominee_given_name} {form.nominee_family_name}",
            "email": form.nominee_email,
            "telephone": form.nominee_telephone,
        },
        "manager": None
        if form is None
        else {
            "name": form.manager_name,
            "job_title": form.manager_job_title,
            "email": form.manager_email,
            "signed_agreement": form.manager_signed_agreement,
        },
        "approval": None
        if approval is None
        else {
            "method": approval.method,
            "approved": approval.approved,
            "by": approval.by,
            "at": approval.at.isoformat(),
            "ip": approval.ip,
            "reference": approval.reference,
        },
        "request_entered_by": sorted({case.raised_by, case.form_recorded_by or case.raised_by}),
    }


#: From this many rejected or expired requests, an organisation's next one is flagged.
FAILED_REQUESTS_FLAG_FROM = 3


def repeated_failures_warning(failed: int) -> Violation | None:
    """An organisation whose requests keep being rejected or left to expire may be the target
    of someone trying their luck: the help desk is told before it acts on another."""
    if failed < FAILED_REQUESTS_FLAG_FROM:
        return None
    return _v(
        "organisation_id",
        "repeated-failed-requests",
        f"{failed} earlier requests for a new super user for this organisation were rejected or "
        "expired unanswered. Check this request with the organisation by a known telephone "
        "number before going on (see the organisation's case history).",
        f"{RULE} (repeated requests)",
    )


def cases_to_withdraw(cases: Iterable[RecoveryCase], opened_by: str) -> list[RecoveryCase]:
    """When an active super user is back, the cases ``opened_by`` (the enforcer) opened that
    still wait for a form: nobody asked for them. A case holding a form is the organisation's
    own request; the help desk decides on it (completion is refused while a super user acts)."""
    return [c for c in cases if c.state == S.AWAITING_FORM and c.raised_by == opened_by]


def is_claim_stale(case: RecoveryCase, now: datetime) -> bool:
    """A ``completing`` case whose claimant has not finished in ``STALE_CLAIM_AFTER``."""
    return (
        case.state == S.COMPLETING
        and case.updated_at is not None
        and now - case.updated_at >= STALE_CLAIM_AFTER
    )


def made_for_case(form: NewSuperUserForm, email: str | None, verification: str | None) -> bool:
    """Is this account the one an interrupted completion of the form's case already created?
    Its email is the nominee's and its recorded verification names the form (``nominee_details``),
    so taking over adopts it instead of creating a second super user."""
    expected = nominee_details(form)
    return (email or "").strip().casefold() == (expected.email or "").casefold() and (
        verification or ""
    ) == expected.verification_provided


def is_link_expired(case: RecoveryCase, now: datetime) -> bool:
    return (
        case.state == S.AWAITING_APPROVAL
        and case.link_expires_at is not None
        and now >= case.link_expires_at
    )


__all__ = [
    "APPROVAL_BY_LINK",
    "APPROVAL_ON_PAPER",
    "CANCELLABLE",
    "FAILED_REQUESTS_FLAG_FROM",
    "FINAL",
    "OPEN",
    "STALE_CLAIM_AFTER",
    "TRANSITIONS",
    "Approval",
    "CaseState",
    "NewSuperUserForm",
    "RecoveryCase",
    "cases_to_withdraw",
    "check_completion",
    "check_form_present",
    "check_four_eyes",
    "check_link_decision",
    "check_paper_approval",
    "check_record_form",
    "check_recovery_allowed",
    "check_transition",
    "completion_summary",
    "is_claim_stale",
    "is_link_expired",
    "made_for_case",
    "nominee_details",
    "repeated_failures_warning",
    "require_form",
    "require_transition",
    "validate_form",
]
