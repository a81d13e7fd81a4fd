"""Every page's GOV.UK layout (templates/layout.html): skip link, service name, the signed-in
person with a Sign out button that posts with a CSRF token, the phase banner, the footer's help
desk contact, and no inline script or style (the Content-Security-Policy forbids them)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from tests.support.pages import pages_app, persona, sign_in
from tests.unit.services.fake_directory import FakeDirectory


def _home(client: FlaskClient) -> str:
    return client.get("/").get_data(as_text=True)


def test_the_page_starts_with_a_skip_link_to_the_main_content(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _home(as_persona("plain"))
    assert html.index('class="govuk-skip-link"') < html.index("<header")
    assert 'href="#main-content"' in html and 'id="main-content"' in html


def test_the_header_names_the_service_and_the_signed_in_person(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _home(as_persona("plain"))
    assert "Learner Registration Service users" in html
    assert re.search(r'lrs-account__name">\s*Pat Plain', html)


def test_sign_out_is_a_post_form_carrying_the_csrf_token(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _home(as_persona("plain"))
    form = re.search(r'<form method="post" action="/sign-out"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert 'name="csrf_token"' in form.group(1) and "Sign out" in form.group(1)


def test_the_phase_banner_and_the_footers_help_desk_contact_are_shown(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _home(as_persona("plain"))
    assert "govuk-phase-banner" in html
    footer = html[html.index("<footer") :]
    assert "the MIAP help desk on 0000 000 0000" in footer


def test_the_footer_links_to_the_guide_when_its_address_is_set(
    directory: FakeDirectory, policy: RealmPolicy
) -> None:
    admin = UserAdmin(directory, AuditLog(make_engine("sqlite://")), policy)
    client = pages_app(
        {"LRS_GUIDE_URL": "https://example.org/guide"}, user_admin=admin
    ).test_client()
    sign_in(client, persona("plain"))
    footer = _home(client).split("<footer", 1)[1]
    assert 'href="https://example.org/guide"' in footer


def test_no_inline_script_or_style(as_persona: Callable[[str], FlaskClient]) -> None:
    html = _home(as_persona("plain"))
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html and " onclick=" not in html


def test_govuk_frontend_is_started_by_a_module_file_from_static(
    app: Flask, as_persona: Callable[[str], FlaskClient]
) -> None:
    assert '<script type="module" src="/static/lrs/init.mjs">' in _home(as_persona("plain"))
    answer = app.test_client().get("/static/lrs/init.mjs")
    try:
        assert answer.status_code == 200 and b"initAll()" in answer.data
    finally:
        answer.close()
