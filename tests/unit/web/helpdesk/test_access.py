"""Who may see the help desk's pages: a help desk agent, as Keycloak knows them now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lrs_keycloak.web.people import Person
from tests.support.pages import persona
from tests.unit.services.recovery_world import HAL, form
from tests.unit.web.helpdesk.conftest import Desk

PAGES = (
    "/helpdesk/",
    "/helpdesk/?q=anytown",
    "/helpdesk/organisations/anytown-college",
    "/helpdesk/cases/{id}",
    "/helpdesk/cases/{id}/form",
    "/helpdesk/cases/{id}/send-link",
    "/helpdesk/cases/{id}/paper-approval",
    "/helpdesk/cases/{id}/cancel",
    "/helpdesk/cases/{id}/complete",
)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", ["plain", "super_user"])
def test_a_person_without_the_help_desk_role_gets_403(desk: Desk, page: str, kind: str) -> None:
    case_id = desk.world.service.open(HAL, form()).case["id"]
    answer = desk.client(persona(kind, org="anytown-college")).get(page.format(id=case_id))
    assert answer.status_code == 403
    assert "Neil" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_no_session_is_sent_to_sign_in(desk: Desk, page: str) -> None:
    answer = desk.client().get(page.format(id=1))
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_a_session_is_not_trusted_once_keycloak_no_longer_holds_the_role(desk: Desk) -> None:
    # The session says help desk; Keycloak says the role was taken away since sign-in.
    record = desk.world.directory.by_name("ida.second")
    assert record is not None
    desk.world.directory.users[record.id] = replace(record, realm_roles=frozenset())
    assert desk.client(desk.ida).get("/helpdesk/").status_code == 403


def test_a_session_naming_another_account_of_the_same_username_gets_403(desk: Desk) -> None:
    stranger = Person("u-someone-else", "hal.desk", "Hal Desk", helpdesk=True)
    assert desk.client(stranger).get("/helpdesk/").status_code == 403


def test_a_help_desk_agent_sees_the_pages(desk: Desk) -> None:
    assert desk.client(desk.hal).get("/helpdesk/").status_code == 200


def test_a_post_without_the_csrf_token_is_refused(desk: Desk) -> None:
    case_id = desk.world.service.open(HAL, form()).case["id"]
    client = desk.client(desk.ida)
    answer = client.post(f"/helpdesk/cases/{case_id}/cancel", data={"reason": "duplicate"})
    assert answer.status_code == 400
    assert desk.world.store.get(case_id).state == "awaiting_approval"  # type: ignore[union-attr]
