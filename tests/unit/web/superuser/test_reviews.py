"""Access reviews on the super user's pages (guide §8): start one, confirm a user, read the
outcome; a second review while one is open is refused on the page."""

from __future__ import annotations

from tests.unit.web.superuser.conftest import World


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
