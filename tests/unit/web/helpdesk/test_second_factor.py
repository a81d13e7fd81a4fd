"""The help desk resets a super user's lost second factor (docs/adr/0015): question, check
your answers, the organisation's page with a banner; a plain user's is refused."""

from __future__ import annotations

from tests.unit.web.helpdesk.conftest import Desk
from tests.unit.web.helpdesk.test_journeys import post

PAGE = "/helpdesk/organisations/anytown-college/super-users/{}/second-factor"


def _with_app(desk: Desk, username: str) -> str:
    user = desk.world.directory.by_name(username)
    assert user is not None
    desk.world.directory.authenticators[user.id] = ["otp-1"]
    return user.id


def test_an_agent_resets_a_super_users_second_factor_after_checking_their_answer(
    desk: Desk,
) -> None:
    sarah = _with_app(desk, "sarah.jones")
    client = desk.client(desk.hal)
    organisation = client.get("/helpdesk/organisations/anytown-college").get_data(as_text=True)
    assert PAGE.format("sarah.jones") in organisation

    refused = post(client, PAGE.format("sarah.jones"), {"reason": " "})
    assert refused.status_code == 422 and "Give the reason" in refused.get_data(as_text=True)
    answered = post(client, PAGE.format("sarah.jones"), {"reason": "form 9; called her back"})
    assert answered.status_code == 302 and answered.headers["Location"].endswith("/check")
    check = client.get(PAGE.format("sarah.jones") + "/check").get_data(as_text=True)
    assert "form 9; called her back" in check
    assert desk.world.directory.authenticators[sarah] == ["otp-1"]  # nothing until confirmed

    done = post(client, PAGE.format("sarah.jones") + "/check")
    assert done.status_code == 302
    assert desk.world.directory.authenticators[sarah] == []
    banner = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "sarah.jones&#39;s second factor was reset" in banner
    assert "second_factor_reset" in desk.world.kinds()


def test_a_plain_users_second_factor_is_not_the_help_desks_to_reset(desk: Desk) -> None:
    olive = _with_app(desk, "olive.online")
    client = desk.client(desk.hal)
    post(client, PAGE.format("olive.online"), {"reason": "asked by phone"})
    refused = post(client, PAGE.format("olive.online") + "/check")
    assert refused.status_code == 422
    assert "second factors only" in refused.get_data(as_text=True)
    assert desk.world.directory.authenticators[olive] == ["otp-1"]
