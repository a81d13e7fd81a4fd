"""The help desk's organisation search (services.recovery.search)."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.services.recovery.search import search_organisations
from lrs_keycloak.services.user_admin import NotPermitted
from tests.unit.services.recovery_world import HAL, World, agent

ANY = Organisation("anytown", "Riverside Anytown School", "school", frozenset())


def test_an_exact_id_comes_first_then_names_containing_the_text(world: World) -> None:
    world.directory.add_org(ANY)
    found = search_organisations(world.service, HAL, "anytown")
    assert [o.id for o in found] == ["anytown", "anytown-college"]


def test_blank_text_finds_nothing(world: World) -> None:
    assert search_organisations(world.service, HAL, "   ") == []


def test_the_limit_bounds_the_answer(world: World) -> None:
    world.directory.add_org(ANY)
    assert len(search_organisations(world.service, HAL, "a", limit=1)) == 1


def test_only_a_help_desk_agent_searches(world: World) -> None:
    with pytest.raises(NotPermitted):
        search_organisations(world.service, agent("x").__class__("x", None, frozenset()), "any")
