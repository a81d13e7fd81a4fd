"""The senior manager's approval page: opening it and choosing change nothing; only the
confirmed choice, with the page's CSRF token, is recorded."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.unit.services.recovery_world import COLLEGE, HAL, form
from tests.unit.web.helpdesk.conftest import Desk


def opened(desk: Desk) -> tuple[int, str]:
    case_id = int(desk.world.service.open(HAL, form()).case["id"])
    return case_id, f"/recovery/approve/{desk.world.mail.token()}"


def page_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found is not None
    return found.group(1)


def state(desk: Desk, case_id: int) -> str:
    row = desk.world.store.get(case_id)
    assert row is not None
    return row.state


def test_the_page_states_the_expiry_in_words_and_the_help_desks_contact(desk: Desk) -> None:
    case_id, path = opened(desk)
    answer = desk.client().get(path)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "This link expires in 6 days, on " in text
    assert "Contact the MIAP help desk" in text  # settings' help_desk_contact
    assert "Newcombe" in text and 'name="csrf_token"' in text
    assert answer.headers["Cache-Control"] == "no-store"
    assert state(desk, case_id) == "awaiting_approval"  # opening it changes nothing


def test_the_page_never_shows_a_signed_in_agents_header(desk: Desk) -> None:
    _, path = opened(desk)
    text = desk.client(desk.ida).get(path).get_data(as_text=True)
    assert "Ida Second" not in text and "Sign out" not in text


def test_choosing_shows_a_confirmation_and_changes_nothing(desk: Desk) -> None:
    case_id, path = opened(desk)
    client = desk.client()
    token = page_token(client, path)
    answer = client.post(path, data={"decision": "approve", "csrf_token": token})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Confirm your approval" in text
    assert 'name="confirm" value="yes"' in text
    assert state(desk, case_id) == "awaiting_approval"


def test_no_choice_is_an_error_linked_to_the_question(desk: Desk) -> None:
    case_id, path = opened(desk)
    client = desk.client()
    answer = client.post(path, data={"csrf_token": page_token(client, path)})
    assert answer.status_code == 400 and 'href="#decision"' in answer.get_data(as_text=True)
    assert state(desk, case_id) == "awaiting_approval"


def test_a_confirmed_approval_is_recorded_once(desk: Desk) -> None:
    case_id, path = opened(desk)
    client = desk.client()
    data = {"decision": "approve", "confirm": "yes", "csrf_token": page_token(client, path)}
    answer = client.post(path, data=data, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert answer.status_code == 200 and "Thank you: approved" in answer.get_data(as_text=True)
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "approved" and row.decision_ip == "198.51.100.4"
    assert client.post(path, data=data).status_code == 410


def test_a_confirmed_rejection_keeps_its_optional_reason(desk: Desk) -> None:
    case_id, path = opened(desk)
    client = desk.client()
    reason = "I do not know this person"
    token = page_token(client, path)
    confirming = client.post(
        path, data={"decision": "reject", "reason": reason, "csrf_token": token}
    )
    assert reason in confirming.get_data(as_text=True)
    data: dict[str, Any] = {"decision": "reject", "reason": reason, "confirm": "yes"}
    answer = client.post(path, data={**data, "csrf_token": token})
    assert answer.status_code == 200
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "rejected" and row.close_reason == reason
    rejected = [e for e in desk.world.audit.events(COLLEGE.id) if e.action == "recovery_rejected"]
    assert [e.reason for e in rejected] == [reason]


def test_a_rejection_without_a_reason_is_recorded(desk: Desk) -> None:
    case_id, path = opened(desk)
    client = desk.client()
    data = {"decision": "reject", "confirm": "yes", "csrf_token": page_token(client, path)}
    assert client.post(path, data=data).status_code == 200
    row = desk.world.store.get(case_id)
    assert row is not None and row.state == "rejected" and row.close_reason is None


def test_a_confirmation_without_the_pages_csrf_token_records_nothing(desk: Desk) -> None:
    case_id, path = opened(desk)
    answer = desk.client().post(path, data={"decision": "approve", "confirm": "yes"})
    assert answer.status_code == 400
    assert state(desk, case_id) == "awaiting_approval"


def test_a_forged_link_says_so_before_anything_else(desk: Desk) -> None:
    client = desk.client()
    assert client.get("/recovery/approve/forged").status_code == 404
    assert client.post("/recovery/approve/forged", data={"decision": "approve"}).status_code == 404
    text = client.get("/recovery/approve/forged").get_data(as_text=True)
    assert "contact the MIAP help desk" in text
