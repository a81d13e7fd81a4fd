"""Issue 9 §1 / guide §10.2: the approval link goes only to the Organisation Agreement's
signatory that MIAP holds, never to an address typed from the form."""

from __future__ import annotations

from datetime import UTC, datetime

from lrs_keycloak.domain.signatories import (
    RecordedSignatory,
    Signatory,
    check_link_recipient,
    validate_signatory,
)

PRIYA = Signatory("Priya Principal", "principal@anytown.example.org", "Principal")
RECORDED = RecordedSignatory(PRIYA, "operator:ops", datetime(2025, 1, 6, tzinfo=UTC))
AGENTS = {"hal.desk"}


def test_link_goes_to_the_signatory_when_the_form_names_them() -> None:
    assert check_link_recipient("Principal@Anytown.example.org ", RECORDED, AGENTS) is None


def test_link_refused_when_no_signatory_is_recorded() -> None:
    refused = check_link_recipient(PRIYA.email, None, AGENTS)
    assert refused is not None and refused.code == "no-signatory-recorded"
    assert "paper approval" in refused.message and refused.field == "manager_email"


def test_link_refused_when_the_forms_manager_is_not_the_signatory() -> None:
    refused = check_link_recipient("hal.desk@gmail.example.com", RECORDED, AGENTS)
    assert refused is not None and refused.code == "manager-not-signatory"
    assert "paper approval" in refused.message and "Priya Principal" in refused.message


def test_link_refused_when_an_agent_of_the_case_recorded_the_signatory() -> None:
    own = RecordedSignatory(PRIYA, "HAL.desk", RECORDED.recorded_at)
    refused = check_link_recipient(PRIYA.email, own, AGENTS)
    assert refused is not None and refused.code == "signatory-recorded-by-agent"
    assert check_link_recipient(PRIYA.email, own, {"ida.second", "jo.third"}) is None


def test_signatory_needs_a_name_and_a_real_email_each_refusal_naming_its_field() -> None:
    problems = validate_signatory(Signatory(" ", "not an email", "x" * 256))
    assert {(p.field, p.code) for p in problems} == {
        ("signatory.name", "required"),
        ("signatory.email", "invalid-email"),
        ("signatory.job_title", "too-long"),
    }
    assert validate_signatory(PRIYA) == []


def test_signatory_details_on_one_line() -> None:
    problems = validate_signatory(Signatory("Priya\r\nBcc: x@y.org", PRIYA.email), prefix="")
    assert [(p.field, p.code) for p in problems] == [("name", "invalid-characters")]
