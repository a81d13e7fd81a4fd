"""User administration against the real Keycloak, in a throwaway realm per module."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.smtp import Inbox, body, realm_mail

ORG = Organisation("anytown-college", "Anytown College", "college", frozenset())
SUE = UserDetails("Ms", "Sue", "Super", "MIAP sign-up form 1", email="sue@anytown.example.org")
PASSWORD = "a long enough passphrase 42"


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    """A real SMTP server for this module's realm (the realm's smtpServer points at it)."""
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def admin(synced_gateway: KeycloakGateway, policy: RealmPolicy, inbox: Inbox) -> UserAdmin:
    return UserAdmin(UserDirectory(synced_gateway), AuditLog(make_engine("sqlite://")), policy)


@pytest.fixture(scope="module")
def sue(admin: UserAdmin) -> Actor:
    result = admin.register_organisation(Operator("it"), ORG, SUE)
    assert result.user is not None
    actor = admin.actor(result.user["username"])
    assert actor is not None
    return actor


@pytest.fixture(scope="module")
def password_client(synced_gateway: KeycloakGateway) -> tuple[str, str]:
    """A test-only confidential client with direct grants, in this throwaway realm only.

    The every-logon User Agreement action makes password grants answer "Account is not fully
    set up", so it is switched off in this realm: these tests are about passwords and locks.
    """
    secret = uuid.uuid4().hex
    for action in synced_gateway.list_required_actions():
        if action["alias"] == "lrs-user-agreement":
            synced_gateway.update_required_action(
                action["alias"], {**action, "enabled": False, "defaultAction": False}
            )
    synced_gateway.create_client(
        {
            "clientId": "it-direct",
            "publicClient": False,
            "secret": secret,
            "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False,
        }
    )
    return "it-direct", secret


def login(realm: str, client: tuple[str, str], username: str, password: str) -> requests.Response:
    return requests.post(
        f"{keycloak_settings().url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": client[0],
            "client_secret": client[1],
            "username": username,
            "password": password,
        },
        timeout=10,
    )


def person(given: str, family: str, mail: bool = False) -> UserDetails:
    return UserDetails(
        "Mr", given, family, "HR ref", email=f"{given}.{family}@example.org" if mail else None
    )


def set_password(gw: KeycloakGateway, user_id: str) -> None:
    gw.call(
        "PUT",
        f"/users/{user_id}/reset-password",
        {"type": "password", "value": PASSWORD, "temporary": False},
    )


def test_create_user_generates_username_in_group_with_roles(admin: UserAdmin, sue: Actor) -> None:
    result = admin.create_user(sue, ORG.id, person("Aoife", "O'Brien"), ["LRBOnlineUser"], "R1")
    assert result.user is not None and result.user["username"] == "aoife.obrien"
    listed = admin.list_users(sue, ORG.id, search="aoife")
    assert listed.users is not None
    [user] = listed.users
    assert user["roles"] == ["LRBOnlineUser"] and user["status"] == "active"
    assert [w.code for w in result.warnings] == ["email-missing"]


def test_set_password_email_arrives_with_an_action_link(
    admin: UserAdmin, sue: Actor, inbox: Inbox
) -> None:
    admin.create_user(sue, ORG.id, person("Zoe", "Mailer", mail=True), ["LRBViewOnlyUser"])
    message = inbox.wait_for("Zoe.Mailer@example.org")
    assert "/login-actions/action-token?key=" in body(message)


def test_generic_name_is_refused_with_nothing_created(
    admin: UserAdmin, sue: Actor, synced_gateway: KeycloakGateway
) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.create_user(sue, ORG.id, person("Guest", "User"), ["LRBOnlineUser"])
    assert "generic-name" in {v.code for v in refused.value.violations}
    assert UserDirectory(synced_gateway).usernames_starting("guest") == set()


def test_role_the_organisation_is_not_entitled_to_is_refused(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.create_user(sue, ORG.id, person("Ravi", "Patel"), ["LearnerRecord"])
    assert {v.code for v in refused.value.violations} == {"role-not-available"}


def test_failed_role_assignment_leaves_no_account(
    admin: UserAdmin, sue: Actor, synced_gateway: KeycloakGateway
) -> None:
    class FailingRoles(UserDirectory):
        def add_roles(self, user_id: str, roles: Any) -> None:
            raise GatewayError("injected role-mapping failure", 500)

    failing = UserAdmin(FailingRoles(synced_gateway), admin.audit, admin.policy)
    with pytest.raises(GatewayError):
        failing.create_user(sue, ORG.id, person("Rolf", "Back"), ["LRBOnlineUser"])
    assert UserDirectory(synced_gateway).find_user("rolf.back") is None


def test_suspended_user_cannot_log_in(
    admin: UserAdmin,
    sue: Actor,
    synced_gateway: KeycloakGateway,
    realm_name: str,
    password_client: tuple[str, str],
) -> None:
    created = admin.create_user(sue, ORG.id, person("Sam", "Pended"), ["LRBOnlineUser"])
    assert created.user is not None
    user = UserDirectory(synced_gateway).find_user(created.user["username"])
    assert user is not None
    set_password(synced_gateway, user.id)
    assert login(realm_name, password_client, user.username, PASSWORD).status_code == 200
    admin.suspend(sue, ORG.id, user.username, "left the college")
    assert login(realm_name, password_client, user.username, PASSWORD).status_code != 200
    listed = admin.list_users(sue, ORG.id, status="suspended").users or []
    assert user.username in {u["username"] for u in listed}


def test_lockout_after_five_wrong_passwords_then_reinstate_clears_it(
    admin: UserAdmin,
    sue: Actor,
    synced_gateway: KeycloakGateway,
    realm_name: str,
    password_client: tuple[str, str],
) -> None:
    created = admin.create_user(sue, ORG.id, person("Lou", "Locked"), ["LRBOnlineUser"])
    assert created.user is not None
    directory = UserDirectory(synced_gateway)
    user = directory.find_user(created.user["username"])
    assert user is not None
    set_password(synced_gateway, user.id)
    status_path = f"/attack-detection/brute-force/users/{user.id}"
    for attempt in range(1, 6):
        assert directory.is_locked(user.id) is False, f"locked after {attempt - 1} failures"
        login(realm_name, password_client, user.username, "wrong password")
        # Keycloak counts failures asynchronously: wait until this one is counted, then stay
        # slower than quickLoginCheckMilliSeconds (a quick retry would lock at once).
        deadline = time.monotonic() + 10
        while synced_gateway.call("GET", status_path)["numFailures"] < attempt:
            assert time.monotonic() < deadline, f"failure {attempt} never counted"
            time.sleep(0.1)
        time.sleep(1.2)
    assert directory.is_locked(user.id)
    assert login(realm_name, password_client, user.username, PASSWORD).status_code != 200
    locked = admin.list_users(sue, ORG.id, status="locked").users or []
    assert user.username in {u["username"] for u in locked}
    admin.reinstate(sue, ORG.id, user.username, "identity confirmed by phone")
    assert login(realm_name, password_client, user.username, PASSWORD).status_code == 200


def test_removed_user_is_gone_and_audit_events_stay(
    admin: UserAdmin, sue: Actor, synced_gateway: KeycloakGateway
) -> None:
    created = admin.create_user(sue, ORG.id, person("Rhea", "Moved"), ["LRBOnlineUser"])
    assert created.user is not None
    username = created.user["username"]
    admin.remove(sue, ORG.id, username, "left")
    assert UserDirectory(synced_gateway).find_user(username) is None
    actions = [e.action for e in admin.audit_events(sue, ORG.id) if e.target == username]
    assert actions == ["user_removed", "user_created"]


def test_twenty_concurrent_creations_give_twenty_distinct_users(
    admin: UserAdmin, sue: Actor, synced_gateway: KeycloakGateway
) -> None:
    with ThreadPoolExecutor(20) as pool:
        results = list(
            pool.map(
                lambda _: admin.create_user(sue, ORG.id, person("Chris", "Same"), ["LRBBatchUser"]),
                range(20),
            )
        )
    names = {r.user["username"] for r in results if r.user}
    assert len(names) == 20
    assert UserDirectory(synced_gateway).usernames_starting("chris.same") == names
    listed = admin.list_users(sue, ORG.id, search="chris.same").users or []
    assert len(listed) == 20 and all(u["roles"] == ["LRBBatchUser"] for u in listed)


@pytest.mark.parametrize("action", ["suspend", "remove", "demote"])
def test_last_super_user_cannot_be_suspended_removed_or_demoted(
    admin: UserAdmin, sue: Actor, action: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        if action == "suspend":
            admin.suspend(sue, ORG.id, sue.username, "holiday")
        elif action == "remove":
            admin.remove(sue, ORG.id, sue.username)
        else:
            admin.change_roles(sue, ORG.id, sue.username, ["LRBOnlineUser"], reference="r")
    assert {v.code for v in refused.value.violations} == {"last-super-user"}
    assert admin.actor(sue.username) == sue


def test_super_user_listing_warns_of_missing_deputies(admin: UserAdmin, sue: Actor) -> None:
    assert "too-few-super-users" in {w.code for w in admin.list_users(sue, ORG.id).warnings}


def test_listing_shows_when_each_user_last_logged_on(
    admin: UserAdmin, sue: Actor, synced_gateway: KeycloakGateway, realm_name: str
) -> None:
    """Guide §8: an audit of the user community checks the users are still using the system."""
    from tests.support.oidc import log_on

    used = admin.create_user(sue, ORG.id, person("Lola", "Loggedon"), ["LRBOnlineUser"])
    idle = admin.create_user(sue, ORG.id, person("Ivan", "Idle"), ["LRBOnlineUser"])
    assert used.user is not None and idle.user is not None
    user = UserDirectory(synced_gateway).find_user(used.user["username"])
    assert user is not None
    set_password(synced_gateway, user.id)
    before = int(time.time() * 1000) - 5000
    log_on(realm_name, user.username, PASSWORD)
    listed = {u["username"]: u for u in admin.list_users(sue, ORG.id).users or []}
    assert listed[used.user["username"]]["last_login_ms"] >= before
    assert listed[idle.user["username"]]["last_login_ms"] is None
