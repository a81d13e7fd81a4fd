"""Recovering a lost Super User (guide §10.2): the case's states and each rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import SUPER_USER, Member
from lrs_keycloak.domain.recovery import (
    CANCELLABLE,
    FAILED_REQUESTS_FLAG_FROM,
    FINAL,
    OPEN,
    STALE_CLAIM_AFTER,
    TRANSITIONS,
    Approval,
    CaseState,
    NewSuperUserForm,
    RecoveryCase,
    cases_to_withdraw,
    check_completion,
    check_form_present,
    check_four_eyes,
    check_link_decision,
    check_paper_approval,
    check_record_form,
    check_recovery_allowed,
    check_transition,
    completion_summary,
    is_claim_stale,
    is_link_expired,
    made_for_case,
    nominee_details,
    repeated_failures_warning,
    require_form,
    require_transition,
    validate_form,
)

ORG = "anytown-college"
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
S = CaseState

FORM = NewSuperUserForm(
    organisation_id=ORG,
    nominee_title="Ms",
    nominee_given_name="Nadia",
    nominee_family_name="Newman",
    nominee_email="nadia.newman@anytown.example.org",
    nominee_telephone="01632 960 123",
    manager_name="Priya Principal",
    manager_job_title="Principal",
    manager_email="principal@anytown.example.org",
    manager_signed_agreement=True,
    form_reference="NSU-2025-001",
    received_on=date(2025, 3, 3),
    nominee_staff_id="E1234",
    make_primary_contact=True,
)


def case(state: CaseState = S.AWAITING_APPROVAL, **kw: object) -> RecoveryCase:
    base = RecoveryCase(
        id=1,
        organisation_id=ORG,
        state=state,
        form=FORM,
        raised_by="hal.helpdesk",
        created_at=NOW - timedelta(days=1),
        link_expires_at=NOW + timedelta(days=6),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def member(name: str, enabled: bool = True, locked: bool = False, su: bool = True) -> Member:
    roles = frozenset({SUPER_USER}) if su else frozenset({"LRBOnlineUser"})
    return Member(name, ORG, roles, enabled, locked)


# --- the state machine -----------------------------------------------------------------------

LEGAL = [
    (S.AWAITING_FORM, S.RECEIVED),
    (S.AWAITING_FORM, S.CANCELLED),
    (S.RECEIVED, S.AWAITING_APPROVAL),
    (S.RECEIVED, S.APPROVED),
    (S.RECEIVED, S.CANCELLED),
    (S.AWAITING_APPROVAL, S.APPROVED),
    (S.AWAITING_APPROVAL, S.REJECTED),
    (S.AWAITING_APPROVAL, S.EXPIRED),
    (S.AWAITING_APPROVAL, S.CANCELLED),
    (S.AWAITING_APPROVAL, S.AWAITING_APPROVAL),
    (S.APPROVED, S.COMPLETING),
    (S.APPROVED, S.CANCELLED),
    (S.COMPLETING, S.COMPLETED),
    (S.COMPLETING, S.APPROVED),
    (S.EXPIRED, S.AWAITING_APPROVAL),
    (S.EXPIRED, S.APPROVED),
    (S.EXPIRED, S.CANCELLED),
]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_transition_legal(current: CaseState, target: CaseState) -> None:
    assert check_transition(current, target) is None


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in CaseState for t in CaseState if (c, t) not in LEGAL],
)
def test_transition_illegal_refused(current: CaseState, target: CaseState) -> None:
    refused = check_transition(current, target)
    assert refused is not None
    with pytest.raises(RuleViolation):
        require_transition(current, target)


def test_final_states_are_completed_rejected_cancelled() -> None:
    assert {S.COMPLETED, S.REJECTED, S.CANCELLED} == FINAL
    assert all(not TRANSITIONS[s] for s in FINAL)


def test_approval_cannot_skip_to_completed() -> None:
    for state in (S.AWAITING_FORM, S.RECEIVED, S.AWAITING_APPROVAL, S.REJECTED, S.EXPIRED):
        assert check_transition(state, S.COMPLETING) is not None


def test_awaiting_form_is_open_and_cancellable() -> None:
    # Open: the organisation still waits, so no second case is opened beside it.
    assert S.AWAITING_FORM in OPEN and S.AWAITING_FORM in CANCELLABLE
    assert S.AWAITING_FORM not in FINAL


# --- a case awaiting its form (opened by the enforcer) ----------------------------------------


def waiting(**kw: object) -> RecoveryCase:
    """A case the enforcer opened, still without its form."""
    values: dict[str, object] = {
        "state": S.AWAITING_FORM,
        "form": None,
        "raised_by": "lrs-enforcer",
        "link_expires_at": None,
    }
    return case(**{**values, **kw})  # type: ignore[arg-type]


def test_form_present_refuses_case_without_form() -> None:
    refused = check_form_present(waiting())
    assert refused is not None
    assert (refused.field, refused.code) == ("form", "form-missing")
    assert refused.rule and "§10.2" in refused.rule
    assert check_form_present(case(S.RECEIVED)) is None


def test_require_form_refuses_case_without_form() -> None:
    with pytest.raises(RuleViolation) as refused:
        require_form(waiting())
    assert [v.code for v in refused.value.violations] == ["form-missing"]
    assert require_form(case(S.RECEIVED)) == FORM


def test_record_form_on_case_awaiting_form_allowed() -> None:
    assert check_record_form(waiting(), FORM) == []


def test_record_form_twice_refused() -> None:
    problems = check_record_form(case(S.RECEIVED), FORM)
    assert [p.code for p in problems] == ["form-already-recorded"]
    assert FORM.form_reference in problems[0].message


def test_record_form_for_another_organisation_refused() -> None:
    problems = check_record_form(waiting(), replace(FORM, organisation_id="other-college"))
    assert [(p.field, p.code) for p in problems] == [
        ("organisation_id", "form-for-another-organisation")
    ]


def test_record_form_on_cancelled_case_refused() -> None:
    problems = check_record_form(waiting(state=S.CANCELLED), FORM)
    assert [p.code for p in problems] == ["illegal-transition"]


def test_cases_to_withdraw_only_the_enforcers_cases_still_awaiting_form() -> None:
    mine = waiting(id=1)
    with_form = case(S.RECEIVED, id=2, raised_by="lrs-enforcer", form_recorded_by="hal.helpdesk")
    someone_elses = waiting(id=3, raised_by="hal.helpdesk")
    assert cases_to_withdraw([mine, with_form, someone_elses], "lrs-enforcer") == [mine]


# --- the form ------------------------------------------------------------------------------


def test_form_valid_has_no_errors() -> None:
    assert validate_form(FORM, TODAY) == ([], [])


@pytest.mark.parametrize(
    "field",
    [
        "organisation_id",
        "nominee_given_name",
        "nominee_family_name",
        "nominee_email",
        "nominee_telephone",
        "manager_name",
        "manager_job_title",
        "manager_email",
        "form_reference",
    ],
)
def test_form_requires_each_field(field: str) -> None:
    errors, _ = validate_form(replace(FORM, **{field: "  "}), TODAY)
    assert [(e.field, e.code) for e in errors] == [(field, "required")]


def test_form_invalid_emails_refused() -> None:
    errors, _ = validate_form(replace(FORM, manager_email="boss at college"), TODAY)
    assert [e.code for e in errors] == ["invalid-email"]


def test_form_text_with_line_breaks_refused() -> None:
    errors, _ = validate_form(replace(FORM, form_reference="NSU-1\nBcc: x@example.org"), TODAY)
    assert [(e.field, e.code) for e in errors] == [("form_reference", "invalid-characters")]


def test_form_manager_cannot_be_the_nominee() -> None:
    errors, _ = validate_form(replace(FORM, manager_email=FORM.nominee_email.upper()), TODAY)
    assert [e.code for e in errors] == ["manager-is-nominee"]


def test_form_unknown_title_refused() -> None:
    errors, _ = validate_form(replace(FORM, nominee_title="Captain"), TODAY)
    assert [e.code for e in errors] == ["unknown-title"]


def test_form_bad_telephone_refused() -> None:
    errors, _ = validate_form(replace(FORM, nominee_telephone="call me"), TODAY)
    assert [e.code for e in errors] == ["invalid-telephone"]


def test_form_received_in_future_refused() -> None:
    errors, _ = validate_form(replace(FORM, received_on=TODAY + timedelta(days=1)), TODAY)
    assert [e.code for e in errors] == ["in-the-future"]


def test_form_manager_not_agreement_signatory_warns() -> None:
    errors, warnings = validate_form(replace(FORM, manager_signed_agreement=False), TODAY)
    assert errors == []
    assert [w.code for w in warnings] == ["not-agreement-signatory"]


def test_form_from_dict_round_trips() -> None:
    assert NewSuperUserForm.from_dict(FORM.as_dict()) == FORM


def test_form_from_dict_names_missing_and_mistyped_fields() -> None:
    data = FORM.as_dict()
    del data["manager_email"]
    data["manager_signed_agreement"] = "yes"
    data["received_on"] = "03/03/2025"
    with pytest.raises(RuleViolation) as refused:
        NewSuperUserForm.from_dict(data)
    assert {v.field for v in refused.value.violations} == {
        "manager_email",
        "manager_signed_agreement",
        "received_on",
    }


def test_nominee_details_record_form_and_approver() -> None:
    details = nominee_details(FORM)
    assert (details.given_name, details.family_name, details.email) == (
        "Nadia",
        "Newman",
        FORM.nominee_email,
    )
    assert "NSU-2025-001" in details.verification_provided
    assert "Priya Principal" in details.verification_provided


# --- recovery only when no super user can act -------------------------------------------------


def test_recovery_refused_while_a_super_user_can_act_names_whom_to_contact() -> None:
    refused = check_recovery_allowed([member("sue.super"), member("sid.gone", enabled=False)])
    assert refused is not None
    assert refused.code == "super-user-can-act"
    assert "sue.super" in refused.message and "sid.gone" not in refused.message


@pytest.mark.parametrize(
    "members",
    [
        [],
        [member("sid.suspended", enabled=False)],
        [member("lou.locked", locked=True)],
        [member("olive.online", su=False)],
    ],
    ids=["none", "suspended", "locked", "only-ordinary-users"],
)
def test_recovery_allowed_when_no_super_user_can_act(members: list[Member]) -> None:
    assert check_recovery_allowed(members) is None


# --- approval --------------------------------------------------------------------------------


def test_paper_approval_by_raising_agent_refused() -> None:
    problems = check_paper_approval(case(), "HAL.helpdesk", "SCAN-1")
    assert [p.code for p in problems] == ["own-case"]


def test_paper_approval_needs_scan_reference() -> None:
    problems = check_paper_approval(case(), "second.agent", " ")
    assert [p.code for p in problems] == ["scan-reference-required"]


def test_paper_approval_by_second_agent_with_scan_allowed() -> None:
    assert check_paper_approval(case(), "second.agent", "SCAN-1") == []
    assert check_paper_approval(case(S.RECEIVED), "second.agent", "SCAN-1") == []
    assert check_paper_approval(case(S.EXPIRED), "second.agent", "SCAN-1") == []


def test_paper_approval_by_agent_who_recorded_the_form_refused() -> None:
    recorded = case(S.RECEIVED, raised_by="lrs-enforcer", form_recorded_by="hal.helpdesk")
    problems = check_paper_approval(recorded, "Hal.Helpdesk", "SCAN-1")
    assert [p.code for p in problems] == ["own-case"]
    assert check_paper_approval(recorded, "second.agent", "SCAN-1") == []


def test_paper_approval_without_form_refused() -> None:
    problems = check_paper_approval(waiting(), "second.agent", "SCAN-1")
    assert [p.code for p in problems] == ["form-missing"]


def test_paper_approval_after_rejection_refused() -> None:
    problems = check_paper_approval(case(S.REJECTED), "second.agent", "SCAN-1")
    assert [p.code for p in problems] == ["illegal-transition"]


def test_link_decision_while_waiting_allowed() -> None:
    assert check_link_decision(case(), NOW) is None


def test_link_expired_refused() -> None:
    late = NOW + timedelta(days=7)
    refused = check_link_decision(case(), late)
    assert refused is not None and refused.code == "link-expired"
    assert is_link_expired(case(), late)
    assert not is_link_expired(case(), NOW)


def test_link_reused_refused() -> None:
    for used in (case(link_used=True), case(S.APPROVED), case(S.REJECTED), case(S.COMPLETED)):
        refused = check_link_decision(used, NOW)
        assert refused is not None and refused.code == "link-used"


def test_link_on_case_awaiting_form_refused() -> None:
    refused = check_link_decision(waiting(), NOW)
    assert refused is not None and refused.code == "link-invalid"


def test_link_on_cancelled_case_refused() -> None:
    refused = check_link_decision(case(S.CANCELLED), NOW)
    assert refused is not None and refused.code == "link-invalid"


# --- completion ------------------------------------------------------------------------------


def approved() -> RecoveryCase:
    return case(
        S.APPROVED,
        approval=Approval("link", True, FORM.manager_email, NOW, ip="192.0.2.1"),
    )


def test_completion_of_approved_case_with_no_super_user_allowed() -> None:
    assert check_completion(approved(), [member("sid", enabled=False)]) == []


def test_completion_refused_when_a_super_user_became_active_again() -> None:
    problems = check_completion(approved(), [member("sid.reinstated")])
    assert [p.code for p in problems] == ["super-user-active-again"]
    assert "sid.reinstated" in problems[0].message


def test_completion_twice_refused() -> None:
    problems = check_completion(case(S.COMPLETED, super_user="nadia.newman"), [])
    assert [p.code for p in problems] == ["already-completed"]


def test_completion_while_another_agent_completes_refused() -> None:
    problems = check_completion(case(S.COMPLETING), [])
    assert [p.code for p in problems] == ["completion-in-progress"]


@pytest.mark.parametrize("state", [S.RECEIVED, S.AWAITING_APPROVAL, S.REJECTED, S.EXPIRED])
def test_completion_without_approval_refused(state: CaseState) -> None:
    problems = check_completion(case(state), [])
    assert [p.code for p in problems] == ["illegal-transition"]


def test_completion_without_form_refused() -> None:
    problems = check_completion(waiting(), [])
    assert [(p.field, p.code) for p in problems] == [("form", "form-missing")]
    # Even were a case without a form ever marked approved, it would not be completed.
    assert [p.code for p in check_completion(waiting(state=S.APPROVED), [])] == ["form-missing"]


# --- issue 9 §1: four eyes, what completion relies on, repeated failed requests ---------------


def test_the_agent_who_raised_the_case_cannot_complete_it_whatever_the_approval_route() -> None:
    by_link = case(
        S.APPROVED,
        approval=Approval("link", True, FORM.manager_email, NOW, ip="203.0.113.7"),
    )
    problems = check_completion(by_link, [member("sid", enabled=False)], "HAL.helpdesk")
    assert [p.code for p in problems] == ["own-case"]
    assert check_completion(by_link, [member("sid", enabled=False)], "ida.second") == []


def test_the_agent_who_recorded_the_form_cannot_complete_the_case() -> None:
    recorded = case(S.APPROVED, raised_by="lrs-enforcer", form_recorded_by="hal.helpdesk")
    assert [p.code for p in check_completion(recorded, [], "hal.helpdesk")] == ["own-case"]
    assert check_four_eyes(recorded, "ida.second") is None


def test_completion_summary_names_the_nominee_the_manager_and_the_approval() -> None:
    approved = case(
        S.APPROVED,
        approval=Approval("paper", True, "ida.second", NOW, reference="SCAN-1"),
        form_recorded_by="hal.helpdesk",
    )
    summary = completion_summary(approved)
    assert summary["nominee"] == {
        "name": "Ms Nadia Newman",
        "email": FORM.nominee_email,
        "telephone": FORM.nominee_telephone,
    }
    assert summary["manager"] == {
        "name": "Priya Principal",
        "job_title": "Principal",
        "email": FORM.manager_email,
        "signed_agreement": True,
    }
    assert summary["approval"] == {
        "method": "paper",
        "approved": True,
        "by": "ida.second",
        "at": NOW.isoformat(),
        "ip": None,
        "reference": "SCAN-1",
    }
    assert summary["request_entered_by"] == ["hal.helpdesk"]


def test_repeated_failed_requests_are_flagged_from_the_third() -> None:
    assert repeated_failures_warning(0) is None
    assert repeated_failures_warning(FAILED_REQUESTS_FLAG_FROM - 1) is None
    flagged = repeated_failures_warning(FAILED_REQUESTS_FLAG_FROM)
    assert flagged is not None and flagged.code == "repeated-failed-requests"
    assert f"{FAILED_REQUESTS_FLAG_FROM} earlier requests" in flagged.message


def test_a_completion_claim_is_stale_only_after_the_limit() -> None:
    claimed = case(S.COMPLETING, claimed_by="ida.second", updated_at=NOW)
    assert not is_claim_stale(claimed, NOW + STALE_CLAIM_AFTER - timedelta(seconds=1))
    assert is_claim_stale(claimed, NOW + STALE_CLAIM_AFTER)
    assert not is_claim_stale(replace(claimed, state=S.APPROVED), NOW + timedelta(days=1))


def test_the_account_an_interrupted_completion_made_is_recognised_by_email_and_form() -> None:
    made = nominee_details(FORM)
    assert made_for_case(
        FORM, made.email.upper() if made.email else None, made.verification_provided
    )
    assert not made_for_case(FORM, made.email, "HR check 1")
    assert not made_for_case(FORM, "someone.else@anytown.example.org", made.verification_provided)
