"""The help desk's start page: organisation search and the queue of cases awaiting a form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lrs_keycloak.domain.organisations import Organisation
from tests.unit.services.recovery_world import COLLEGE
from tests.unit.web.helpdesk.conftest import Desk

RIVERSIDE = Organisation("riverside-school", "Riverside Academy", "school", frozenset())


def test_search_by_id_finds_the_organisation(desk: Desk) -> None:
    text = desk.client(desk.hal).get("/helpdesk/?q=anytown-college").get_data(as_text=True)
    assert "1 organisation found" in text
    assert 'href="/helpdesk/organisations/anytown-college"' in text


def test_search_by_part_of_the_name_ignores_case(desk: Desk) -> None:
    desk.world.directory.add_org(RIVERSIDE)
    text = desk.client(desk.hal).get("/helpdesk/?q=RIVERSIDE acad").get_data(as_text=True)
    assert "Riverside Academy" in text and "Anytown College" not in text


def test_search_without_a_match_says_so(desk: Desk) -> None:
    text = desk.client(desk.hal).get("/helpdesk/?q=nowhere").get_data(as_text=True)
    assert "No organisation found" in text


def test_the_queue_lists_cases_awaiting_their_form_with_their_age_in_words(desk: Desk) -> None:
    opened = datetime.now(UTC) - timedelta(days=3, hours=2)
    row, _ = desk.world.store.create_awaiting_form(COLLEGE.id, "lrs-enforcer", now=opened)
    text = desk.client(desk.hal).get("/helpdesk/").get_data(as_text=True)
    assert f'href="/helpdesk/cases/{row.id}"' in text
    assert "3 days" in text and "lrs-enforcer" in text
    assert "No case is awaiting its form." not in text


def test_an_empty_queue_says_so(desk: Desk) -> None:
    text = desk.client(desk.hal).get("/helpdesk/").get_data(as_text=True)
    assert "No case is awaiting its form." in text
