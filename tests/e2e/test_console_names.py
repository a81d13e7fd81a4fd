"""A super user creates a user in the real admin console (chromium): a generic given name is
refused inline with the rule's message, then the person's own name is created (issue 12)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.sync import Plan, apply, plan
from lrs_keycloak.keycloak.sync.admin_permissions import plan_admin_permissions
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.settings import keycloak_settings
from tests.e2e.companion import second_factor
from tests.support.people import make_person

from .conftest import E2ERealm

PASSWORD = "a long enough passphrase 42"
ORG = Organisation("rowan-college", "Rowan College", "college", frozenset())
SHOTS = Path(__file__).resolve().parents[2] / "docs/adr/0014-evidence"


def _sync(realm: E2ERealm) -> None:
    """Sync, with the organisation's console permissions (as test_admin_console.py does)."""
    gw = realm.gateway
    apply(gw, plan(gw, realm.policy, [ORG]))
    apply(gw, Plan(plan_admin_permissions(Live.read(gw, realm.policy, [ORG]))))


def _super_user(realm: E2ERealm) -> str:
    gw = realm.gateway
    username, user_id = make_person(
        gw, "Rhona", "Rowan", orgs=[ORG.id], password=PASSWORD, email=True
    )
    client = gw.find_client("lrs-portal")
    assert client is not None
    role = gw.call("GET", f"/clients/{client['id']}/roles/LRBSuperUser")
    gw.call("POST", f"/users/{user_id}/role-mappings/clients/{client['id']}", [role])
    return username


def _fill_new_user(page: Page, username: str, given: str, family: str) -> None:
    page.fill("#username", username)
    page.fill("#firstName", given)
    page.fill("#lastName", family)
    page.fill("#email", f"{username}@example.org")


def test_the_console_refuses_a_generic_name_inline_then_creates_the_persons_own(
    e2e_realm: E2ERealm, browser: Browser
) -> None:
    _sync(e2e_realm)
    sue = _super_user(e2e_realm)
    _sync(e2e_realm)
    base = keycloak_settings().url.rstrip("/")
    realm = e2e_realm.name
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base}/admin/{realm}/console/")
        page.fill("#username", sue)
        page.fill("#password", PASSWORD)
        page.click("#kc-login")
        assert second_factor(page, sue) == "set up"  # a super user: an authenticator app
        page.click("#kc-accept")  # the User Agreement, at every logon
        page.goto(f"{base}/admin/{realm}/console/#/{realm}/users/add-user")
        expect(page.locator("#firstName")).to_be_visible(timeout=30_000)
        _fill_new_user(page, "rose.guest", "Guest", "Rose")
        title = page.locator(".pf-v5-c-form__group").filter(
            has=page.locator("label", has_text="Title")
        )
        title.locator("button").last.click()
        page.get_by_role("option", name="Ms", exact=True).click()
        page.fill("#verificationProvided", "HR ref 12")
        page.get_by_role("button", name="Join Groups").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_placeholder("Search group").fill("rowan")
        dialog.get_by_placeholder("Search group").press("Enter")
        dialog.get_by_role("checkbox").first.check()
        dialog.get_by_role("button", name="Join").click()
        page.get_by_role("button", name="Create").click()
        given = page.locator(".pf-v5-c-form__group").filter(has=page.locator("#firstName"))
        expect(given).to_contain_text(
            "The given name is refused: 'Guest' is a generic account name ('guest'), not a "
            "person's name.",
            timeout=15_000,
        )
        expect(given).to_contain_text("(guide §4.1/§4.2: no guest or generic accounts")
        username = page.locator(".pf-v5-c-form__group").filter(has=page.locator("#username"))
        expect(username).to_contain_text("must be the one made from the person's given and")
        expect(username).to_contain_text("guest.rose")
        given.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "03-generic-name-refused-inline.png"))
        assert e2e_realm.gateway.call("GET", "/users", params={"username": "rose.guest"}) == []

        page.fill("#firstName", "Rose")
        page.fill("#lastName", "Ash")
        page.fill("#username", "rose.ash")
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_text("The user has been created")).to_be_visible(timeout=15_000)
        page.screenshot(path=str(SHOTS / "04-persons-own-name-created.png"))
        (rose,) = e2e_realm.gateway.call(
            "GET", "/users", params={"username": "rose.ash", "exact": "true"}
        )
        assert (rose["firstName"], rose["lastName"]) == ("Rose", "Ash")
    finally:
        context.close()
