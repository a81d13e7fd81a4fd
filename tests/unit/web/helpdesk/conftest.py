"""The help desk's pages on the recovery's in-memory world (tests/unit/services/recovery_world):
the fake directory with two help desk agents, an SQLite store, a mailbox; signed in as a Person
without Keycloak (tests/support/pages)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE
from lrs_keycloak.settings import config_dir
from lrs_keycloak.store.enforcement import Flag
from lrs_keycloak.web.people import Person
from tests.support.pages import pages_app, sign_in
from tests.unit.services.recovery_world import COLLEGE, World, world

#: ``world`` is the recovery world's fixture, used here by ``desk``.
__all__ = ["world"]


@pytest.fixture(scope="session")
def realm_policy() -> RealmPolicy:
    return load_policy(config_dir(), realm="unit")


@dataclass
class FakeFlags:
    flags: list[Flag] = field(default_factory=list)

    def open_flags(self, organisation_id: str | None = None) -> list[Flag]:
        return [f for f in self.flags if f.organisation_id == organisation_id]


def add_agent(world: World, username: str, *, helpdesk: bool = True) -> Person:
    """A help desk agent in the directory (no organisation), and the Person they sign in as."""
    user = world.directory.add_user(username, COLLEGE.id, [])
    roles = frozenset({HELPDESK_REALM_ROLE}) if helpdesk else frozenset()
    world.directory.users[user.id] = replace(user, organisation_ids=(), realm_roles=roles)
    given, family = username.split(".")
    return Person(user.id, username, f"{given.title()} {family.title()}", helpdesk=True)


@dataclass
class Desk:
    """The app, the world behind it, and the two agents of the world (hal raises, ida checks)."""

    app: Flask
    world: World
    hal: Person
    ida: Person
    flags: FakeFlags

    def client(self, person: Person | None = None) -> FlaskClient:
        client = self.app.test_client()
        if person is not None:
            sign_in(client, person)
        return client


@pytest.fixture
def desk(world: World) -> Desk:
    flags = FakeFlags()
    app = pages_app(recovery=world.service, enforcer=SimpleNamespace(store=flags))
    # The world's agents are hal.desk (raises cases) and ida.second (the second agent).
    hal = add_agent(world, "hal.desk")
    ida = add_agent(world, "ida.second")
    return Desk(app, world, hal, ida, flags)


def flag(org_id: str, username: str, rule: str, message: str) -> Flag:
    return Flag(1, "u-x", username, org_id, rule, message, datetime.now(UTC), None)
