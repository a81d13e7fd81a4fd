"""The second factor for whoever holds access to others (issue 12, docs/adr/0015), against the
real Keycloak: super users and the help desk set up an authenticator at their first logon and
give its code at every later one, with the User Agreement still shown; plain LRS users are not
asked unless the policy says every LRS user must; the flow is sync's, with drift repaired."""

from __future__ import annotations

import dataclasses

import pytest

from lrs_keycloak.config import RealmPolicy, SecondFactorPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak import flows
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import BROWSER_FLOW
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support import totp
from tests.support.oidc import LogonRefused, log_on
from tests.support.people import make_person

PASSWORD = "correct horse battery staple"


def _grant(gw: KeycloakGateway, user_id: str, client_role: str | None = None) -> None:
    if client_role is None:
        role = gw.call("GET", "/roles/lrs-helpdesk")
        gw.call("POST", f"/users/{user_id}/role-mappings/realm", [role])
        return
    client = gw.find_client("lrs-portal")
    assert client is not None
    role = gw.call("GET", f"/clients/{client['id']}/roles/{client_role}")
    gw.call("POST", f"/users/{user_id}/role-mappings/clients/{client['id']}", [role])


def test_a_super_users_first_logon_sets_up_the_authenticator_then_each_logon_asks_its_code(
    synced_gateway: KeycloakGateway,
) -> None:
    realm = synced_gateway.realm
    username, user_id = make_person(synced_gateway, "Sofia", "Sousa", password=PASSWORD)
    _grant(synced_gateway, user_id, "LRBSuperUser")

    first = log_on(realm, username, PASSWORD)
    assert (first.factor_set_up, first.code_asked, first.agreement_shown) == (True, False, True)
    (credential,) = flows.otp_credentials(synced_gateway, user_id)
    assert credential["type"] == "otp"

    with pytest.raises(LogonRefused, match="one-time code was refused"):
        log_on(realm, username, PASSWORD, otp=totp.wrong_code(realm, username))

    again = log_on(realm, username, PASSWORD)
    assert (again.factor_set_up, again.code_asked, again.agreement_shown) == (False, True, True)


def test_a_help_desk_agent_must_use_a_second_factor_too(synced_gateway: KeycloakGateway) -> None:
    realm = synced_gateway.realm
    username, user_id = make_person(synced_gateway, "Hana", "Hughes", password=PASSWORD)
    _grant(synced_gateway, user_id)
    assert log_on(realm, username, PASSWORD).factor_set_up
    assert log_on(realm, username, PASSWORD).code_asked


def test_a_plain_lrs_user_is_not_asked_for_a_second_factor(
    synced_gateway: KeycloakGateway,
) -> None:
    username, user_id = make_person(synced_gateway, "Olu", "Okoro", password=PASSWORD)
    _grant(synced_gateway, user_id, "LRBOnlineUser")
    logon = log_on(synced_gateway.realm, username, PASSWORD)
    assert (logon.factor_set_up, logon.code_asked, logon.agreement_shown) == (False, False, True)


def test_every_lrs_user_must_use_one_when_the_policy_says_so(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    assert policy.second_factor is not None
    everyone = dataclasses.replace(
        policy,
        second_factor=SecondFactorPolicy(policy.second_factor.roles, every_lrs_user=True),
    )
    username, user_id = make_person(synced_gateway, "Vik", "Varma", password=PASSWORD)
    _grant(synced_gateway, user_id, "LRBViewOnlyUser")
    switched = plan(synced_gateway, everyone)
    assert {c.name for c in switched.changes if c.resource == "role-composite"} == {
        f"lrs-portal/{role}" for role in policy.roles.names if role != "LRBSuperUser"
    }
    try:
        apply(synced_gateway, switched)
        assert plan(synced_gateway, everyone).empty
        assert log_on(synced_gateway.realm, username, PASSWORD).factor_set_up
    finally:
        apply(synced_gateway, plan(synced_gateway, policy))
    assert plan(synced_gateway, policy).empty
    # Back to the shipped policy: a plain user who set up an app of their own accord is still
    # asked for its code (once), as Keycloak's own browser flow does.
    logon = log_on(synced_gateway.realm, username, PASSWORD)
    assert (logon.factor_set_up, logon.code_asked) == (False, True)


def test_sync_check_is_clean_after_apply_and_a_hand_edited_flow_is_drift_that_sync_repairs(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    gw = synced_gateway
    assert plan(gw, policy).empty
    assert gw.get_realm()["browserFlow"] == BROWSER_FLOW  # type: ignore[index]

    otp = next(
        e for e in flows.executions(gw, BROWSER_FLOW) if e.get("providerId") == "auth-otp-form"
    )
    flows.set_requirement(gw, BROWSER_FLOW, otp, "DISABLED")
    gw.update_realm({"browserFlow": "browser"})
    drift = plan(gw, policy)
    assert [(c.action, c.resource, c.name) for c in drift.changes] == [
        ("update", "authentication-flow", BROWSER_FLOW),
        ("update", "flow-binding", "browserFlow"),
    ]
    assert drift.changes[0].fields == {
        "step 6": ("    auth-otp-form DISABLED", "    auth-otp-form REQUIRED")
    }
    apply(gw, drift)
    assert plan(gw, policy).empty
    assert gw.get_realm()["browserFlow"] == BROWSER_FLOW  # type: ignore[index]
    assert [f["alias"] for f in gw.call("GET", "/authentication/flows")].count(BROWSER_FLOW) == 1


# --- a lost second factor ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> UserAdmin:
    organisations = synced_gateway.find_top_group("organisations")
    assert organisations is not None
    for org in ("ash-college", "birch-college"):
        synced_gateway.create_child_group(organisations["id"], {"name": org})
    return UserAdmin(UserDirectory(synced_gateway), AuditLog(make_engine("sqlite://")), policy)


def _super_user(gw: KeycloakGateway, first: str, last: str, org: str) -> str:
    """A super user of `org` who has set up their authenticator (their first logon)."""
    username, user_id = make_person(gw, first, last, orgs=[org], password=PASSWORD)
    _grant(gw, user_id, "LRBSuperUser")
    assert log_on(gw.realm, username, PASSWORD).factor_set_up
    return username


def _actor(admin: UserAdmin, username: str) -> Actor:
    found = admin.actor(username)
    assert found is not None
    return found


def test_a_super_user_resets_their_users_lost_factor_recorded_and_set_up_again_at_next_logon(
    synced_gateway: KeycloakGateway, admin: UserAdmin
) -> None:
    gw = synced_gateway
    ama = _super_user(gw, "Ama", "Asante", "ash-college")
    ben = _super_user(gw, "Ben", "Bello", "ash-college")
    ben_id = admin.directory.find_user(ben).id  # type: ignore[union-attr]
    assert admin.directory.second_factors(ben_id)

    result = admin.reset_second_factor(
        _actor(admin, ama), "ash-college", ben, "lost phone; called back on the staff list number"
    )

    assert admin.directory.second_factors(ben_id) == []
    assert result.event is not None and result.event.action == AuditKind.SECOND_FACTOR_RESET
    assert (result.event.actor, result.event.target) == (ama, ben)
    assert "called back" in (result.event.reason or "")
    logon = log_on(gw.realm, ben, PASSWORD)
    assert (logon.factor_set_up, logon.agreement_shown) == (True, True)
    with pytest.raises(RuleViolation) as nothing:  # reset twice: the new one is there now
        admin.reset_second_factor(_actor(admin, ben), "ash-college", ben, "again")
    assert nothing.value.violations[0].code == "own-second-factor"


def test_a_super_user_cannot_reset_another_organisations_user_nor_their_own(
    synced_gateway: KeycloakGateway, admin: UserAdmin
) -> None:
    gw = synced_gateway
    cal = _super_user(gw, "Cal", "Carter", "ash-college")
    dee = _super_user(gw, "Dee", "Dlamini", "birch-college")
    with pytest.raises(NotVisible):
        admin.reset_second_factor(_actor(admin, cal), "birch-college", dee, "asked by phone")
    with pytest.raises(NotVisible):  # naming their own organisation does not reach her either
        admin.reset_second_factor(_actor(admin, cal), "ash-college", dee, "asked by phone")
    with pytest.raises(RuleViolation) as own:
        admin.reset_second_factor(_actor(admin, cal), "ash-college", cal, "I lost my phone")
    assert own.value.violations[0].code == "own-second-factor"
    for username in (cal, dee):
        user = admin.directory.find_user(username)
        assert user is not None and admin.directory.second_factors(user.id)


def test_the_help_desk_resets_a_super_users_factor_but_not_a_plain_users(
    synced_gateway: KeycloakGateway, admin: UserAdmin
) -> None:
    gw = synced_gateway
    eve = _super_user(gw, "Eve", "Ekwueme", "birch-college")
    agent, agent_id = make_person(gw, "Gil", "Gupta", password=PASSWORD)
    _grant(gw, agent_id)
    plain, plain_id = make_person(gw, "Ivo", "Ilic", orgs=["birch-college"], password=PASSWORD)
    _grant(gw, plain_id, "LRBOnlineUser")
    desk = _actor(admin, agent)
    assert desk.is_helpdesk

    result = admin.reset_second_factor(desk, "birch-college", eve, "form 12 and a call back")
    assert result.event is not None and result.event.actor == agent
    assert admin.directory.second_factors(admin.directory.find_user(eve).id) == []  # type: ignore[union-attr]
    with pytest.raises(NotPermitted):
        admin.reset_second_factor(desk, "birch-college", plain, "asked by phone")
