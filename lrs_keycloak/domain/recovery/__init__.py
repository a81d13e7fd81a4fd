"""Recovering a lost Super User through the MIAP help desk (guide §10.2, §3, §9).

"In the unfortunate event that your Super User account is suspended or your Super user account
holder has left, and you have no other Super user accounts available … MIAP will create a new
Super User account for you … the form must be approved by a senior manager within your
organisation (preferably the same person which originally signed your Organisation Agreement)."

A recovery case holds the New Super User Form and moves through fixed states (``states``).
Pure rules, no I/O: the services feed in the members, the clock and who is acting.

- ``states``: the states, the legal moves, and the refusal of any other move;
- ``form`` and ``form_validation``: the form, read from input, and its content checked;
- ``case``: a case and the senior manager's answer;
- ``case_form``: a case's form, present before anything acts on it and recorded once;
- ``eligibility``: only when no super user can act; repeated failed requests flagged;
- ``approval``: by link or on paper; ``completion``: four eyes, the claim and its take-over.

Every name is importable from this package; its modules import each other, never the package.
"""

from lrs_keycloak.domain.recovery.approval import (
    check_link_decision,
    check_paper_approval,
    is_link_expired,
)
from lrs_keycloak.domain.recovery.case import (
    APPROVAL_BY_LINK,
    APPROVAL_ON_PAPER,
    Approval,
    RecoveryCase,
)
from lrs_keycloak.domain.recovery.case_form import (
    check_form_present,
    check_record_form,
    require_form,
)
from lrs_keycloak.domain.recovery.completion import (
    check_completion,
    check_four_eyes,
    completion_summary,
    is_claim_stale,
    made_for_case,
)
from lrs_keycloak.domain.recovery.eligibility import (
    FAILED_REQUESTS_FLAG_FROM,
    cases_to_withdraw,
    check_recovery_allowed,
    repeated_failures_warning,
)
from lrs_keycloak.domain.recovery.form import (
    FORM_REQUIRED_FIELDS,
    FORM_TEXT_FIELDS,
    MAX_TEXT,
    NewSuperUserForm,
    nominee_details,
)
from lrs_keycloak.domain.recovery.form_validation import validate_form
from lrs_keycloak.domain.recovery.rule import RULE
from lrs_keycloak.domain.recovery.states import (
    CANCELLABLE,
    FINAL,
    OPEN,
    STALE_CLAIM_AFTER,
    TRANSITIONS,
    CaseState,
    check_transition,
    require_transition,
)

__all__ = [
    "APPROVAL_BY_LINK",
    "APPROVAL_ON_PAPER",
    "CANCELLABLE",
    "FAILED_REQUESTS_FLAG_FROM",
    "FINAL",
    "FORM_REQUIRED_FIELDS",
    "FORM_TEXT_FIELDS",
    "MAX_TEXT",
    "OPEN",
    "RULE",
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
