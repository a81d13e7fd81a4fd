"""The home page every signed-in user sees (issue 11, "Every signed-in LRS user"): who they are,
their organisation's super users to contact first (guide §2.3 key point 3, §3), their roles, the
User Agreement they accepted and its text (§4.3), and the way to their own account (§5)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def _page(client: FlaskClient, path: str = "/") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def _section(html: str, element_id: str) -> str:
    """The text from the element with ``element_id`` to the next level-2 heading."""
    start = html.index(f'id="{element_id}"')
    end = html.find("<h2", start)
    return html[start : end if end != -1 else len(html)]


def test_a_signed_out_visitor_is_sent_to_sign_in(app: Flask) -> None:
    answer = app.test_client().get("/")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_a_user_sees_who_they_are(as_persona: Callable[[str], FlaskClient]) -> None:
    html = _page(as_persona("plain"))
    assert "Pat Plain" in html and "pat.plain" in html and "pat@example.org" in html


def test_a_user_sees_their_organisations_super_users_by_name_and_email(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    organisations = _section(_page(as_persona("plain")), "organisations")
    assert "Anytown College" in organisations
    assert "Sam Super" in organisations
    assert 'href="mailto:sam.super@example.org"' in organisations
    assert "super users first" in organisations


def test_another_organisations_super_users_are_never_shown(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _page(as_persona("plain"))
    assert "Oli" not in html and "Other College" not in html


def test_a_user_sees_their_roles_as_the_guide_describes_them(
    app: Flask, as_persona: Callable[[str], FlaskClient]
) -> None:
    policy = app.extensions["lrs"].user_admin().policy
    description = policy.roles.get("LRBOnlineUser").description
    assert description in _page(as_persona("plain"))


def test_a_user_sees_the_agreement_version_they_accepted_and_when(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    agreement = _section(_page(as_persona("plain")), "agreement")
    assert re.search(r"Version you accepted\s*</dt>\s*<dd[^>]*>\s*1\s*</dd>", agreement)
    assert "30 November 2026 at 9:05am UTC" in agreement


def test_the_agreement_text_is_rendered_as_headings_paragraphs_and_lists(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    text = _section(_page(as_persona("plain")), "agreement-text")
    assert "<h1>LRS User Agreement</h1>" in text
    assert "<p>Your logon is <em>yours</em>.</p>" in text
    assert "<ul>\n<li>one</li>" in text


def test_the_agreement_text_cannot_put_a_script_in_the_page(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _page(as_persona("plain"))
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html


def test_a_user_without_an_acceptance_is_told_so(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    agreement = _section(_page(as_persona("super_user")), "agreement")
    assert "You have not accepted the User Agreement yet" in agreement


def test_own_details_password_and_second_factor_are_changed_in_keycloaks_account_console(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    assert re.search(r'href="http[^"]*/realms/lrs-unit/account"', _page(as_persona("plain")))


def test_a_super_user_gets_a_link_to_their_organisations_pages(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _page(as_persona("super_user"))
    assert 'href="/organisations/org-a/"' in html and 'href="/helpdesk/"' not in html


def test_a_help_desk_agent_gets_a_link_to_the_help_desk(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _page(as_persona("helpdesk"))
    assert 'href="/helpdesk/"' in html and "/organisations/" not in html
    assert "You do not belong to an organisation" in html


def test_a_plain_user_gets_no_link_to_pages_they_cannot_open(
    as_persona: Callable[[str], FlaskClient],
) -> None:
    html = _page(as_persona("plain"))
    assert "/organisations/" not in html and "/helpdesk/" not in html


def test_the_json_about_answer_moved_to_about_json(app: Flask) -> None:
    assert app.test_client().get("/about.json").get_json()["realm"] == "lrs-unit"
