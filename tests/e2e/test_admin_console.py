"""A super user in the real admin console (chromium) sees only their organisation's users."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import Plan, apply, plan
from lrs_keycloak.keycloak.sync.admin_permissions import plan_admin_permissions
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.settings import LOCAL_KEYCLOAK_URL
from tests.e2e.companion import second_factor

from .conftest import E2ERealm

PASSWORD = "a long enough passphrase 42"
ORG_A = Organisation("aspen-college", "Aspen College", "college", frozenset())
ORG_B = Organisation("beech-training", "Beech Training", "training-provider", frozenset())


def _member(realm: E2ERealm, first: str, last: str, org: Organisation, role: str) -> str:
    username, user_id = realm.create_user(first, last, PASSWORD)
    group = f"/{ORGANISATIONS_GROUP}/{org.id}"
    (found,) = realm.gateway.call("GET", "/groups", params={"search": org.id, "exact": "true"})
    child = next(g for g in found["subGroups"] if g["path"] == group)
    realm.gateway.call("PUT", f"/users/{user_id}/groups/{child['id']}")
    client = realm.gateway.find_client("lrs-portal")
    assert client is not None
    rep = realm.gateway.call("GET", f"/clients/{client['id']}/roles/{role}")
    realm.gateway.call("POST", f"/users/{user_id}/role-mappings/clients/{client['id']}", [rep])
    return username


def _sync(realm: E2ERealm) -> None:
    organisations = [ORG_A, ORG_B]
    gw = realm.gateway
    apply(gw, plan(gw, realm.policy, organisations))
    apply(gw, Plan(plan_admin_permissions(Live.read(gw, realm.policy, organisations))))


def test_super_user_sees_only_their_organisations_users_in_the_admin_console(
    e2e_realm: E2ERealm, browser: Browser
) -> None:
    _sync(e2e_realm)
    sue = _member(e2e_realm, "Susan", "Aspen", ORG_A, "LRBSuperUser")
    una = _member(e2e_realm, "Una", "Aspen", ORG_A, "LRBOnlineUser")
    ulf = _member(e2e_realm, "Ulf", "Beech", ORG_B, "LRBOnlineUser")
    _sync(e2e_realm)

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{LOCAL_KEYCLOAK_URL}/admin/{e2e_realm.name}/console/")
        page.fill("#username", sue)
        page.fill("#password", PASSWORD)
        page.click("#kc-login")
        assert second_factor(page, sue) == "set up"  # a super user: an authenticator app
        page.click("#kc-accept")  # the User Agreement, at every logon
        page.goto(f"{LOCAL_KEYCLOAK_URL}/admin/{e2e_realm.name}/console/#/{e2e_realm.name}/users")
        table = page.locator("table")
        expect(table.get_by_text(una, exact=True)).to_be_visible(timeout=30_000)
        expect(table.get_by_text(sue, exact=True)).to_be_visible()
        expect(table.get_by_text(ulf, exact=True)).to_have_count(0)
        page.get_by_placeholder("Search user").fill("beech")
        page.keyboard.press("Enter")
        expect(table.get_by_text(una, exact=True)).to_have_count(0, timeout=15_000)
        expect(page.get_by_text(ulf, exact=True)).to_have_count(0)
    finally:
        context.close()
