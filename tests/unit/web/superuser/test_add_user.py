"""Add a user: question page with the rules' errors inline, check your answers, confirmation."""

from __future__ import annotations

from typing import Any

from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import World

JANE: dict[str, Any] = {
    "title": "Ms",
    "given_name": "Jane",
    "family_name": "Doe",
    "verification_provided": "approved by HR ref 42",
    "email": "jane@example.org",
    "roles": ["LRBOnlineUser"],
    "reference": "REQ-1",
}


def summary_links(html: str) -> list[str]:
    summary = html.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    return [part.split('"')[0] for part in summary.split('<a href="#')[1:]]


def test_a_bad_form_shows_the_error_summary_linked_to_each_field(world: World) -> None:
    bad = {
        **JANE,
        "given_name": "Guest",
        "family_name": "User",
        "email": "not-an-email",
        "roles": [],
    }
    response = world.post("/users/new", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and "<title>Error: " in html
    links = summary_links(html)
    assert "email" in links and "roles" in links
    assert "given_name" in links or "family_name" in links
    # Each field shows its own message, and keeps what was typed.
    assert 'id="email-error"' in html and 'id="roles-error"' in html
    assert 'value="not-an-email"' in html
    assert world.directory.by_name("guest.user") is None and world.audit.events() == []


def test_a_missing_role_is_refused_with_the_guides_rule(world: World) -> None:
    html = world.post("/users/new", {**JANE, "roles": []}).get_data(as_text=True)
    assert summary_links(html) == ["roles"]


def test_a_role_the_organisation_is_not_entitled_to_is_refused(world: World) -> None:
    response = world.post("/users/new", {**JANE, "roles": ["AwardingBodyUser"]})
    html = response.get_data(as_text=True)
    assert summary_links(html) == ["roles"] and "AwardingBodyUser" in html


def test_the_journey_creates_the_user_once_and_records_it(world: World) -> None:
    response = world.post("/users/new", JANE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organisations/{ORG}/users/new/check")
    check = world.client.get(world.url("/users/new/check")).get_data(as_text=True)
    assert "Check the new user" in check and "jane@example.org" in check and "REQ-1" in check
    assert world.directory.by_name("jane.doe") is None  # nothing made before the confirmation
    done = world.post("/users/new/check", {})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/users/new/done")
    html = world.client.get(world.url("/users/new/done")).get_data(as_text=True)
    assert "Account created" in html and "jane.doe" in html and "jane@example.org" in html
    [event] = world.audit.events(ORG)
    assert (event.action, event.actor, event.target) == ("user_created", "sam.super", "jane.doe")
    assert event.reference == "REQ-1"
    # The answers are gone: confirming again makes nothing.
    again = world.post("/users/new/check", {})
    assert again.headers["Location"].endswith("/users/new")
    assert len(world.audit.events(ORG)) == 1


def test_change_links_go_back_to_the_answers(world: World) -> None:
    world.post("/users/new", JANE)
    html = world.client.get(world.url("/users/new")).get_data(as_text=True)
    assert 'value="Jane"' in html and 'value="LRBOnlineUser" checked' in html


def test_a_missing_email_is_a_warning_not_an_error(world: World) -> None:
    response = world.post("/users/new", {**JANE, "email": ""})
    assert response.status_code == 302
    check = world.client.get(world.url("/users/new/check")).get_data(as_text=True)
    assert "govuk-warning-text" in check and "reset a forgotten password" in check


def test_without_a_csrf_token_nothing_is_posted(world: World) -> None:
    response = world.client.post(world.url("/users/new"), data=JANE)
    assert response.status_code == 400
