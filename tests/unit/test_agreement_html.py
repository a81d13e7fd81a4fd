"""The User Agreement's Markdown as HTML (config.agreement_html): what the logon page and the
home page show. Each refusal is tested on both layers: the Markdown renderer (raw HTML off) and
the sanitiser behind it (for HTML that reached it anyway)."""

from __future__ import annotations

import pytest

from lrs_keycloak.config import load_policy
from lrs_keycloak.config.agreement_html import agreement_html, sanitised
from lrs_keycloak.keycloak.names import AGREEMENT_HTML, AGREEMENT_TEXT
from lrs_keycloak.keycloak.sync.realm import desired_realm
from lrs_keycloak.settings import config_dir


def test_headings_paragraphs_and_emphasis_render() -> None:
    html = agreement_html("# LRS User Agreement\n\n## Your logon\n\nIt is *yours* **alone**.")
    assert html == (
        "<h1>LRS User Agreement</h1>\n<h2>Your logon</h2>\n"
        "<p>It is <em>yours</em> <strong>alone</strong>.</p>"
    )


def test_bulleted_and_numbered_lists_render() -> None:
    html = agreement_html("- one\n- two\n\n1. first\n2. second")
    assert html == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>"
    )


def test_a_link_keeps_its_address_and_nothing_else() -> None:
    html = agreement_html('[the guide](https://www.gov.uk/guide "title")')
    assert html == '<p><a href="https://www.gov.uk/guide">the guide</a></p>'


def test_a_script_in_the_text_is_shown_as_text_never_run() -> None:
    html = agreement_html("Read this.\n\n<script>window.pwned = 1</script>")
    assert "<script" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html


def test_the_sanitiser_drops_a_script_and_its_content() -> None:
    assert sanitised("<p>a</p><script>window.pwned = 1</script>") == "<p>a</p>"


def test_an_iframe_in_the_text_is_shown_as_text() -> None:
    assert "<iframe" not in agreement_html('<iframe src="https://evil.example"></iframe>')


def test_the_sanitiser_drops_an_iframe() -> None:
    assert sanitised('<p>a<iframe src="https://evil.example"></iframe></p>') == "<p>a</p>"


def test_an_event_handler_attribute_in_the_text_is_shown_as_text() -> None:
    html = agreement_html('<a href="https://x.example" onclick="steal()">x</a>')
    assert "<a " not in html and "onclick" in html  # visible as text, not an attribute


@pytest.mark.parametrize(
    "html",
    [
        '<p onclick="steal()">x</p>',
        '<a href="https://x.example" onmouseover="steal()">x</a>',
        '<h1 onload="steal()" style="color:red" class="big" title="t">x</h1>',
    ],
)
def test_the_sanitiser_drops_event_handlers_and_every_other_attribute(html: str) -> None:
    cleaned = sanitised(html)
    for attribute in ("on", "style", "class", "title"):
        assert f" {attribute}" not in cleaned


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>"]
)
def test_a_javascript_or_data_link_in_the_text_is_not_a_link(target: str) -> None:
    assert "<a" not in agreement_html(f"[click]({target})")


@pytest.mark.parametrize(
    "target", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x"]
)
def test_the_sanitiser_drops_a_javascript_or_data_href(target: str) -> None:
    assert "href" not in sanitised(f'<a href="{target}">click</a>')


def test_elements_outside_the_allow_list_keep_only_their_text() -> None:
    html = agreement_html("##### Small heading\n\n![logo](https://x.example/l.png)\n\n    code")
    assert "<h5" not in html and "<img" not in html and "<pre" not in html
    assert "Small heading" in html and "code" in html


def test_sync_puts_the_rendered_html_beside_the_text_for_the_logon_page() -> None:
    policy = load_policy(config_dir(), realm="unit")
    assert policy.agreement is not None
    attributes = desired_realm(policy)["attributes"]
    assert attributes[AGREEMENT_TEXT] == policy.agreement.text
    assert attributes[AGREEMENT_HTML] == agreement_html(policy.agreement.text)
    assert attributes[AGREEMENT_HTML].startswith("<p>")
