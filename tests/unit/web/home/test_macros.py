"""The form and content macros (templates/macros/): GOV.UK markup where the error summary links
each message to its field, each field shows its own message, and text is escaped."""

from __future__ import annotations

from typing import Any

from flask import Flask
from markupsafe import Markup


def _render(app: Flask, source: str, **values: Any) -> str:
    header = (
        '{% from "macros/forms.html" import error_summary, input, textarea, select, radios, '
        "checkboxes, button, back_link %}"
        '{% from "macros/content.html" import summary_list, table, warning_text, '
        "notification_banner, pagination, tag, link %}"
    )
    with app.test_request_context("/"):
        return app.jinja_env.from_string(header + source).render(**values)


ERRORS = {"email": "Enter an email address", "role": "Select a role"}


def test_the_error_summary_links_each_message_to_its_field(app: Flask) -> None:
    html = _render(app, "{{ error_summary(errors) }}", errors=ERRORS)
    assert "There is a problem" in html and 'role="alert"' in html
    assert '<a href="#email">Enter an email address</a>' in html
    assert '<a href="#role">Select a role</a>' in html


def test_no_errors_no_summary(app: Flask) -> None:
    assert "govuk-error-summary" not in _render(app, "{{ error_summary({}) }}")


def test_a_field_with_an_error_shows_it_and_is_described_by_it(app: Flask) -> None:
    html = _render(
        app,
        '{{ input("email", "Email address", "x", errors=errors, hint="At work") }}',
        errors=ERRORS,
    )
    assert 'id="email"' in html and 'for="email"' in html
    assert "govuk-form-group--error" in html and "govuk-input--error" in html
    assert 'id="email-error"' in html and "Enter an email address" in html
    assert 'aria-describedby="email-hint email-error"' in html


def test_a_field_without_an_error_has_no_error_markup(app: Flask) -> None:
    html = _render(app, '{{ input("name", "Name", errors=errors) }}', errors=ERRORS)
    assert "error" not in html


def test_radios_first_option_carries_the_fields_id_for_the_summary_link(app: Flask) -> None:
    html = _render(
        app,
        "{{ radios('role', 'Role', [('a', 'A'), ('b', 'B', 'H')], checked='b', errors=errors) }}",
        errors=ERRORS,
    )
    assert 'id="role"' in html and 'id="role-2"' in html
    assert 'value="b" checked' in html and 'value="a" checked' not in html
    assert 'id="role-error"' in html and "<legend" in html


def test_checkboxes_check_each_chosen_value(app: Flask) -> None:
    html = _render(
        app, '{{ checkboxes("r", "Roles", [("a", "A"), ("b", "B")], checked=["a", "b"]) }}'
    )
    assert html.count(" checked") == 2 and 'type="checkbox"' in html


def test_select_marks_the_selected_option(app: Flask) -> None:
    html = _render(app, '{{ select("s", "S", [("1", "One"), ("2", "Two")], selected="2") }}')
    assert '<option value="2" selected>Two</option>' in html


def test_values_are_escaped(app: Flask) -> None:
    html = _render(
        app, '{{ input("n", "N", value) }}{{ summary_list([("K", value)]) }}', value="<b>"
    )
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_a_table_cell_may_be_a_link(app: Flask) -> None:
    html = _render(app, '{{ table(["User", "Email"], [[link("/u/1", "sue"), "s@x"]]) }}')
    assert '<th scope="row" class="govuk-table__header"><a class="govuk-link" href="/u/1">' in html


def test_an_empty_table_says_so(app: Flask) -> None:
    assert "No users" in _render(app, '{{ table(["User"], [], empty="No users") }}')


def test_a_summary_list_change_link_names_its_row_for_screen_readers(app: Flask) -> None:
    html = _render(app, '{{ summary_list([("Email", "s@x", "/edit", "Change")]) }}')
    assert 'href="/edit">Change<span class="govuk-visually-hidden"> email</span>' in html


def test_a_success_banner_is_an_alert(app: Flask) -> None:
    html = _render(app, '{{ notification_banner("User created", success=true) }}')
    assert "govuk-notification-banner--success" in html and 'role="alert"' in html


def test_pagination_and_warning_and_tag(app: Flask) -> None:
    html = _render(
        app,
        '{{ pagination(next_href="/p/2") }}{{ warning_text("Careful") }}{{ tag("Locked", "red") }}',
    )
    assert 'href="/p/2" rel="next"' in html and "govuk-pagination__prev" not in html
    assert "Careful" in html and "govuk-tag--red" in html


def test_a_button_link_is_for_gets(app: Flask) -> None:
    html = _render(app, '{{ button("Start", href="/start") }}{{ button("Save", secondary=true) }}')
    assert '<a href="/start" role="button"' in html
    assert '<button type="submit" class="govuk-button govuk-button--secondary"' in html


def test_markup_passes_through_unescaped(app: Flask) -> None:
    html = _render(app, "{{ summary_list([('K', v)]) }}", v=Markup("<strong>x</strong>"))
    assert "<strong>x</strong>" in html
