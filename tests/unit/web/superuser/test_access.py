"""Who sees the super user's pages: only an active super user of that very organisation.
Another organisation's pages are invisible (404, guide §10.1), never its data."""

from __future__ import annotations

import pytest

from tests.support.pages import ORG, OTHER_ORG, csrf_token, persona, sign_in
from tests.unit.web.superuser.conftest import World, person_of

PAGES = (
    "/",
    "/users",
    "/users/otto.other",
    "/users/new",
    "/users/new/check",
    "/users/otto.other/suspend",
    "/users/otto.other/remove/check",
    "/users/otto.other/roles",
    "/users/otto.other/details",
    "/users/otto.other/set-password-email",
    "/audit",
    "/audit.csv",
)
POSTS = (
    "/users/new",
    "/users/new/check",
    "/users/otto.other/suspend/check",
    "/users/otto.other/roles",
    "/users/otto.other/set-password-email",
)


@pytest.mark.parametrize("path", PAGES)
def test_a_super_user_of_org_a_gets_404_on_org_bs_pages(world: World, path: str) -> None:
    response = world.client.get(world.url(path, OTHER_ORG))
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "otto.other" not in html and "Other College" not in html


@pytest.mark.parametrize("path", POSTS)
def test_a_super_user_of_org_a_cannot_change_org_b(world: World, path: str) -> None:
    response = world.client.post(
        world.url(path, OTHER_ORG),
        data={"csrf_token": csrf_token(world.client), "reason": "x", "roles": "LRBOnlineUser"},
    )
    assert response.status_code == 404
    otto = world.directory.by_name("otto.other")
    assert otto and otto.enabled and world.audit.events() == []


def test_a_user_of_another_organisation_is_not_found_in_mine(world: World) -> None:
    assert world.client.get(world.url("/users/otto.other")).status_code == 404


def test_a_plain_user_gets_404(world: World) -> None:
    client = world.app.test_client()
    sign_in(client, person_of(world.directory, "olive.online"))
    assert client.get(world.url("/users")).status_code == 404


def test_a_help_desk_agent_gets_404(world: World) -> None:
    client = world.app.test_client()
    sign_in(client, persona("helpdesk"))
    assert client.get(world.url("/")).status_code == 404


def test_signed_out_goes_to_sign_in(world: World) -> None:
    response = world.app.test_client().get(world.url("/users"))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_super_user_demoted_since_signing_in_is_refused_by_the_service(world: World) -> None:
    sam = world.directory.by_name("sam.super")
    assert sam
    sam.roles = frozenset({"LRBOnlineUser"})  # the session still says super user
    assert world.client.get(world.url("/users")).status_code == 403


def test_a_removed_account_with_a_session_sees_nothing(world: World) -> None:
    sam = world.directory.by_name("sam.super")
    assert sam
    del world.directory.users[sam.id]
    assert world.client.get(world.url("/")).status_code == 404


def test_every_route_of_the_blueprint_is_guarded(world: World) -> None:
    for rule in world.app.url_map.iter_rules():
        if rule.endpoint.startswith("superuser."):
            view = world.app.view_functions[rule.endpoint]
            assert getattr(view, "lrs_guard", None) == "super_user_of_org", rule.rule


def test_org_a_is_mine(world: World) -> None:
    assert world.client.get(world.url("/", ORG)).status_code == 200
