from __future__ import annotations

import pytest

from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.settings import config_dir
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.unit.services.fake_directory import FakeDirectory

COLLEGE = Organisation("anytown-college", "Anytown College", "college", frozenset())
OTHER = Organisation("other-college", "Other College", "college", frozenset())


@pytest.fixture(scope="session")
def realm_policy() -> RealmPolicy:
    return load_policy(config_dir(), realm="unit")


@pytest.fixture
def directory() -> FakeDirectory:
    d = FakeDirectory()
    d.add_org(COLLEGE)
    d.add_org(OTHER)
    d.add_user("sue.super", COLLEGE.id, ["LRBSuperUser"])
    d.add_user("olive.online", COLLEGE.id, ["LRBOnlineUser"])
    d.add_user("otto.other", OTHER.id, ["LRBSuperUser"])
    return d


@pytest.fixture
def audit() -> AuditLog:
    return AuditLog(make_engine("sqlite://"))


@pytest.fixture
def admin(directory: FakeDirectory, audit: AuditLog, realm_policy: RealmPolicy) -> UserAdmin:
    return UserAdmin(directory, audit, realm_policy)


@pytest.fixture
def sue() -> Actor:
    return Actor("sue.super", COLLEGE.id, frozenset({"LRBSuperUser"}))


@pytest.fixture
def olive() -> Actor:
    return Actor("olive.online", COLLEGE.id, frozenset({"LRBOnlineUser"}))


@pytest.fixture
def otto() -> Actor:
    return Actor("otto.other", OTHER.id, frozenset({"LRBSuperUser"}))
