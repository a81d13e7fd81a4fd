"""Change roles (an authorisation reference when access grows) and change details."""

from __future__ import annotations

from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import World


def test_more_access_without_a_reference_is_refused_at_the_reference(world: World) -> None:
    world.post("/users/olive.online/roles", {"roles": ["LRBOnlineUser", "LRBBatchUser"]})
    check = world.client.get(world.url("/users/olive.online/roles/check")).get_data(as_text=True)
    assert "LRBBatchUser" in check and "give the authorisation reference" in check
    response = world.post("/users/olive.online/roles/check", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#reference">This change gives more access' in html
    olive = world.directory.by_name("olive.online")
    assert olive and olive.roles == {"LRBOnlineUser"}


def test_roles_change_with_a_reference(world: World) -> None:
    world.post("/users/olive.online/roles", {"roles": ["LRBBatchUser"], "reference": "CR-9"})
    done = world.post("/users/olive.online/roles/check", {})
    assert "Roles changed" in world.client.get(done.headers["Location"]).get_data(as_text=True)
    olive = world.directory.by_name("olive.online")
    assert olive and olive.roles == {"LRBBatchUser"}
    [event] = world.audit.events(ORG)
    assert event.action == "user_roles_changed" and event.reference == "CR-9"


def test_change_details_shows_old_and_new_then_saves(world: World) -> None:
    form = world.client.get(world.url("/users/olive.online/details")).get_data(as_text=True)
    assert 'value="Olive"' in form
    fields = {
        "title": "Ms",
        "given_name": "Olive",
        "family_name": "Online",
        "verification_provided": "ref",
        "email": "olive.online@example.org",
        "telephone": "01632 960 123",
    }
    assert world.post("/users/olive.online/details", fields).status_code == 302
    check = world.client.get(world.url("/users/olive.online/details/check")).get_data(as_text=True)
    assert "Was: not recorded" in check and "Now: 01632 960 123" in check
    world.post("/users/olive.online/details/check", {})
    [event] = world.audit.events(ORG)
    assert event.action == "user_details_updated" and event.details["fields"] == ["telephone"]


def test_a_bad_telephone_is_shown_at_its_field(world: World) -> None:
    fields = {
        "title": "Ms",
        "given_name": "Olive",
        "family_name": "Online",
        "verification_provided": "ref",
        "email": "olive.online@example.org",
        "telephone": "12",
    }
    world.post("/users/olive.online/details", fields)
    html = world.post("/users/olive.online/details/check", {}).get_data(as_text=True)
    assert '<a href="#telephone">' in html and 'id="telephone-error"' in html


def test_nothing_changed_is_said_so(world: World) -> None:
    form = {
        "title": "Ms",
        "given_name": "Olive",
        "family_name": "Online",
        "verification_provided": "ref",
        "email": "olive.online@example.org",
    }
    html = world.post("/users/olive.online/details", form).get_data(as_text=True)
    assert "Change at least one detail" in html


def test_the_set_password_email_is_sent_again_and_recorded(world: World) -> None:
    page = world.client.get(world.url("/users/olive.online/set-password-email"))
    assert "olive.online@example.org" in page.get_data(as_text=True)
    done = world.post("/users/olive.online/set-password-email", {})
    assert done.headers["Location"].endswith("/users/olive.online/set-password-email/done")
    olive = world.directory.by_name("olive.online")
    assert olive and world.directory.emails == [olive.id]
    [event] = world.audit.events(ORG)
    assert (event.action, event.actor, event.target) == (
        "user_set_password_email_sent",
        "sam.super",
        "olive.online",
    )
    html = world.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Set-password email sent" in html


def test_no_set_password_email_without_an_address(world: World) -> None:
    olive = world.directory.by_name("olive.online")
    assert olive
    olive.email = None
    response = world.post("/users/olive.online/set-password-email", {})
    assert response.status_code == 422
    assert '<a href="#send">olive.online has no email address' in response.get_data(as_text=True)
    assert world.directory.emails == [] and world.audit.events() == []


def test_a_failed_email_leaves_no_record(world: World) -> None:
    world.directory.fail.add("send_set_password_email")
    world.client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = world.post("/users/olive.online/set-password-email", {})
    assert response.status_code == 500 and world.audit.events() == []
