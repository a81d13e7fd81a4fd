"""The reads and the resend added to ``UserAdmin`` for these pages, at the service: the same
authorisation as every use case, and the audit log's new filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible
from lrs_keycloak.services.user_admin.paging import UserQuery
from lrs_keycloak.store.audit import AuditEvent
from tests.support.pages import ORG, OTHER_ORG
from tests.unit.web.superuser.conftest import World


def actor(world: World, username: str) -> Actor:
    found = world.admin.actor(username)
    assert found is not None
    return found


def test_another_organisations_super_user_sees_nothing(world: World) -> None:
    otto = actor(world, "otto.other")
    views = world.admin.views
    with pytest.raises(NotVisible):
        views.page_users(otto, ORG, UserQuery())
    with pytest.raises(NotVisible):
        views.audit_page(otto, ORG)
    with pytest.raises(NotVisible):
        world.admin.resend_set_password_email(otto, ORG, "olive.online")


def test_a_plain_user_is_not_permitted(world: World) -> None:
    with pytest.raises(NotPermitted):
        world.admin.views.page_users(actor(world, "olive.online"), ORG, UserQuery())


def test_page_users_pages_the_service_listing(world: World) -> None:
    for i in range(7):
        world.directory.add_user(f"user.n{i}", ORG, ["LRBViewOnlyUser"])
    page = world.admin.views.page_users(
        actor(world, "sam.super"), ORG, UserQuery(role="LRBViewOnlyUser", per_page=3, page=3)
    )
    assert (page.total, page.pages, [u["username"] for u in page.rows]) == (7, 3, ["user.n6"])
    assert page.warnings and page.warnings[0].code == "too-few-super-users"


def test_check_new_user_refuses_by_the_creation_rules_and_creates_nothing(world: World) -> None:
    guest = UserDetails("Mr", "Guest", "User", "ref")
    with pytest.raises(RuleViolation) as refused:
        world.admin.views.check_new_user(actor(world, "sam.super"), ORG, guest, [])
    assert {"generic-name", "no-role"} <= {v.code for v in refused.value.violations}
    assert world.directory.by_name("guest.user") is None and world.audit.events() == []


def test_the_audit_log_filters_by_actor_and_time(world: World) -> None:
    now = datetime.now(UTC)
    for at, who in ((now - timedelta(days=3), "sam.super"), (now, "sam.super"), (now, "sue")):
        world.audit.record(AuditEvent("user_suspended", who, ORG, target="x", at=at))
    world.audit.record(AuditEvent("user_suspended", "sam.super", OTHER_ORG, target="y", at=now))
    sam = actor(world, "sam.super")
    views = world.admin.views
    assert len(views.audit_page(sam, ORG, actor="sam.super")) == 2
    assert len(views.audit_page(sam, ORG, since=now - timedelta(days=1))) == 2
    assert len(views.audit_page(sam, ORG, before=now - timedelta(days=1))) == 1
