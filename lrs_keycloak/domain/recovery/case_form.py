"""A case's form: present before anything acts on it, recorded once and for the case's own
organisation."""

from __future__ import annotations

from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.recovery.case import RecoveryCase
from lrs_keycloak.domain.recovery.form import NewSuperUserForm
from lrs_keycloak.domain.recovery.rule import violation as _v
from lrs_keycloak.domain.recovery.states import S, check_transition


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
