"""Browser tests: Debian's chromium driven by Playwright through Keycloak's real login pages.

The LRS application behind `lrs-portal` is stood in for by routing its redirect URI inside the
browser, so a test sees exactly whether Keycloak issued an authorization code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright

from lrs_keycloak import local_keycloak
from lrs_keycloak.config import RealmPolicy, load_policy
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import LOCAL_KEYCLOAK_URL, config_dir, keycloak_settings
from tests.e2e.companion import second_factor
from tests.support.people import make_person

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
APP = "http://127.0.0.1:5000"
REDIRECT_URI = f"{APP}/callback"
# The flags this sandbox needs: no sandbox as root, and no background calls to closed networks.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _keycloak_and_browser_are_there() -> None:
    if not local_keycloak.is_ready():
        pytest.fail("No Keycloak on 127.0.0.1:8080: run scripts/test.", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup --browser.", pytrace=False)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class E2ERealm:
    name: str
    config: Path
    policy: RealmPolicy
    gateway: KeycloakGateway

    def create_user(self, first: str, last: str, password: str) -> tuple[str, str]:
        """A user with a known password (test set-up only; the product never sets passwords)."""
        return make_person(self.gateway, first, last, password=password, email=True)

    def user(self, user_id: str) -> dict:
        return self.gateway.call("GET", f"/users/{user_id}")


@pytest.fixture(scope="module")
def e2e_realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2ERealm]:
    """A throwaway realm synced from a private copy of realm-config/ (tests may publish to it)."""
    name = f"lrs-e2e-{uuid.uuid4().hex[:8]}"
    config = tmp_path_factory.mktemp("config") / "realm-config"
    shutil.copytree(config_dir(), config)
    policy = load_policy(config, realm=name)
    gateway = KeycloakGateway(keycloak_settings(name))
    apply(gateway, plan(gateway, policy))
    yield E2ERealm(name, config, policy, gateway)
    gateway.delete_realm()


def authorization_url(realm: str) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urlencode(
        {
            "client_id": "lrs-portal",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": REDIRECT_URI,
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
    )
    return f"{LOCAL_KEYCLOAK_URL}/realms/{realm}/protocol/openid-connect/auth?{query}"


class Portal:
    """A fresh browser session on the LRS portal; records where Keycloak sent it back."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.returned: dict[str, list[str]] | None = None
        page.route(f"{APP}/**", self._arrive)

    def _arrive(self, route: Route) -> None:
        self.returned = parse_qs(urlparse(route.request.url).query)
        route.fulfill(status=200, content_type="text/html", body="<h1>LRS portal</h1>")

    def choose(self, button: str) -> dict[str, list[str]]:
        """Click Accept or Decline and wait until Keycloak sends the browser back to the portal."""
        with self.page.expect_request(lambda r: r.url.startswith(APP), timeout=15_000) as sent:
            self.page.click(button)
        self.returned = parse_qs(urlparse(sent.value.url).query)
        return self.returned

    def log_in(self, realm: str, username: str, password: str) -> None:
        self.page.goto(authorization_url(realm))
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#kc-login")
        second_factor(self.page, username)
        self.page.wait_for_load_state()


@pytest.fixture
def portal(browser: Browser) -> Iterator[Portal]:
    context = browser.new_context()
    yield Portal(context.new_page())
    context.close()
