"""Rules held on changes made in the admin console (issue 5), against the real Keycloak.

Each violation is made straight through the admin REST API, as the console does, and the
enforcer reacts from Keycloak's stored admin events (the poller) or from the webhook.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.enforcement import Enforcer
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.web import create_app
from tests.support.people import make_person

COLLEGE = Organisation("anytown-college", "Anytown College", "college", frozenset())
PROVIDER = Organisation("brook-training", "Brook Training", "training-provider", frozenset())


@pytest.fixture(scope="module")
def gw(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> KeycloakGateway:
    apply(synced_gateway, plan(synced_gateway, policy, [COLLEGE, PROVIDER]))
    return synced_gateway


def _enforcer(gw: KeycloakGateway, policy: RealmPolicy, db: Path) -> Enforcer:
    engine = make_engine(f"sqlite:///{db}")
    return Enforcer(
        UserDirectory(gw), policy, AuditLog(engine), EnforcementStore(engine), RecoveryStore(engine)
    )


@pytest.fixture
def enforcer(gw: KeycloakGateway, policy: RealmPolicy, tmp_path: Path) -> Enforcer:
    enforcer = _enforcer(gw, policy, tmp_path / "lrs.sqlite")
    enforcer.poll()  # sets the cursor at "now": earlier history is not ours to judge
    time.sleep(0.05)
    return enforcer


def _make_user(
    gw: KeycloakGateway,
    first: str,
    last: str,
    orgs: list[str],
    roles: list[str],
) -> str:
    _, user_id = make_person(gw, first, last, orgs=orgs)
    if roles:
        UserDirectory(gw).add_roles(user_id, roles)
    return user_id


def _actions(enforcer: Enforcer, org: str | None = None) -> list[tuple[str, str | None]]:
    return [(e.action, e.reference) for e in enforcer.audit.events(organisation_id=org)]


def test_a_role_the_organisation_is_not_entitled_to_is_removed_again(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(
        gw, "Rhys", "Overreach", [COLLEGE.id], ["LRBOnlineUser", "AwardingBodyUser"]
    )
    enforcer.poll()
    assert UserDirectory(gw).user_roles(user_id) == {"LRBOnlineUser"}
    assert ("enforcer_role_removed", "role-not-available") in _actions(enforcer, COLLEGE.id)


def test_a_user_with_no_role_is_flagged_then_disabled_after_the_grace_period(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(gw, "Nora", "Noroles", [COLLEGE.id], [])
    enforcer.poll()
    flags = [f for f in enforcer.store.open_flags(COLLEGE.id) if f.user_id == user_id]
    assert [f.rule for f in flags] == ["no-role"]
    assert enforcer.sweep() == []  # still within the grace period
    assert gw.call("GET", f"/users/{user_id}")["enabled"] is True

    enforcer.now = lambda: datetime.now(UTC) + timedelta(hours=25)
    disabled = enforcer.sweep()
    assert [f.user_id for f in disabled] == [user_id]
    assert gw.call("GET", f"/users/{user_id}")["enabled"] is False
    assert ("enforcer_user_disabled", "no-role") in _actions(enforcer, COLLEGE.id)


def test_a_disabled_account_enabled_again_without_a_fix_is_disabled_again_after_the_grace(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(gw, "Rena", "Enabled", [COLLEGE.id], [])
    enforcer.poll()
    enforcer.now = lambda: datetime.now(UTC) + timedelta(hours=25)
    assert [f.user_id for f in enforcer.sweep()] == [user_id]

    # A super user turns the account back on in the console, still without a role.
    gw.call("PUT", f"/users/{user_id}", {"enabled": True})
    enforcer.poll()
    assert enforcer.sweep() == []  # a new grace period from the re-enabling
    assert gw.call("GET", f"/users/{user_id}")["enabled"] is True
    enforcer.now = lambda: datetime.now(UTC) + timedelta(hours=50)
    assert [f.user_id for f in enforcer.sweep()] == [user_id]
    assert gw.call("GET", f"/users/{user_id}")["enabled"] is False
    mine = [e for e in enforcer.audit.events(COLLEGE.id) if e.target == "rena.enabled"][::-1]
    assert [(e.action, e.details.get("re_enabled", False)) for e in mine] == [
        ("enforcer_flag_raised", False),
        ("enforcer_user_disabled", False),
        ("enforcer_flag_raised", True),
        ("enforcer_user_disabled", False),
    ]


def test_a_user_in_two_organisations_is_flagged_to_both(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(gw, "Tara", "Twoplaces", [COLLEGE.id, PROVIDER.id], ["LRBOnlineUser"])
    enforcer.poll()
    flagged = {
        (f.organisation_id, f.rule) for f in enforcer.store.open_flags() if f.user_id == user_id
    }
    assert flagged == {
        (COLLEGE.id, "two-organisations"),
        (PROVIDER.id, "two-organisations"),
    }


def test_a_user_in_no_organisation_is_flagged(gw: KeycloakGateway, enforcer: Enforcer) -> None:
    user_id = _make_user(gw, "Olly", "Orphan", [], ["LRBOnlineUser"])
    enforcer.poll()
    assert [f.rule for f in enforcer.store.open_flags() if f.user_id == user_id] == [
        "no-organisation"
    ]


def test_a_generic_name_given_later_is_flagged_and_the_flag_clears_when_put_right(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(gw, "Gina", "Goodname", [COLLEGE.id], ["LRBOnlineUser"])
    # Keycloak's own validator refuses the change first (ADR 14) ...
    with pytest.raises(Rejected):
        gw.call("PUT", f"/users/{user_id}", {"firstName": "Reception", "lastName": "Desk"})
    # ... so the enforcer is the backstop for a realm whose profile lost it (drift, until sync).
    profile = gw.call("GET", "/users/profile")
    for attribute in profile["attributes"]:
        (attribute.get("validations") or {}).pop("lrs-person-name", None)
    gw.call("PUT", "/users/profile", profile)
    gw.call("PUT", f"/users/{user_id}", {"firstName": "Reception", "lastName": "Desk"})
    enforcer.poll()
    assert [f.rule for f in enforcer.store.open_flags() if f.user_id == user_id] == ["generic-name"]
    gw.call("PUT", f"/users/{user_id}", {"firstName": "Gina", "lastName": "Goodname"})
    enforcer.poll()
    assert [f for f in enforcer.store.open_flags() if f.user_id == user_id] == []
    assert ("enforcer_flag_resolved", "generic-name") in _actions(enforcer, COLLEGE.id)


def test_the_last_super_user_suspended_in_the_console_alerts_the_help_desk_and_opens_a_case(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    user_id = _make_user(gw, "Sam", "Soleadmin", [PROVIDER.id], ["LRBSuperUser"])
    enforcer.poll()
    gw.call("PUT", f"/users/{user_id}", {"enabled": False})
    enforcer.poll()
    assert ("enforcer_helpdesk_alerted", "no-active-super-user") in _actions(enforcer, PROVIDER.id)
    org_flags = [f for f in enforcer.store.open_flags(PROVIDER.id) if not f.user_id]
    assert [f.rule for f in org_flags] == ["no-active-super-user"]
    # Built as the CLI's `audit` builds it (no recovery store named), it opens the help desk's
    # case in its own database all the same.
    (case,) = enforcer.recovery.cases(organisation_id=PROVIDER.id)
    assert (case.state, case.form, case.raised_by) == ("awaiting_form", None, "lrs-enforcer")
    gw.call("PUT", f"/users/{user_id}", {"enabled": True})
    enforcer.poll()
    assert [f for f in enforcer.store.open_flags(PROVIDER.id) if not f.user_id] == []
    (case,) = enforcer.recovery.cases(organisation_id=PROVIDER.id)
    assert (
        case.state == "cancelled"
        and case.close_reason == "an active super user is back: sam.soleadmin"
    )


def test_a_change_made_while_the_app_was_down_is_handled_when_it_returns(
    gw: KeycloakGateway, policy: RealmPolicy, tmp_path: Path
) -> None:
    db = tmp_path / "persisted.sqlite"
    _enforcer(gw, policy, db).poll()  # the app ran once, then stopped
    time.sleep(0.05)
    user_id = _make_user(gw, "Dora", "Downtime", [COLLEGE.id], ["LRBOnlineUser", "LearnerRecord"])
    restarted = _enforcer(gw, policy, db)  # a new process: only the database is shared
    assert restarted.poll() >= 1
    assert UserDirectory(gw).user_roles(user_id) == {"LRBOnlineUser"}
    restarted.poll()  # the enforcer's own role removal is an admin event too
    assert restarted.poll() == 0  # nothing is handled twice


@pytest.fixture
def companion(gw: KeycloakGateway, tmp_path: Path) -> Iterator[object]:
    app = create_app(
        {
            "TESTING": True,
            "LRS_ENFORCE": True,
            "LRS_REALM": gw.realm,
            "LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'hook.sqlite'}",
        }
    )
    server = make_server("127.0.0.1", 5000, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.extensions["lrs_enforcer"].enforcer()  # connect before the change, as a running app has
    yield app
    server.shutdown()
    app.extensions["lrs_enforcer"].stop()


def test_the_webhook_makes_the_enforcer_react_within_seconds(
    gw: KeycloakGateway, companion: object
) -> None:
    runner = companion.extensions["lrs_enforcer"]  # type: ignore[attr-defined]
    user_id = _make_user(gw, "Wyn", "Webhook", [COLLEGE.id], ["LRBBatchUser", "AwardingBodyUser"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if UserDirectory(gw).user_roles(user_id) == {"LRBBatchUser"}:
            break
        time.sleep(0.2)
    assert UserDirectory(gw).user_roles(user_id) == {"LRBBatchUser"}
    actions = [e.action for e in runner.enforcer().audit.events(organisation_id=COLLEGE.id)]
    assert "enforcer_role_removed" in actions


def test_a_help_desk_agent_in_no_organisation_is_not_an_organisation_user(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    _, agent_id = make_person(gw, "Hana", "Deskworth", orgs=[])
    role = gw.call("GET", "/roles/lrs-helpdesk")
    gw.call("POST", f"/users/{agent_id}/role-mappings/realm", [role])
    enforcer.poll()
    assert [f.rule for f in enforcer.store.open_flags() if f.user_id == agent_id] == []
    enforcer.now = lambda: datetime.now(UTC) + timedelta(hours=25)
    assert agent_id not in [f.user_id for f in enforcer.sweep()]
    assert gw.call("GET", f"/users/{agent_id}")["enabled"] is True


def test_a_realm_administrator_is_not_an_organisation_user(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    _, admin_id = make_person(gw, "Rita", "Realmwide", orgs=[])
    management = gw.find_client("realm-management")
    assert management is not None
    role = gw.call("GET", f"/clients/{management['id']}/roles/view-users")
    gw.call("POST", f"/users/{admin_id}/role-mappings/clients/{management['id']}", [role])
    enforcer.poll()
    assert [f.rule for f in enforcer.store.open_flags() if f.user_id == admin_id] == []


def test_a_help_desk_agent_put_into_an_organisation_is_judged_as_its_user(
    gw: KeycloakGateway, enforcer: Enforcer
) -> None:
    _, agent_id = make_person(gw, "Hugo", "Deskmoved", orgs=[COLLEGE.id])
    role = gw.call("GET", "/roles/lrs-helpdesk")
    gw.call("POST", f"/users/{agent_id}/role-mappings/realm", [role])
    enforcer.poll()
    assert [f.rule for f in enforcer.store.open_flags() if f.user_id == agent_id] == ["no-role"]
