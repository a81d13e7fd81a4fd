"""What one view of the users page asks the directory (bench/pages.py measures the cost)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs_keycloak.services.user_admin.paging import UserQuery
from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import ORG_A, World


def test_the_users_page_looks_the_organisation_up_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    original = world.directory.find_organisation

    def find_organisation(org_id: str) -> Any:
        asked.append(org_id)
        return original(org_id)

    monkeypatch.setattr(world.directory, "find_organisation", find_organisation)
    response = world.client.get(world.url("/users"))
    assert response.status_code == 200
    assert ORG_A.name in response.get_data(as_text=True)
    assert asked == [ORG]


def test_a_page_of_users_carries_its_organisation(world: World) -> None:
    actor = world.admin.actor("sam.super")
    assert actor is not None
    page = world.admin.views.page_users(actor, ORG, UserQuery())
    assert page.organisation == ORG_A


def test_the_dashboard_lists_the_organisations_members_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed: list[str] = []
    original = world.directory.members

    def members(group: Any, *args: Any, **kwargs: Any) -> Any:
        listed.append(group.organisation.id)
        return original(group, *args, **kwargs)

    monkeypatch.setattr(world.directory, "members", members)
    response = world.client.get(world.url("/"))
    assert response.status_code == 200
    assert listed == [ORG]
