"""Access reviews on the super user's pages (guide §8): start one, confirm a user, read the
outcome; a second review while one is open is refused on the page."""

from __future__ import annotations

from tests.unit.web.superuser.conftest import ORG_A, World


def test_a_super_user_starts_a_review_and_confirms_a_user(world: World) -> None:
    started = world.post("/reviews", {})
    assert started.status_code == 302 and started.location.endswith("/reviews/1")
    page = world.client.get(world.url("/reviews/1")).get_data(as_text=True)
    assert "olive.online" in page and page.count("Confirm access with these roles") == 2
    confirmed = world.post("/reviews/1/users/olive.online/confirm", {})
    assert confirmed.status_code == 302
    page = world.client.get(world.url("/reviews/1")).get_data(as_text=True)
    assert "Confirm by sam.super" in page and page.count("Confirm access with these roles") == 1
    listed = world.client.get(world.url("/reviews")).get_data(as_text=True)
    assert "Review 1" in listed and "1 of 2" in listed


def test_a_second_review_while_one_is_open_is_refused_on_the_page(world: World) -> None:
    world.post("/reviews", {})
    again = world.post("/reviews", {})
    assert again.status_code == 422 and "is open (review 1)" in again.get_data(as_text=True)


def test_a_confirmation_twice_is_shown_as_an_error(world: World) -> None:
    world.post("/reviews", {})
    world.post("/reviews/1/users/olive.online/confirm", {})
    again = world.post("/reviews/1/users/olive.online/confirm", {})
    assert again.status_code == 422 and "already answered" in again.get_data(as_text=True)


def test_another_organisations_review_is_not_found(world: World) -> None:
    world.post("/reviews", {})
    assert world.client.get(world.url("/reviews/1", org="org-b")).status_code == 404


def test_a_reviews_answer_changes_roles_through_the_role_change_rules(world: World) -> None:
    """Guide §5 within §8: a role added needs the authorisation reference, refused without it
    naming the field and the rule; no role at all is refused too; the answer is kept once the
    change is made."""
    world.post("/reviews", {})
    form = world.client.get(world.url("/reviews/1/users/olive.online/roles"))
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="LRBOnlineUser" checked' in page
    refused = world.post("/reviews/1/users/olive.online/roles", {"roles": ["LRBSuperUser"]})
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422 and '<a href="#reference">' in shown
    assert "guide §5" in shown and 'value="LRBSuperUser" checked' in shown
    none = world.post("/reviews/1/users/olive.online/roles", {})
    assert none.status_code == 422 and '<a href="#roles">' in none.get_data(as_text=True)
    changed = world.post(
        "/reviews/1/users/olive.online/roles", {"roles": ["LRBViewOnlyUser"], "reference": "HR-7"}
    )
    assert changed.status_code == 302 and changed.location.endswith("/reviews/1#olive.online")
    olive = world.directory.by_name("olive.online")
    assert olive is not None and olive.roles == {"LRBViewOnlyUser"}
    page = world.client.get(world.url("/reviews/1")).get_data(as_text=True)
    assert "Change roles to LRBViewOnlyUser by sam.super" in page


def test_a_reviews_answer_removes_after_a_reason_and_a_check(world: World) -> None:
    world.post("/reviews", {})
    blank = world.post("/reviews/1/users/olive.online/remove", {"reason": " "})
    assert blank.status_code == 422 and '<a href="#reason">' in blank.get_data(as_text=True)
    assert world.directory.by_name("olive.online") is not None
    asked = world.post("/reviews/1/users/olive.online/remove", {"reason": "Left in May"})
    assert asked.location.endswith("/reviews/1/users/olive.online/remove/check")
    check = world.client.get(asked.location).get_data(as_text=True)
    assert "Check before you remove olive.online" in check and "Left in May" in check
    assert world.directory.by_name("olive.online") is not None  # nothing yet
    done = world.post("/reviews/1/users/olive.online/remove/check", {})
    assert done.status_code == 302 and world.directory.by_name("olive.online") is None
    page = world.client.get(world.url("/reviews/1")).get_data(as_text=True)
    assert "Remove by sam.super" in page and "Left in May" in page
    [event] = world.audit.events(ORG_A.id, action="user_removed")
    assert event.reason == "Access review 1: Left in May" and event.target == "olive.online"


def test_the_last_super_user_removed_in_a_review_is_refused_on_the_page(world: World) -> None:
    world.post("/reviews", {})
    world.post("/reviews/1/users/sam.super/remove", {"reason": "Testing"})
    refused = world.post("/reviews/1/users/sam.super/remove/check", {})
    assert refused.status_code == 422 and '<a href="#reason">' in refused.get_data(as_text=True)
    assert world.directory.by_name("sam.super") is not None


def test_a_user_not_in_the_review_has_no_answer_pages(world: World) -> None:
    world.post("/reviews", {})
    assert world.client.get(world.url("/reviews/1/users/nobody/roles")).status_code == 404
    assert world.client.get(world.url("/reviews/1/users/nobody/remove")).status_code == 404
