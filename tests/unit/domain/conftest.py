"""Shared organisations for the domain tests."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.roles import AWARDING_BODY, OLASS, PLR, RoleCatalogue, default_catalogue


@pytest.fixture
def catalogue() -> RoleCatalogue:
    return default_catalogue()


@pytest.fixture
def college() -> Organisation:
    return Organisation("anytown-college", "Anytown College", "college", frozenset())


@pytest.fixture
def awarding_body() -> Organisation:
    return Organisation(
        "exam-board", "Example Exam Board", "awarding-body", frozenset({AWARDING_BODY})
    )


@pytest.fixture
def prison_educator() -> Organisation:
    return Organisation("hmp-learning", "HMP Learning Ltd", "college", frozenset({OLASS, PLR}))
