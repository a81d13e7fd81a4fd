"""A case's journeys on the help desk's pages: the agent on every action is the signed-in
person; four eyes refused with the rule's message; errors linked from the error summary."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.support.pages import csrf_token
from tests.unit.services.recovery_world import COLLEGE, HAL, PRIYA, form
from tests.unit.web.helpdesk.conftest import Desk

OWN_CASE = "You raised this case or recorded its form, so you cannot"
FILLED: dict[str, str] = {
    "nominee_title": "Mr",
    "nominee_given_name": "Neil",
    "nominee_family_name": "Newcombe",
    "nominee_email": "neil.newcombe@anytown.example.org",
    "nominee_telephone": "01632 960 123",
    "nominee_staff_id": "",
    "manager_name": PRIYA.name,
    "manager_job_title": PRIYA.job_title or "",
    "manager_email": PRIYA.email,
    "manager_signed_agreement": "yes",
    "form_reference": "NSU-9",
    "received_on": "2026-01-05",
    "make_primary_contact": "yes",
    "send_link": "yes",
}


def post(client: FlaskClient, url: str, data: dict[str, str] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})


def waiting_case(desk: Desk) -> int:
    row, _ = desk.world.store.create_awaiting_form(COLLEGE.id, "lrs-enforcer")
    return row.id


def approved_case(desk: Desk) -> int:
    """Opened by hal.desk, approved by the senior manager through the link."""
    case_id = int(desk.world.service.open(HAL, form()).case["id"])
    desk.world.service.decide_by_link(desk.world.mail.token(), approve=True, ip="203.0.113.7")
    return case_id


# --- the New Super User Form --------------------------------------------------------------------


def test_the_form_page_refuses_a_generic_name_linked_from_the_summary(desk: Desk) -> None:
    case_id = waiting_case(desk)
    bad = {**FILLED, "nominee_given_name": "Admin"}
    answer = post(desk.client(desk.hal), f"/helpdesk/cases/{case_id}/form", bad)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'href="#nominee_given_name"' in text and 'id="nominee_given_name-error"' in text
    assert desk.world.store.get(case_id).state == "awaiting_form"  # type: ignore[union-attr]


def test_the_form_page_refuses_a_missing_email_with_the_apis_message(desk: Desk) -> None:
    case_id = waiting_case(desk)
    bad = {**FILLED, "nominee_email": ""}
    text = post(desk.client(desk.hal), f"/helpdesk/cases/{case_id}/form", bad).get_data(
        as_text=True
    )
    assert 'href="#nominee_email"' in text and 'id="nominee_email-error"' in text
    assert "Give the nominee&#39;s email address as written on the form." in text


def test_an_unanswered_question_gets_the_apis_answer(desk: Desk) -> None:
    case_id = waiting_case(desk)
    unanswered = {k: v for k, v in FILLED.items() if k != "manager_signed_agreement"}
    text = post(desk.client(desk.hal), f"/helpdesk/cases/{case_id}/form", unanswered).get_data(
        as_text=True
    )
    assert 'href="#manager_signed_agreement"' in text


def test_recording_the_form_checks_then_records_it_as_the_signed_in_agent(desk: Desk) -> None:
    case_id = waiting_case(desk)
    client = desk.client(desk.ida)
    asked = post(client, f"/helpdesk/cases/{case_id}/form", FILLED)
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/form/check")
    check = client.get(f"/helpdesk/cases/{case_id}/form/check").get_data(as_text=True)
    assert "NSU-9" in check and f'href="/helpdesk/cases/{case_id}/form#nominee_email"' in check
    assert desk.world.store.get(case_id).state == "awaiting_form"  # type: ignore[union-attr]

    done = post(client, f"/helpdesk/cases/{case_id}/form/check")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}")
    row = desk.world.store.get(case_id)
    assert row is not None and row.form_recorded_by == "ida.second"
    # the signatory MIAP holds is the form's manager, and ida recorded neither: link sent
    assert row.state == "awaiting_approval" and desk.world.mail.sent[-1][0] == PRIYA.email
    page = client.get(f"/helpdesk/cases/{case_id}").get_data(as_text=True)
    assert "govuk-notification-banner--success" in page and "Form recorded" in page
    recorded = [
        e for e in desk.world.audit.events(COLLEGE.id) if e.action.endswith("form_recorded")
    ]
    assert [e.actor for e in recorded] == ["ida.second"]


def test_the_form_can_be_recorded_without_sending_the_link(desk: Desk) -> None:
    case_id = waiting_case(desk)
    client = desk.client(desk.hal)
    post(client, f"/helpdesk/cases/{case_id}/form", {**FILLED, "send_link": ""})
    post(client, f"/helpdesk/cases/{case_id}/form/check")
    assert desk.world.store.get(case_id).state == "received"  # type: ignore[union-attr]
    assert desk.world.mail.sent == []


# --- paper approval: a second agent ------------------------------------------------------------


def test_four_eyes_the_agent_who_raised_the_case_cannot_record_its_paper_approval(
    desk: Desk,
) -> None:
    case_id = desk.world.service.open(HAL, form(), send_link=False).case["id"]
    client = desk.client(desk.hal)
    post(client, f"/helpdesk/cases/{case_id}/paper-approval", {"scan_reference": "SCAN-1"})
    refused = post(client, f"/helpdesk/cases/{case_id}/paper-approval/check")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert OWN_CASE in text and 'href="#confirm"' in text
    assert desk.world.store.get(case_id).state == "received"  # type: ignore[union-attr]


def test_a_second_agent_records_the_paper_approval_under_their_own_name(desk: Desk) -> None:
    case_id = desk.world.service.open(HAL, form(), send_link=False).case["id"]
    client = desk.client(desk.ida)
    asked = post(client, f"/helpdesk/cases/{case_id}/paper-approval", {"scan_reference": "SCAN-7"})
    assert asked.status_code == 302
    assert "SCAN-7" in client.get(asked.headers["Location"]).get_data(as_text=True)
    done = post(client, f"/helpdesk/cases/{case_id}/paper-approval/check")
    assert done.status_code == 302
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "approved"
    assert row.decided_by == "ida.second" and row.decision_reference == "SCAN-7"


def test_a_blank_scan_reference_is_asked_again_with_the_rules_message(desk: Desk) -> None:
    case_id = desk.world.service.open(HAL, form(), send_link=False).case["id"]
    client = desk.client(desk.ida)
    post(client, f"/helpdesk/cases/{case_id}/paper-approval", {"scan_reference": "  "})
    again = post(client, f"/helpdesk/cases/{case_id}/paper-approval/check")
    assert again.status_code == 422
    assert 'href="#scan_reference"' in again.get_data(as_text=True)


# --- sending the link ------------------------------------------------------------------------


def test_sending_the_link_goes_to_the_signatory_and_names_the_sender(desk: Desk) -> None:
    case_id = desk.world.service.open(HAL, form(), send_link=False).case["id"]
    client = desk.client(desk.ida)
    page = client.get(f"/helpdesk/cases/{case_id}/send-link").get_data(as_text=True)
    assert PRIYA.email in page and "7 days" in page
    done = post(client, f"/helpdesk/cases/{case_id}/send-link")
    assert done.status_code == 302
    row = desk.world.store.get(case_id)
    assert row is not None and row.link_sent_by == "ida.second" and row.link_sent_to == PRIYA.email


def test_a_link_to_a_manager_who_is_not_the_signatory_is_refused_with_the_rule(
    desk: Desk,
) -> None:
    other = form(manager_email="someone.else@anytown.example.org")
    case_id = desk.world.service.open(HAL, other, send_link=False).case["id"]
    refused = post(desk.client(desk.ida), f"/helpdesk/cases/{case_id}/send-link")
    assert refused.status_code == 422 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert desk.world.store.get(case_id).state == "received"  # type: ignore[union-attr]


def test_a_failed_email_is_shown_and_changes_nothing(desk: Desk) -> None:
    case_id = desk.world.service.open(HAL, form(), send_link=False).case["id"]
    desk.world.mail.broken = True
    refused = post(desk.client(desk.ida), f"/helpdesk/cases/{case_id}/send-link")
    assert refused.status_code == 422 and "could not be sent" in refused.get_data(as_text=True)
    assert desk.world.store.get(case_id).state == "received"  # type: ignore[union-attr]


# --- completion: a second agent, shown what they rely on ----------------------------------------


def test_four_eyes_the_agent_who_raised_the_case_is_refused_before_completing(
    desk: Desk,
) -> None:
    case_id = approved_case(desk)
    page = desk.client(desk.hal).get(f"/helpdesk/cases/{case_id}/complete")
    text = page.get_data(as_text=True)
    assert f"{OWN_CASE} complete it" in text and 'href="#confirm"' in text
    assert "Create the super user</button>" not in text
    refused = post(desk.client(desk.hal), f"/helpdesk/cases/{case_id}/complete")
    assert refused.status_code == 422
    assert desk.world.store.get(case_id).state == "approved"  # type: ignore[union-attr]


def test_a_second_agent_sees_what_they_rely_on_then_completes(desk: Desk) -> None:
    case_id = approved_case(desk)
    client = desk.client(desk.ida)
    text = client.get(f"/helpdesk/cases/{case_id}/complete").get_data(as_text=True)
    assert "Mr Neil Newcombe" in text and "203.0.113.7" in text and PRIYA.email in text
    assert "Create the super user</button>" in text
    done = post(client, f"/helpdesk/cases/{case_id}/complete")
    assert done.status_code == 302
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "completed" and row.completed_by == "ida.second"
    page = client.get(f"/helpdesk/cases/{case_id}").get_data(as_text=True)
    assert f"{row.super_user_username} is the new super user" in page


# --- cancel --------------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(desk: Desk) -> None:
    case_id = waiting_case(desk)
    client = desk.client(desk.hal)
    post(client, f"/helpdesk/cases/{case_id}/cancel", {"reason": ""})
    again = post(client, f"/helpdesk/cases/{case_id}/cancel/check")
    assert again.status_code == 422 and 'href="#reason"' in again.get_data(as_text=True)
    assert desk.world.store.get(case_id).state == "awaiting_form"  # type: ignore[union-attr]


def test_cancelling_with_a_reason_records_the_signed_in_agent(desk: Desk) -> None:
    case_id = waiting_case(desk)
    client = desk.client(desk.ida)
    post(client, f"/helpdesk/cases/{case_id}/cancel", {"reason": "the organisation withdrew"})
    done = post(client, f"/helpdesk/cases/{case_id}/cancel/check")
    assert done.status_code == 302
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "cancelled" and row.closed_by == "ida.second"
    assert row.close_reason == "the organisation withdrew"


def test_a_finished_case_offers_no_journey(desk: Desk) -> None:
    case_id = waiting_case(desk)
    desk.world.service.cancel(HAL, case_id, "duplicate")
    text = desk.client(desk.hal).get(f"/helpdesk/cases/{case_id}").get_data(as_text=True)
    assert "What to do next" not in text and "duplicate" in text


def test_an_unknown_case_is_404(desk: Desk) -> None:
    assert desk.client(desk.hal).get("/helpdesk/cases/999").status_code == 404
