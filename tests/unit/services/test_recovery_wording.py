"""The recovery's email wording lives in templates (services/recovery/templates): the approval
email reads as it did when it was composed in code, unescaped, and a value left out is an
error rather than a gap in a message to a senior manager."""

from __future__ import annotations

from datetime import date

import pytest
from jinja2 import UndefinedError

from lrs_keycloak.services.recovery.wording import email
from tests.unit.services.recovery_world import form

URL = "https://lrs.example.test/recovery/approve/abc?x=1&y=2"


def test_the_approval_email_reads_word_for_word_as_before() -> None:
    nsu = form(
        nominee_family_name="O'Neil & <Sons>",
        form_reference="NSU-7",
        received_on=date(2026, 1, 2),
    )
    subject, body = email(
        "approval_link",
        form=nsu,
        org_name="Anytown & Co's College",
        url=URL,
        expires="09 January 2026 10:00 UTC",
    )
    assert subject == "Approve a new LRS Super User for Anytown & Co's College (form NSU-7)"
    assert body == (
        "Dear Priya Principal,\n\n"
        "MIAP has received a New Super User Form for Anytown & Co's College (reference NSU-7, "
        "received 2026-01-02) naming you as the approving senior manager.\n\n"
        "Nominee: Mr Neil O'Neil & <Sons>, neil.newcombe@anytown.example.org, 01632 960 123\n\n"
        "As MIAP is taking responsibility for granting someone Super User access for your "
        "organisation, we need your approval. Open this link to see the request and approve or "
        "reject it:\n\n"
        f"{URL}\n\n"
        "The link works once and expires on 09 January 2026 10:00 UTC. If you did not expect "
        "this message, reject the request or contact the MIAP Help Desk.\n"
    )


def test_a_value_the_template_names_but_was_not_given_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        email("approval_link", form=form(), org_name="Anytown College", url=URL)
