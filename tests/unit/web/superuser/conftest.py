"""A super user's pages against the in-memory directory (tests/unit/services/fake_directory.py)
and a real, in-memory audit log and flag store: organisation A with its super user Sam, who is
signed in, and organisation B."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.settings import config_dir
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.web.people import Person
from tests.support.pages import ORG, OTHER_ORG, csrf_token, pages_app, sign_in
from tests.unit.services.fake_directory import FakeDirectory

ORG_A = Organisation(ORG, "Anytown College", "college", frozenset())
ORG_B = Organisation(OTHER_ORG, "Other College", "college", frozenset())


@dataclass
class World:
    app: Flask
    client: FlaskClient
    directory: FakeDirectory
    audit: AuditLog
    flags: EnforcementStore
    admin: UserAdmin
    sam: Person

    def url(self, path: str = "", org: str = ORG) -> str:
        return f"/organisations/{org}{path}"

    def post(self, path: str, data: Mapping[str, object], org: str = ORG) -> TestResponse:
        return self.client.post(
            self.url(path, org), data={"csrf_token": csrf_token(self.client), **data}
        )


@pytest.fixture(scope="session")
def realm_policy() -> RealmPolicy:
    return load_policy(config_dir(), realm="unit")


def person_of(directory: FakeDirectory, username: str) -> Person:
    user = directory.by_name(username)
    assert user is not None
    return Person(
        user.id,
        user.username,
        f"{user.first_name} {user.last_name}",
        user.email,
        user.organisation_ids,
        user.roles,
    )


@pytest.fixture
def world(realm_policy: RealmPolicy) -> World:
    directory = FakeDirectory()
    directory.add_org(ORG_A)
    directory.add_org(ORG_B)
    directory.add_user("sam.super", ORG, ["LRBSuperUser"])
    directory.add_user("olive.online", ORG, ["LRBOnlineUser"])
    directory.add_user("otto.other", OTHER_ORG, ["LRBSuperUser"])
    directory.add_user("bea.batch", OTHER_ORG, ["LRBBatchUser"])
    engine = make_engine("sqlite://")
    audit = AuditLog(engine)
    flags = EnforcementStore(engine)
    admin = UserAdmin(directory, audit, realm_policy)
    # The dashboard reads the enforcer's flags through the root's enforcer (its ``store``).
    app = pages_app(user_admin=admin, enforcer=SimpleNamespace(store=flags))
    client = app.test_client()
    sam = person_of(directory, "sam.super")
    sign_in(client, sam)
    return World(app, client, directory, audit, flags, admin, sam)
