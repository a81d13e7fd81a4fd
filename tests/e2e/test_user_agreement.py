"""Guide §4.3: "each time you log on, every user will be presented with the User Agreement
text … and must be accepted before access is given by the system"."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from lrs_keycloak.composition import Root
from lrs_keycloak.services.agreement import publish
from lrs_keycloak.web import create_app

from .conftest import E2ERealm, Portal

PASSWORD = "correct horse battery staple"


def _resync(realm: E2ERealm) -> Callable[[], None]:
    """What `lrs-keycloak agreement publish` hands `publish`: the policy read again, applied."""
    return Root(realm=realm.name, config=realm.config).resync


def _agreement_is_shown(portal: Portal, version: str) -> None:
    expect(portal.page.locator("#kc-accept")).to_be_visible()
    expect(portal.page.locator("#lrs-agreement-version")).to_contain_text(version)
    expect(portal.page.locator("#lrs-agreement-text")).to_contain_text("Learner Registration")


def test_declining_the_agreement_refuses_the_logon_and_records_nothing(
    e2e_realm: E2ERealm, portal: Portal
) -> None:
    username, user_id = e2e_realm.create_user("Dana", "Decliner", PASSWORD)
    portal.log_in(e2e_realm.name, username, PASSWORD)
    _agreement_is_shown(portal, "1")
    returned = portal.choose("#kc-decline")
    assert "code" not in returned
    assert returned["error"] == ["access_denied"]
    assert "User Agreement" in returned["error_description"][0]
    assert "lrsAgreementVersion" not in (e2e_realm.user(user_id).get("attributes") or {})


def test_accepting_records_the_version_and_time_then_gives_access(
    e2e_realm: E2ERealm, portal: Portal
) -> None:
    username, user_id = e2e_realm.create_user("Amir", "Acceptor", PASSWORD)
    before = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 60))
    portal.log_in(e2e_realm.name, username, PASSWORD)
    _agreement_is_shown(portal, "1")
    assert "code" in portal.choose("#kc-accept")
    attributes = e2e_realm.user(user_id)["attributes"]
    assert attributes["lrsAgreementVersion"] == ["1"]
    assert attributes["lrsAgreementAcceptedAt"][0] >= before


def test_the_agreement_is_shown_again_at_the_next_logon(
    e2e_realm: E2ERealm, browser: Browser
) -> None:
    username, _ = e2e_realm.create_user("Nia", "Nextlogon", PASSWORD)
    for _ in range(2):
        context = browser.new_context()  # a new logon, as after logging out
        portal = Portal(context.new_page())
        portal.log_in(e2e_realm.name, username, PASSWORD)
        _agreement_is_shown(portal, "1")
        assert "code" in portal.choose("#kc-accept")
        context.close()


def test_the_agreement_text_is_shown_as_text_never_as_markup(
    e2e_realm: E2ERealm, portal: Portal, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        "Learner Registration Service agreement.\n\n<script>window.pwned = 1</script><b>bold</b>\n"
    )
    publish(e2e_realm.config, hostile, "1-markup", _resync(e2e_realm), published_by="e2e")
    username, _ = e2e_realm.create_user("Mark", "Upton", PASSWORD)
    portal.log_in(e2e_realm.name, username, PASSWORD)
    expect(portal.page.locator("#lrs-agreement-text")).to_contain_text("<script>window.pwned")
    assert portal.page.evaluate("window.pwned") is None
    assert portal.page.locator("#lrs-agreement-text b").count() == 0


def test_a_new_version_is_shown_at_the_next_logon_and_recorded(
    e2e_realm: E2ERealm, portal: Portal, tmp_path: Path
) -> None:
    text = tmp_path / "v2.md"
    text.write_text("Learner Registration Service User Agreement, second edition.\n")
    publish(e2e_realm.config, text, "2", _resync(e2e_realm), published_by="e2e")
    username, user_id = e2e_realm.create_user("Vera", "Version", PASSWORD)
    portal.log_in(e2e_realm.name, username, PASSWORD)
    _agreement_is_shown(portal, "2")
    expect(portal.page.locator("#lrs-agreement-text")).to_contain_text("second edition")
    assert "code" in portal.choose("#kc-accept")
    assert e2e_realm.user(user_id)["attributes"]["lrsAgreementVersion"] == ["2"]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_a_login_while_the_companion_apps_webhook_is_down_still_works(
    e2e_realm: E2ERealm, portal: Portal
) -> None:
    assert not _port_open(5000), "the companion app must be down for this test"
    username, _ = e2e_realm.create_user("Wendy", "Webhookdown", PASSWORD)
    started = time.monotonic()
    portal.log_in(e2e_realm.name, username, PASSWORD)
    assert "code" in portal.choose("#kc-accept")
    assert time.monotonic() - started < 30  # not stuck behind a delivery


@pytest.fixture
def companion_app() -> Iterator[object]:
    app = create_app({"TESTING": True})
    server = make_server("127.0.0.1", 5000, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()


def test_login_and_agreement_events_reach_the_companion_app_signed(
    e2e_realm: E2ERealm, portal: Portal, companion_app: object
) -> None:
    username, user_id = e2e_realm.create_user("Eve", "Events", PASSWORD)
    portal.log_in(e2e_realm.name, username, PASSWORD)
    assert "code" in portal.choose("#kc-accept")
    received = companion_app.extensions["lrs_events"]  # type: ignore[attr-defined]
    deadline = time.monotonic() + 15
    types: set[str] = set()
    while time.monotonic() < deadline and not {"LOGIN", "CUSTOM_REQUIRED_ACTION"} <= types:
        types = {e.get("type") for e in list(received) if e.get("userId") == user_id}
        time.sleep(0.2)
    assert {"LOGIN", "CUSTOM_REQUIRED_ACTION"} <= types
