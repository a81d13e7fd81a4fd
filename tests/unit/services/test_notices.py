"""Notifications (issue 13): the super users hear of their organisation's flagged and disabled
accounts, the help desk of an organisation left without an active super user."""

from __future__ import annotations

from dataclasses import dataclass, field

from lrs_keycloak.services.notices import Notices
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory


@dataclass
class Outbox:
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    fail_for: set[str] = field(default_factory=set)

    def send(self, to: str, subject: str, body: str) -> None:
        if to in self.fail_for:
            raise ConnectionError("mail server down")
        self.sent.append((to, subject, body))


def test_the_organisations_active_super_users_hear_of_a_flagged_account(
    directory: FakeDirectory,
) -> None:
    directory.add_user("sid.suspended", COLLEGE.id, ["LRBSuperUser"], enabled=False)
    outbox = Outbox()
    told = Notices(directory, outbox, None).flagged(
        COLLEGE.id, "olive.online", "no-role", "Give the account a role."
    )
    assert told == ["sue.super@example.org"]
    [(_, subject, body)] = outbox.sent
    assert "olive.online" in subject and "Give the account a role." in body


def test_a_flagged_super_user_is_not_told_of_themselves(directory: FakeDirectory) -> None:
    outbox = Outbox()
    Notices(directory, outbox, None).flagged(COLLEGE.id, "sue.super", "generic-name", "m")
    assert outbox.sent == []


def test_the_super_users_hear_of_an_account_disabled_after_the_grace_period(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox()
    Notices(directory, outbox, None).disabled(COLLEGE.id, "olive.online", "no-role", 24)
    [(to, subject, body)] = outbox.sent
    assert to == "sue.super@example.org" and "disabled" in subject and "24 hours" in body


def test_the_help_desk_hears_of_an_organisation_without_an_active_super_user(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox()
    notices = Notices(directory, outbox, "helpdesk@miap.example")
    told = notices.no_active_super_user(COLLEGE.id, COLLEGE.name, "Sue was suspended.")
    assert told == ["helpdesk@miap.example"]
    assert COLLEGE.name in outbox.sent[0][1] and "Sue was suspended." in outbox.sent[0][2]


def test_without_a_help_desk_address_nothing_is_sent(directory: FakeDirectory) -> None:
    assert Notices(directory, Outbox(), None).no_active_super_user(COLLEGE.id, "x", "y") == []


def test_a_notice_that_cannot_be_sent_is_not_an_error(directory: FakeDirectory) -> None:
    outbox = Outbox(fail_for={"sue.super@example.org"})
    told = Notices(directory, outbox, None).flagged(COLLEGE.id, "olive.online", "no-role", "m")
    assert told == []
