"""Issue 9 §2-§3 against the real Keycloak: every access change leaves its audit record or does
not happen, a retried creation makes no second account, and two super users acting on each
other from two OS processes at once leave the organisation one active super user."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.postgres import own_schema
from tests.support.processes import act_on_each_other, spawn
from tests.support.store import migrated_engine

WAIT = 180  # seconds for a spawned interpreter to start and act on a busy machine


def _org() -> Organisation:
    return Organisation(f"college-{uuid.uuid4().hex[:8]}", "Audit College", "college", frozenset())


def _person(given: str, family: str) -> UserDetails:
    # A staff ID says who they are; no email address, so this realm needs no mail server.
    return UserDetails("Ms", given, family, "HR ref", staff_id=f"S-{given}")


@pytest.fixture(params=["sqlite-file", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of the companion app's store: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'lrs.sqlite'}"
    else:
        with own_schema(request.getfixturevalue("postgres_url")) as url:
            yield url


@pytest.fixture
def store(store_url: str) -> Iterator[AuditLog]:
    """The audit log on that store, migrated (before any other process uses it)."""
    engine = migrated_engine(store_url)
    try:
        yield AuditLog(engine)
    finally:
        engine.dispose()


def _admin(gateway: KeycloakGateway, policy: RealmPolicy, audit: AuditLog) -> UserAdmin:
    return UserAdmin(UserDirectory(gateway), audit, policy)


def _organisation_with(admin: UserAdmin, *super_users: str) -> tuple[str, list[Actor]]:
    """A new organisation whose super users are the given people (first names)."""
    org = _org()
    first = admin.register_organisation(Operator("it"), org, _person(super_users[0], "Super"))
    names = [str((first.user or {})["username"])]
    for given in super_users[1:]:
        made = admin.create_user(Operator("it"), org.id, _person(given, "Super"), ["LRBSuperUser"])
        names.append(str((made.user or {})["username"]))
    actors = [admin.actor(name) for name in names]
    assert all(actors)
    return org.id, [a for a in actors if a is not None]


def test_a_reference_longer_than_the_audit_column_is_refused_before_the_role_changes(
    synced_gateway: KeycloakGateway, policy: RealmPolicy, store: AuditLog
) -> None:
    """Issue 9 §2: on PostgreSQL this was a 500 with the role kept and no audit event."""
    audit = store
    admin = _admin(synced_gateway, policy, audit)
    org_id, [sue] = _organisation_with(admin, "Sue")
    olive = admin.create_user(sue, org_id, _person("Olive", "Online"), ["LRBOnlineUser"])
    username = str((olive.user or {})["username"])
    with pytest.raises(RuleViolation) as refused:
        admin.change_roles(sue, org_id, username, ["LRBBatchUser"], reference="R" * 300)
    assert [(v.field, v.code) for v in refused.value.violations] == [("reference", "too-long")]
    user = UserDirectory(synced_gateway).find_user(username)
    assert user is not None and user.roles == {"LRBOnlineUser"}
    assert audit.events(org_id, action="user_roles_changed") == []


class RefusingAudit(AuditLog):
    """The audit store refuses one kind of event (as a full disk or a lost database would)."""

    refused: str = ""

    def record(self, event: AuditEvent) -> AuditEvent:
        if event.action == self.refused:
            raise OSError(f"the audit store is unavailable: {event.action} not recorded")
        return super().record(event)


CHANGES: dict[str, tuple[str, Callable[[UserAdmin, Actor, str, str], object]]] = {
    "roles": (
        "user_roles_changed",
        lambda a, s, org, u: a.change_roles(s, org, u, ["LRBBatchUser"], reference="CR-1"),
    ),
    "suspend": ("user_suspended", lambda a, s, org, u: a.suspend(s, org, u, "left")),
    "update": (
        "user_details_updated",
        lambda a, s, org, u: a.update_details(
            s, org, u, {"staff_id": "S-1", "mobile": "07700 900123"}
        ),
    ),
    "remove": ("user_removed", lambda a, s, org, u: a.remove(s, org, u, "left")),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_whose_audit_record_fails_is_undone_in_keycloak(
    synced_gateway: KeycloakGateway, policy: RealmPolicy, change: str
) -> None:
    audit = RefusingAudit(make_engine("sqlite://"))
    admin = _admin(synced_gateway, policy, audit)
    org_id, [sue] = _organisation_with(admin, "Sue")
    olive = admin.create_user(sue, org_id, _person("Olive", "Online"), ["LRBOnlineUser"])
    username = str((olive.user or {})["username"])
    directory = UserDirectory(synced_gateway)
    before = directory.find_user(username)
    assert before is not None
    before_rep = directory.get_user(before.id)
    action, act = CHANGES[change]
    audit.refused = action
    with pytest.raises(OSError):
        act(admin, sue, org_id, username)
    after = directory.find_user(username)
    assert after is not None and after.id == before.id
    assert (after.roles, after.enabled) == (before.roles, before.enabled)
    after_rep = directory.get_user(after.id)
    for key in ("firstName", "lastName", "email", "attributes", "enabled"):
        assert after_rep.get(key) == before_rep.get(key), key
    assert audit.events(org_id, action=action) == []


def test_a_creation_whose_audit_record_fails_leaves_no_account(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    audit = RefusingAudit(make_engine("sqlite://"))
    admin = _admin(synced_gateway, policy, audit)
    org_id, [sue] = _organisation_with(admin, "Sue")
    audit.refused = "user_created"
    with pytest.raises(OSError):
        admin.create_user(sue, org_id, _person("Nora", "Record"), ["LRBOnlineUser"])
    assert UserDirectory(synced_gateway).usernames_starting("nora.record") == set()


def test_a_retried_creation_answers_the_first_account_instead_of_making_a_second(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    audit = AuditLog(make_engine("sqlite://"))
    admin = _admin(synced_gateway, policy, audit)
    org_id, [sue] = _organisation_with(admin, "Sue")
    ada = _person("Ada", "Lovelace")
    first = admin.create_user(sue, org_id, ada, ["LRBOnlineUser"], "REQ-9")
    again = admin.create_user(sue, org_id, ada, ["LRBOnlineUser"], "REQ-9")
    assert first.user and again.user and again.user["username"] == first.user["username"]
    assert again.existing and [w.code for w in again.warnings] == ["person-already-registered"]
    taken = UserDirectory(synced_gateway).usernames_starting("ada.lovelace")
    assert taken == {first.user["username"]}
    assert len(audit.events(org_id, action="user_created")) == 1


@pytest.mark.parametrize("action", ["demote", "suspend"])
def test_two_super_users_in_two_processes_acting_on_each_other_leave_one_active(
    synced_gateway: KeycloakGateway,
    policy: RealmPolicy,
    realm_name: str,
    store_url: str,
    store: AuditLog,
    action: str,
) -> None:
    admin = _admin(synced_gateway, policy, store)
    org_id, [sue, sam] = _organisation_with(admin, "Sue", "Sam")
    ctx = spawn()
    start = ctx.Barrier(2)
    answers: Any = ctx.Queue()
    children = [
        ctx.Process(
            target=act_on_each_other,
            args=(realm_name, store_url, me, other, org_id, action, start, answers),
        )
        for me, other in ((sue.username, sam.username), (sam.username, sue.username))
    ]
    for child in children:
        child.start()
    outcomes = sorted(answers.get(timeout=WAIT)[1] for _ in children)
    for child in children:
        child.join(WAIT)
    assert outcomes == ["done", "last-super-user"]
    listed = admin.list_users(Operator("it"), org_id, role="LRBSuperUser", status="active")
    assert len(listed.users or []) == 1
