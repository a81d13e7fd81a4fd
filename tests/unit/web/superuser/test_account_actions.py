"""Suspend (guide §6), reinstate (§6.1) and remove (§7), each with its reason."""

from __future__ import annotations

from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import World


def test_suspending_needs_a_reason(world: World) -> None:
    response = world.post("/users/olive.online/suspend", {"reason": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#reason">Give the reason for this suspension' in html


def test_suspend_then_reinstate_with_their_reasons_in_the_trail(world: World) -> None:
    assert world.post("/users/olive.online/suspend", {"reason": "Left"}).status_code == 302
    check = world.client.get(world.url("/users/olive.online/suspend/check")).get_data(as_text=True)
    assert "Left" in check and "govuk-button--warning" in check
    done = world.post("/users/olive.online/suspend/check", {})
    assert done.headers["Location"].endswith("/users/olive.online/suspend/done")
    olive = world.directory.by_name("olive.online")
    assert olive and not olive.enabled and olive.id in world.directory.logged_out
    assert "Account suspended" in world.client.get(done.headers["Location"]).get_data(as_text=True)

    world.post("/users/olive.online/reinstate", {"reason": "Back from leave"})
    world.post("/users/olive.online/reinstate/check", {})
    assert olive.enabled
    trail = [(e.action, e.reason) for e in world.audit.events(ORG)]
    assert trail == [("user_reinstated", "Back from leave"), ("user_suspended", "Left")]


def test_the_last_super_user_cannot_be_suspended(world: World) -> None:
    world.post("/users/sam.super/suspend", {"reason": "Testing"})
    response = world.post("/users/sam.super/suspend/check", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#reason">sam.super is the only active super user' in html
    sam = world.directory.by_name("sam.super")
    assert sam and sam.enabled and world.audit.events() == []


def test_removing_asks_the_guides_leaving_reasons(world: World) -> None:
    html = world.client.get(world.url("/users/olive.online/remove")).get_data(as_text=True)
    for reason in (
        "left your organisation",
        "another separately registered MIAP organisation",
        "no longer needs access",
        "no longer sub-contracted",
    ):
        assert reason in html
    assert "Its history stays" in html
    refused = world.post("/users/olive.online/remove", {"reason": ""})
    assert '<a href="#leaving">Choose why' in refused.get_data(as_text=True)


def test_remove_records_the_leaving_reason_and_the_history_stays(world: World) -> None:
    world.post("/users/olive.online/suspend", {"reason": "Going"})
    world.post("/users/olive.online/suspend/check", {})
    world.post("/users/olive.online/remove", {"leaving": "left", "reason": "Retired"})
    done = world.post("/users/olive.online/remove/check", {})
    assert world.directory.by_name("olive.online") is None
    html = world.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Account removed" in html and "history stays" in html
    removed = world.audit.events(ORG, action="user_removed")[0]
    assert removed.reason == "They have left your organisation: Retired"
    trail = world.client.get(world.url("/audit?target=olive.online")).get_data(as_text=True)
    assert "user suspended" in trail and "user removed" in trail


def test_a_lost_second_factor_is_reset_from_the_users_page_after_check_your_answers(
    world: World,
) -> None:
    olive = world.directory.by_name("olive.online")
    assert olive is not None
    world.directory.authenticators[olive.id] = ["otp-1"]
    page = world.client.get(world.url("/users/olive.online")).get_data(as_text=True)
    assert world.url("/users/olive.online/second-factor") in page
    world.post("/users/olive.online/second-factor", {"reason": "New phone; called her desk"})
    check = world.client.get(world.url("/users/olive.online/second-factor/check"))
    assert "New phone; called her desk" in check.get_data(as_text=True)
    assert world.directory.authenticators[olive.id] == ["otp-1"]  # nothing until confirmed
    done = world.post("/users/olive.online/second-factor/check", {})
    assert done.headers["Location"].endswith("/users/olive.online/second-factor/done")
    assert world.directory.authenticators[olive.id] == []
    [event] = world.audit.events(ORG)
    assert (event.action, event.reason) == ("second_factor_reset", "New phone; called her desk")


def test_a_super_user_cannot_reset_their_own_second_factor(world: World) -> None:
    sam = world.directory.by_name("sam.super")
    assert sam is not None
    world.directory.authenticators[sam.id] = ["otp-1"]
    world.post("/users/sam.super/second-factor", {"reason": "I lost my phone"})
    refused = world.post("/users/sam.super/second-factor/check", {})
    assert refused.status_code == 422
    assert "You cannot reset your own second factor" in refused.get_data(as_text=True)
    assert world.directory.authenticators[sam.id] == ["otp-1"]
