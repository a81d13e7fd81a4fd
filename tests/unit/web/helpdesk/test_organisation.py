"""An organisation's page as the help desk sees it."""

from __future__ import annotations

from tests.unit.services.recovery_world import HAL, PRIYA, form
from tests.unit.web.helpdesk.conftest import Desk, flag


def test_the_page_shows_super_users_contact_signatory_and_counts(desk: Desk) -> None:
    desk.world.contacts.primary["g-anytown-college"] = "sarah.jones"
    text = (
        desk.client(desk.hal).get("/helpdesk/organisations/anytown-college").get_data(as_text=True)
    )
    assert "Anytown College" in text
    assert "sarah.jones" in text and "Suspended" in text  # the super user who left
    assert PRIYA.name in text and PRIYA.email in text  # the signatory MIAP holds
    assert "no active super user" in text
    # users by status: olive.online active, sarah.jones (the super user who left) suspended
    flat = text.replace("\n", "")
    assert '">Suspended</th><td class="govuk-table__cell">1</td>' in flat
    assert '">Active</th><td class="govuk-table__cell">1</td>' in flat


def test_open_and_past_cases_are_listed(desk: Desk) -> None:
    service = desk.world.service
    old = service.open(HAL, form(form_reference="NSU-OLD")).case["id"]
    service.cancel(HAL, old, "duplicate form")
    service.open(HAL, form(form_reference="NSU-NEW"))
    text = (
        desk.client(desk.hal).get("/helpdesk/organisations/anytown-college").get_data(as_text=True)
    )
    assert "NSU-NEW" in text and "NSU-OLD" in text and "duplicate form" in text


def test_repeated_failed_requests_are_flagged(desk: Desk) -> None:
    service = desk.world.service
    for attempt in range(3):
        service.open(HAL, form(form_reference=f"NSU-R{attempt}"))
        service.decide_by_link(desk.world.mail.token(), approve=False, ip=None)
    text = (
        desk.client(desk.hal).get("/helpdesk/organisations/anytown-college").get_data(as_text=True)
    )
    assert "govuk-warning-text" in text and "known telephone number" in text


def test_the_enforcers_open_flags_are_shown(desk: Desk) -> None:
    desk.flags.flags.append(
        flag("anytown-college", "gus.generic", "generic-name", "The name looks generic.")
    )
    text = (
        desk.client(desk.hal).get("/helpdesk/organisations/anytown-college").get_data(as_text=True)
    )
    assert "gus.generic" in text and "The name looks generic." in text


def test_an_unknown_or_malformed_organisation_is_404(desk: Desk) -> None:
    client = desk.client(desk.hal)
    assert client.get("/helpdesk/organisations/no-such-org").status_code == 404
    assert client.get("/helpdesk/organisations/Not%20An%20Id").status_code == 404
