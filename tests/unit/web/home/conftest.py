"""The home page and the layout against the in-memory directory: organisation A with Pat (an
online user) and Sam (its super user), organisation B with Oli (its super user)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.settings import config_dir
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.pages import ORG, OTHER_ORG, pages_app, persona, sign_in
from tests.unit.services.fake_directory import FakeDirectory

ORG_A = Organisation(ORG, "Anytown College", "college", frozenset())
ORG_B = Organisation(OTHER_ORG, "Other College", "college", frozenset())
#: The agreement's text in these tests: Markdown with a heading, a list and a hostile line.
AGREEMENT = "# LRS User Agreement\n\nYour logon is *yours*.\n\n- one\n- two\n\n<script>x()</script>"


@pytest.fixture
def directory() -> FakeDirectory:
    d = FakeDirectory()
    d.add_org(ORG_A)
    d.add_org(ORG_B)
    pat = d.add_user("pat.plain", ORG, ["LRBOnlineUser"])
    pat.attributes.update(lrsAgreementVersion="1", lrsAgreementAcceptedAt="2026-11-30T09:05:00Z")
    d.add_user("sam.super", ORG, ["LRBSuperUser"])
    d.add_user("oli.other", OTHER_ORG, ["LRBSuperUser"])
    return d


@pytest.fixture
def policy() -> RealmPolicy:
    loaded = load_policy(config_dir(), realm="unit")
    assert loaded.agreement is not None
    agreement = dataclasses.replace(loaded.agreement, text=AGREEMENT, current="1")
    return dataclasses.replace(loaded, agreement=agreement)


@pytest.fixture
def app(directory: FakeDirectory, policy: RealmPolicy) -> Flask:
    admin = UserAdmin(directory, AuditLog(make_engine("sqlite://")), policy)
    return pages_app(
        {"LRS_HELP_DESK_CONTACT": "the MIAP help desk on 0000 000 0000"}, user_admin=admin
    )


@pytest.fixture
def as_persona(app: Flask) -> Callable[[str], FlaskClient]:
    """A client signed in as one of `tests.support.pages.persona`'s people."""

    def signed_in(kind: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, persona(kind))
        return client

    return signed_in
