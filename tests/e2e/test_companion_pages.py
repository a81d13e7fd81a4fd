"""The companion app's journeys in a real browser (issue 11, "Tests"): Debian's chromium driven
by Playwright against the app served for real (`lrs-keycloak serve`, gunicorn, on a free port;
`companion.served_companion`), the real Keycloak (a throwaway realm synced with the app's
confidential client) and a real SMTP catcher. Everyone signs in through Keycloak's login form
and accepts the every-logon User Agreement on Keycloak's page.

1. A super user adds a user through the form (a generic given name and no role first, corrected
   from the error summary), suspends and reinstates them with reasons, and finds both on the
   user's trail and in the audit CSV download.
2. A help desk agent records the New Super User Form on a case awaiting it; the senior
   manager's approval link is caught from real SMTP and approved in the browser; a SECOND agent
   completes the case.
3. A plain user sees their organisation's super users on the home page.
4. A super user of organisation A who types organisation B's addresses gets the 404 page and
   sees nothing of B.
5. Signing out ends the Keycloak session: /sign-in then shows Keycloak's login form again.

axe-core (npm `axe-core`, pinned in package.json's devDependencies) runs on every main page:
no violation of serious or critical impact. It is injected with Playwright's
``add_script_tag(path=…)``, which inlines it; the app's Content-Security-Policy forbids inline
script, so these tests' browser contexts are made with ``bypass_csp=True`` (the CSP itself is
tested by the unit tests of the headers).

Screenshots: a full-page PNG of each main page, named after it, is saved in
``.cache/artefacts/screenshots/`` (the test artefacts folder; .cache is gitignored), and axe's
findings of every impact for each page in ``.cache/artefacts/axe/<name>.json``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.services.user_admin import Operator
from tests.support.helpdesk import make_agent
from tests.support.people import make_person
from tests.support.smtp import body

from .companion import (
    PASSWORD,
    Companion,
    check_page,
    log_in_at_keycloak,
    served_companion,
    sign_in,
)

ORG_A = Organisation("alder-college", "Alder College", "college", frozenset())
ORG_B = Organisation("birch-college", "Birch College", "college", frozenset())
ORG_C = Organisation("cedar-college", "Cedar College", "college", frozenset())
MANAGER_EMAIL = "principal@cedar.example.org"
NOT_FOUND = "Page not found"


@dataclass
class Scene:
    companion: Companion
    sue: str  # super user of A
    sue_email: str
    pat: str  # a plain user of A
    pat_id: str
    bob: str  # super user of B
    hal: str  # help desk agent
    ida: str  # a second help desk agent
    case_id: int  # organisation C's case awaiting its form


def _register(companion: Companion, org: Organisation, details: UserDetails) -> tuple[str, str]:
    result = companion.root.user_admin().register_organisation(Operator("e2e-tests"), org, details)
    assert result.user is not None, result
    user = companion.root.user_admin().directory.find_user(result.user["username"])
    assert user is not None
    return user.username, user.id


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with served_companion(tmp_path_factory.mktemp("companion")) as companion:
        gw = companion.gateway
        sue_email = "sue.stone@alder.example.org"
        sue, sue_id = _register(
            companion, ORG_A, UserDetails("Ms", "Sue", "Stone", "sign-up form A", email=sue_email)
        )
        companion.set_password(sue_id)
        bob, _ = _register(
            companion,
            ORG_B,
            UserDetails("Mr", "Bob", "Brook", "sign-up form B", email="bob@birch.example.org"),
        )
        pat, pat_id = make_person(gw, "Pat", "Plain", orgs=[ORG_A.id], password=PASSWORD)
        portal = gw.find_client("lrs-portal")
        assert portal is not None
        role = gw.call("GET", f"/clients/{portal['id']}/roles/LRBOnlineUser")
        gw.call("POST", f"/users/{pat_id}/role-mappings/clients/{portal['id']}", [role])
        # Organisation C lost its only super user; MIAP holds its agreement's signatory, and
        # the enforcer opened a case awaiting the New Super User Form.
        _, cara_id = _register(
            companion,
            ORG_C,
            UserDetails("Ms", "Cara", "Cole", "sign-up form C", email="cara@cedar.example.org"),
        )
        companion.root.user_admin().directory.set_enabled(cara_id, False)
        signatories = companion.root.recovery().signatories
        assert signatories is not None
        signatories.record(
            "operator:e2e-tests",
            ORG_C.id,
            Signatory("Priya Principal", MANAGER_EMAIL, "Principal"),
            registering=True,
        )
        case, opened = companion.root.recovery_store().create_awaiting_form(ORG_C.id, "enforcer")
        assert opened
        hal = make_agent(gw, "Hal", "Desk")
        ida = make_agent(gw, "Ida", "Second")
        yield Scene(companion, sue, sue_email, pat, pat_id, bob, hal, ida, case.id)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies); ``bypass_csp`` so that axe can be injected."""
    made = browser.new_context(bypass_csp=True, accept_downloads=True)
    yield made
    made.close()


def _page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _link(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state()


def _button(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def _main(page: Page) -> str:
    return page.locator("main").inner_text()


# --- 1. a super user's journeys ----------------------------------------------------------------


def test_a_super_user_adds_corrects_suspends_and_reinstates_and_sees_it_in_trail_and_csv(
    scene: Scene, context: BrowserContext, tmp_path: Path
) -> None:
    page = _page(context)
    sign_in(page, scene.companion, scene.sue)
    check_page(page, "home")
    _link(page, f"Manage the users of {ORG_A.name}")
    expect(page.locator("h1")).to_have_text("Your organisation's users")
    check_page(page, "dashboard")
    nav = page.get_by_role("navigation", name="Your organisation")
    nav.get_by_role("link", name="Users", exact=True).click()
    expect(page.locator("h1")).to_have_text("Users")
    expect(page.locator("main")).to_contain_text(scene.sue)
    check_page(page, "users")

    nav.get_by_role("link", name="Add a user", exact=True).click()
    page.select_option("#title", "Ms")
    page.fill("#given_name", "Admin")  # a generic name, and no role: both refused
    page.fill("#family_name", "Ash")
    page.fill("#verification_provided", "HR reference 9")
    page.fill("#email", "ivy.ash@alder.example.org")
    _button(page, "Continue")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#given_name"]')).to_be_visible()
    expect(summary.locator('a[href="#roles"]')).to_be_visible()
    assert page.title().startswith("Error: ")
    check_page(page, "add-user-errors")

    summary.locator('a[href="#given_name"]').click()  # from the summary to the field
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "given_name" or page.url.endswith("#given_name")
    page.fill("#given_name", "Ivy")
    summary.locator('a[href="#roles"]').click()
    page.check('input[name="roles"][value="LRBOnlineUser"]')
    _button(page, "Continue")
    expect(page.locator("h1")).to_have_text("Check the new user's details")
    _button(page, "Create the account")
    expect(page.locator(".govuk-panel__title")).to_have_text("Account created")
    username = page.locator(".govuk-panel__body strong").inner_text().strip()
    assert username.startswith("ivy.ash")

    _link(page, "View the account")
    expect(page.locator("h1")).to_contain_text("Ivy Ash")
    check_page(page, "user")
    for action, reason, confirm, done in (
        ("Suspend the account", "On long leave", "Suspend the account", "Account suspended"),
        (
            "Reinstate or unlock the account",
            "Back from leave",
            "Reinstate the account",
            "Account reinstated",
        ),
    ):
        _link(page, action)
        page.fill("#reason", reason)
        _button(page, "Continue")
        expect(page.locator("main")).to_contain_text(reason)
        _button(page, confirm)
        expect(page.locator(".govuk-panel__title")).to_have_text(done)
        _link(page, "View the account")
        if done == "Account suspended":
            expect(page.locator("main")).to_contain_text("Reason for suspension")
            expect(page.locator("main")).to_contain_text("On long leave")

    trail = page.locator("table").last.inner_text()
    for what in ("user created", "user suspended", "user reinstated"):
        assert what in trail, trail
    assert "On long leave" in trail and "Back from leave" in trail

    page.locator(".govuk-back-link").click()  # to the users, then the organisation's trail
    nav = page.get_by_role("navigation", name="Your organisation")
    nav.get_by_role("link", name="Audit trail", exact=True).click()
    expect(page.locator("h1")).to_have_text("Audit trail")
    check_page(page, "audit")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download these events as CSV").click()
    saved = tmp_path / "audit.csv"
    downloading.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    mine = {(r[2], r[4]) for r in rows[1:] if len(r) > 4 and r[3] == username}
    assert {("user_suspended", "On long leave"), ("user_reinstated", "Back from leave")} <= mine
    assert any(r[2] == "user_created" and r[3] == username for r in rows[1:])


def test_a_super_user_answers_an_access_review_confirming_changing_roles_and_removing(
    scene: Scene, context: BrowserContext
) -> None:
    """Guide §8 on the pages: for each user of a review, confirm, change the roles (an added
    role refused without its authorisation reference, from the error summary to the field) or
    remove them (a reason, then a check page); each answer is shown with who gave it."""
    admin = scene.companion.root.user_admin()
    made = [
        admin.create_user(
            Operator("e2e-tests"),
            ORG_A.id,
            UserDetails("Mx", given, "Review", "HR reference 12"),
            ["LRBOnlineUser"],
        ).user
        for given in ("Rory", "Rita")
    ]
    rory, rita = (str((user or {})["username"]) for user in made)
    page = _page(context)
    sign_in(page, scene.companion, scene.sue)
    page.goto(f"{scene.companion.url}/organisations/{ORG_A.id}/reviews")
    _button(page, "Start a review")
    expect(page.locator("h1")).to_contain_text("Access review")
    check_page(page, "review")
    page.locator(f'tr[id="{scene.sue}"]').get_by_role("button").click()
    page.wait_for_load_state()
    expect(page.locator(f'tr[id="{scene.sue}"]')).to_contain_text(f"Confirm by {scene.sue}")

    page.locator(f'tr[id="{rory}"]').get_by_role("link", name=f"Change roles of {rory}").click()
    expect(page.locator('input[name="roles"][value="LRBOnlineUser"]')).to_be_checked()
    page.uncheck('input[name="roles"][value="LRBOnlineUser"]')
    page.check('input[name="roles"][value="LRBViewOnlyUser"]')
    _button(page, "Change roles")
    summary = page.locator(".govuk-error-summary")
    expect(summary.locator('a[href="#reference"]')).to_contain_text("guide §5")
    assert page.title().startswith("Error: ")
    check_page(page, "review-roles-errors")
    summary.locator('a[href="#reference"]').click()
    page.fill("#reference", "HR approval 12")
    _button(page, "Change roles")
    expect(page.locator(f'tr[id="{rory}"]')).to_contain_text(
        f"Change roles to LRBViewOnlyUser by {scene.sue}"
    )

    page.locator(f'tr[id="{rita}"]').get_by_role("link", name=f"Remove {rita}").click()
    _button(page, "Continue")  # no reason: refused
    expect(page.locator(".govuk-error-summary").locator('a[href="#reason"]')).to_be_visible()
    page.fill("#reason", "Left in May")
    _button(page, "Continue")
    expect(page.locator("h1")).to_have_text(f"Check before you remove {rita}")
    check_page(page, "review-remove-check")
    _button(page, "Remove account")
    expect(page.locator(f'tr[id="{rita}"]')).to_contain_text(f"Remove by {scene.sue}")
    expect(page.locator(f'tr[id="{rita}"]')).to_contain_text("Left in May")
    directory = admin.directory
    assert directory.find_user(rita) is None
    found = directory.find_user(rory)
    assert found is not None and found.roles == frozenset({"LRBViewOnlyUser"})


# --- 2. the help desk: a recovery case from its form to completion -------------------------------


def _fill_the_form(page: Page) -> None:
    page.select_option("#nominee_title", "Mr")
    for field, value in (
        ("nominee_given_name", "Neil"),
        ("nominee_family_name", "Newman"),
        ("nominee_email", "neil.newman@cedar.example.org"),
        ("nominee_telephone", "01632 960 123"),
        ("manager_name", "Priya Principal"),
        ("manager_job_title", "Principal"),
        ("manager_email", MANAGER_EMAIL),
        ("form_reference", "NSU-E2E-1"),
        ("received_on", date.today().isoformat()),
    ):
        page.fill(f"#{field}", value)
    page.check("#manager_signed_agreement")  # its first option: Yes
    page.check("#make_primary_contact")
    expect(page.locator("#send_link")).to_be_checked()  # the link is emailed unless unticked


def test_a_help_desk_case_goes_from_its_form_to_completion_with_a_second_agent(
    scene: Scene, browser: Browser, context: BrowserContext
) -> None:
    url = scene.companion.url
    hal = _page(context)
    sign_in(hal, scene.companion, scene.hal)
    _link(hal, "Help desk: organisations, super users and recovery cases")
    expect(hal.locator("#queue")).to_be_visible()
    expect(hal.locator("main")).to_contain_text(f"Case {scene.case_id}")
    check_page(hal, "helpdesk-home")
    hal.fill("#q", "Cedar")
    _button(hal, "Search")
    _link(hal, ORG_C.name)
    expect(hal.locator("h1")).to_contain_text(ORG_C.name)
    check_page(hal, "helpdesk-organisation")

    hal.goto(f"{url}/helpdesk/")
    _link(hal, f"Case {scene.case_id}")
    check_page(hal, "case-awaiting-form")
    _button(hal, "Record the New Super User Form")
    _fill_the_form(hal)
    _button(hal, "Continue")
    expect(hal.locator("h1")).to_have_text("Check the New Super User Form")
    _button(hal, "Record the form")
    expect(hal.locator(".govuk-notification-banner")).to_contain_text(
        f"Form recorded: case {scene.case_id}"
    )
    expect(hal.locator("main")).to_contain_text(MANAGER_EMAIL)  # the link was sent to them

    # The senior manager: the link from the email the real SMTP server caught, in a browser of
    # their own, with no sign-in.
    email = body(scene.companion.inbox.wait_for(MANAGER_EMAIL, timeout=30))
    found = re.search(re.escape(url) + r"(/recovery/approve/[A-Za-z0-9_.\-]+)", email)
    assert found, email
    manager_context = browser.new_context(bypass_csp=True)
    try:
        manager = _page(manager_context)
        manager.goto(url + found.group(1))
        expect(manager.locator("main")).to_contain_text("Neil Newman")
        check_page(manager, "approval")
        manager.check("#decision")  # "Yes, I approve it"
        _button(manager, "Continue")
        _button(manager, "Confirm approval")
        expect(manager.locator("main")).to_contain_text("Your approval is recorded")
        expect(manager.get_by_role("button", name="Confirm approval")).to_have_count(0)
    finally:
        manager_context.close()

    # A second agent completes it (four eyes): the agent who recorded the form may not.
    ida_context = browser.new_context(bypass_csp=True)
    try:
        ida = _page(ida_context)
        sign_in(ida, scene.companion, scene.ida)
        ida.goto(f"{url}/helpdesk/cases/{scene.case_id}")
        _button(ida, "Complete: create the super user")
        expect(ida.locator("main")).to_contain_text("Neil")
        _button(ida, "Create the super user")
        banner = ida.locator(".govuk-notification-banner").first
        expect(banner).to_contain_text(f"Case {scene.case_id} completed")
        check_page(ida, "case-completed")
    finally:
        ida_context.close()
    created = scene.companion.root.user_admin().directory.find_user("neil.newman")
    assert created is not None and SUPER_USER in created.roles
    assert ORG_C.id in created.organisation_ids


# --- 3. a plain user sees their super users ----------------------------------------------------


def test_a_plain_user_sees_their_organisations_super_users(
    scene: Scene, context: BrowserContext
) -> None:
    page = _page(context)
    sign_in(page, scene.companion, scene.pat)
    contacts = page.locator(".lrs-super-users")
    expect(contacts).to_contain_text("Sue Stone")
    expect(contacts.get_by_role("link", name=scene.sue_email)).to_have_attribute(
        "href", f"mailto:{scene.sue_email}"
    )
    expect(page.locator("#manage")).to_have_count(0)  # nothing to manage
    check_page(page, "home-plain-user")


# --- 4. another organisation's pages are not found -------------------------------------------


def test_a_super_user_typing_another_organisations_address_gets_404_and_sees_nothing_of_it(
    scene: Scene, context: BrowserContext
) -> None:
    page = _page(context)
    sign_in(page, scene.companion, scene.sue)
    base = f"{scene.companion.url}/organisations/{ORG_B.id}"
    for path in ("/", "/users", f"/users/{scene.bob}", "/users/new", "/audit"):
        answer = page.goto(base + path)
        assert answer is not None and answer.status == 404, path
        expect(page.locator("h1")).to_have_text(NOT_FOUND)
        shown = page.content()
        assert ORG_B.name not in shown and scene.bob not in shown, path
    check_page(page, "error-404")
    answer = page.goto(f"{base}/audit.csv")
    assert answer is not None and answer.status == 404
    assert scene.bob not in page.content()


# --- 5. signing out ends the Keycloak session --------------------------------------------------


def _session_ids(scene: Scene) -> set[str]:
    found = scene.companion.gateway.call("GET", f"/users/{scene.pat_id}/sessions")
    return {str(s["id"]) for s in found}


def test_signing_out_ends_the_keycloak_session(scene: Scene, context: BrowserContext) -> None:
    page = _page(context)
    before = _session_ids(scene)  # test 3's session of the same person stays
    sign_in(page, scene.companion, scene.pat)
    [mine] = _session_ids(scene) - before
    _button(page, "Sign out")
    page.wait_for_url(f"{scene.companion.url}/signed-out")
    expect(page.locator("main")).to_contain_text("You have signed out")
    assert mine not in _session_ids(scene)

    page.goto(f"{scene.companion.url}/sign-in")
    expect(page.locator("#username")).to_be_visible()  # Keycloak asks again: no silent sign-in
    assert not page.url.startswith(scene.companion.url)
    log_in_at_keycloak(page, scene.pat, PASSWORD)  # and signing in again works
    page.click("#kc-accept")
    page.wait_for_url(f"{scene.companion.url}/**")
    expect(page.locator("h1")).to_contain_text("Pat Plain")


def test_a_super_user_sets_up_an_authenticator_and_signs_in_with_its_code(
    scene: Scene, browser: Browser
) -> None:
    """docs/adr/0015: the first sign-in sets the authenticator up (its key read from Keycloak's
    "Unable to scan?" page), every later one asks for a code (computed here with pyotp)."""
    steps = []
    for _ in range(2):
        fresh = browser.new_context()
        try:
            page = fresh.new_page()
            steps.append(sign_in(page, scene.companion, scene.sue))  # lands on the app
            assert page.url.startswith(scene.companion.url)
        finally:
            fresh.close()
    # The first may have come earlier in this run (another test signed Sue in first).
    assert steps[0] in ("set up", "code") and steps[1] == "code"
