"""The companion app served for real, for the browser tests of its pages (issue 11, "Tests").

`served_companion` starts what a deployment runs: a throwaway realm synced with the
`lrs-companion` client for this app's address, a store migrated by `lrs-keycloak db upgrade`,
a real SMTP catcher for both the app's mail and the realm's, and `lrs-keycloak serve`
(gunicorn) on a free port, all configured through the environment as in production.

`sign_in` goes through Keycloak's real login form and every-logon User Agreement;
`check_page` runs axe-core (npm, pinned in package.json) on the page and saves a full-page
screenshot of it under `.cache/artefacts/screenshots/`, and axe's findings (every impact)
under `.cache/artefacts/axe/`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Page, expect

from lrs_keycloak.composition import Root
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import PROJECT_ROOT, load_settings
from tests.support import totp
from tests.support.smtp import Inbox, smtp_server

PASSWORD = "a long enough passphrase 42"
COMPANION_SECRET = "e2e-companion-secret-" + "c" * 24
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = PROJECT_ROOT / ".cache" / "artefacts"
SCREENSHOTS = ARTEFACTS / "screenshots"
#: axe's violations of each page checked, all impacts (``<name>.json``).
AXE_RESULTS = ARTEFACTS / "axe"
#: The impacts a page may not have (axe's four are minor, moderate, serious, critical).
REFUSED_IMPACTS = ("serious", "critical")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Companion:
    """The served app (``url``) and what the tests set the scene with: the realm's gateway,
    the same composition root the app builds (same realm, same store), the SMTP inbox."""

    url: str
    realm: str
    gateway: KeycloakGateway
    root: Root
    inbox: Inbox
    log: Path

    def set_password(self, user_id: str) -> None:
        """Test set-up only (the product never sets passwords): a known password, no pending
        required action, so the person can sign in through the login form."""
        self.gateway.call(
            "PUT",
            f"/users/{user_id}/reset-password",
            {"type": "password", "value": PASSWORD, "temporary": False},
        )
        self.gateway.call(
            "PUT", f"/users/{user_id}", {"requiredActions": [], "emailVerified": True}
        )


def _environment(
    realm: str, port: int, database: str, cache: Path, smtp_port: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "LRS_REALM": realm,
        "LRS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LRS_DATABASE_URL": database,
        "LRS_CACHE_DIR": str(cache),
        "LRS_COMPANION_CLIENT_SECRET": COMPANION_SECRET,
        "LRS_SECRET_KEY": "e2e-secret-key-" + uuid.uuid4().hex,
        "LRS_WEBHOOK_SECRET": "e2e-webhook-secret-" + uuid.uuid4().hex,
        "LRS_SMTP_HOST": "127.0.0.1",
        "LRS_SMTP_PORT": str(smtp_port),
        "LRS_SMTP_FROM": "lrs-no-reply@localhost",
        "LRS_WORKERS": "2",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def _settings_of(env: dict[str, str]) -> Any:
    """The app's settings as the served process reads them from ``env``."""
    return load_settings(
        realm=env["LRS_REALM"],
        public_url=env["LRS_PUBLIC_URL"],
        database_url=env["LRS_DATABASE_URL"],
        cache_dir=env["LRS_CACHE_DIR"],
        companion_client_secret=env["LRS_COMPANION_CLIENT_SECRET"],
        secret_key=env["LRS_SECRET_KEY"],
        webhook_secret=env["LRS_WEBHOOK_SECRET"],
        smtp_host=env["LRS_SMTP_HOST"],
        smtp_port=int(env["LRS_SMTP_PORT"]),
    )


def _cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "lrs_keycloak.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def served_companion(folder: Path) -> Iterator[Companion]:
    """A throwaway realm, a migrated SQLite store and `lrs-keycloak serve` on a free port."""
    realm = f"lrs-e2e-{uuid.uuid4().hex[:8]}"
    port = free_port()
    database = f"sqlite:///{folder / 'companion.sqlite'}"
    with smtp_server() as inbox:
        env = _environment(realm, port, database, folder / "cache", inbox.port)
        root = Root(realm, database, settings=_settings_of(env))
        gateway = root.gateway()
        # The realm synced as `lrs-keycloak sync` does, with the companion client's exact
        # redirect and logout URIs for this port (build_policy completes it from the settings).
        apply(gateway, plan(gateway, root.policy()))
        try:
            gateway.update_realm(
                {
                    "smtpServer": {
                        "host": "127.0.0.1",
                        "port": str(inbox.port),
                        "from": "lrs@localhost",
                    }
                }
            )
            _cli("db", "upgrade", env=env)
            log = folder / "serve.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "lrs_keycloak.cli", "serve", "--port", str(port)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(url, process, log)
                yield Companion(url, realm, gateway, root, inbox, log)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=40)
        finally:
            root.engine().dispose()
            if gateway.get_realm() is not None:
                gateway.delete_realm()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the companion app did not come up: {log.read_text()[-2000:]}")


# --- in the browser -------------------------------------------------------------------------


def sign_in(
    page: Page, companion: Companion, username: str, password: str = PASSWORD
) -> str | None:
    """Through the app's /sign-in, Keycloak's login form, the second factor (super users and
    the help desk) and its every-logon User Agreement (accepted), back to the app's home page;
    answers what the second factor took (``second_factor``)."""
    page.goto(f"{companion.url}/sign-in")
    step = log_in_at_keycloak(page, username, password)
    expect(page.locator("#kc-accept")).to_be_visible()  # the User Agreement, every logon
    page.click("#kc-accept")
    page.wait_for_url(f"{companion.url}/**")
    expect(page.locator("h1")).to_be_visible()
    return step


def log_in_at_keycloak(page: Page, username: str, password: str) -> str | None:
    expect(page.locator("#username")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_load_state()
    return second_factor(page, username)


def second_factor(page: Page, username: str) -> str | None:
    """After the password: a super user or help desk agent sets up their authenticator at their
    first logon (the key read from Keycloak's "Unable to scan?" page, as a person would type it
    into an app) and types a code at every later one (docs/adr/0015). Answers "set up", "code"
    or None (a plain user who was asked for neither)."""
    realm = page.url.split("/realms/", 1)[1].split("/", 1)[0]
    # The password was posted from the authorization page: wait until Keycloak answers with
    # the next page (or sends the browser on), then see which page it is.
    page.wait_for_url(lambda url: "/protocol/openid-connect/auth" not in url)
    page.wait_for_load_state()
    if page.locator("#kc-totp-settings-form").count():
        page.click("#mode-manual")  # "Unable to scan?": the key as text
        key = page.locator("#kc-totp-secret-key").inner_text()
        totp.remember(realm, username, key)
        page.fill("#totp", totp.code(realm, username))
        page.fill("#userLabel", "browser test")
        page.click("#saveTOTPBtn")
        page.wait_for_load_state()
        return "set up"
    if page.locator("#kc-otp-login-form").count():
        page.fill("#otp", totp.code(realm, username))
        page.click("#kc-login")
        page.wait_for_load_state()
        return "code"
    return None


def _described(violation: dict[str, Any]) -> str:
    targets = [" ".join(map(str, node.get("target", []))) for node in violation["nodes"]][:5]
    return f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"


def check_page(page: Page, name: str) -> list[dict[str, Any]]:
    """axe-core on the page as shown now, and a full-page screenshot ``<name>.png``; asserts
    no violation of serious or critical impact. Returns every violation found (the minor and
    moderate ones are allowed).

    axe is injected with ``add_script_tag(path=…)``, which inlines its source: the app's CSP
    forbids inline script, so the browser contexts of these tests have ``bypass_csp=True``.
    """
    assert AXE.exists(), f"{AXE} is missing: run scripts/assets (npm ci installs axe-core)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    violations: list[dict[str, Any]] = json.loads(results)["violations"]
    AXE_RESULTS.mkdir(parents=True, exist_ok=True)
    (AXE_RESULTS / f"{name}.json").write_text(json.dumps(violations, indent=1))
    refused = [v for v in violations if v.get("impact") in REFUSED_IMPACTS]
    assert not refused, f"{name} ({page.url}): " + "; ".join(map(_described, refused))
    return violations


__all__ = [
    "AXE",
    "PASSWORD",
    "SCREENSHOTS",
    "Companion",
    "check_page",
    "log_in_at_keycloak",
    "served_companion",
    "sign_in",
]
