"""Notifications (issue 13): the super users hear of their organisation's flagged and disabled
accounts, the help desk of an organisation left without an active super user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.notices import Notices
from lrs_keycloak.services.user_admin import NotPermitted, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.notices import NoticeLog
from lrs_keycloak.store.recovery import RecoveryStore
from tests.support.store import migrated_engine
from tests.unit.services.conftest import COLLEGE, OTHER
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


# --- the help desk's once-only notices (issue 13) ------------------------------------------------


class Contacts:
    """The organisations' primary contacts (keycloak.contacts), by group id."""

    def __init__(self, **by_group: str) -> None:
        self.by_group = dict(by_group)

    def primary_contact(self, group_id: str) -> str | None:
        return self.by_group.get(group_id)

    def set_primary_contact(self, group_id: str, username: str) -> str | None:
        previous = self.by_group.get(group_id)
        self.by_group[group_id] = username
        return previous


HELPDESK = "helpdesk@miap.example"


def _watching(directory: FakeDirectory, outbox: Outbox, contact: str = "sue.super") -> Notices:
    group = directory.find_organisation(COLLEGE.id)
    assert group is not None
    contacts = Contacts(**{group.group_id: contact})
    return Notices(directory, outbox, HELPDESK, contacts, NoticeLog(migrated_engine("sqlite://")))


def _college(directory: FakeDirectory) -> OrgGroup:
    group = directory.find_organisation(COLLEGE.id)
    assert group is not None
    return group


def test_the_help_desk_hears_once_when_the_primary_contact_is_suspended(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox()
    notices = _watching(directory, outbox)
    assert notices.check_primary_contact(_college(directory)) == []  # active: nothing to tell
    sue = directory.by_name("sue.super")
    assert sue is not None
    directory.set_enabled(sue.id, False)
    assert notices.check_primary_contact(_college(directory)) == [HELPDESK]
    assert notices.check_primary_contact(_college(directory)) == []  # once
    [(to, subject, body)] = outbox.sent
    assert to == HELPDESK and "suspended" in subject
    assert "sue.super" in body and "primary-contact" in body


def test_a_primary_contact_reinstated_then_removed_is_told_again(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox()
    notices = _watching(directory, outbox)
    sue = directory.by_name("sue.super")
    assert sue is not None
    directory.set_enabled(sue.id, False)
    notices.check_primary_contact(_college(directory))
    directory.set_enabled(sue.id, True)
    notices.check_primary_contact(_college(directory))  # put right: forgotten
    directory.delete_user(sue.id)
    notices.check_primary_contact(_college(directory))
    assert [s for _, s, _ in outbox.sent] == [
        f"{COLLEGE.name}: its LRS primary contact was suspended",
        f"{COLLEGE.name}: its LRS primary contact was removed",
    ]


def test_a_notice_the_mail_server_refused_is_sent_at_the_next_check(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox(fail_for={HELPDESK})
    notices = _watching(directory, outbox)
    sue = directory.by_name("sue.super")
    assert sue is not None
    directory.set_enabled(sue.id, False)
    assert notices.check_primary_contact(_college(directory)) == []
    outbox.fail_for.clear()
    assert notices.check_primary_contact(_college(directory)) == [HELPDESK]


def test_a_recovery_case_waiting_too_long_for_its_form_is_reminded_once(
    directory: FakeDirectory,
) -> None:
    outbox = Outbox()
    notices = _watching(directory, outbox)
    cases = RecoveryStore(migrated_engine("sqlite://"))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    old, _ = cases.open_awaiting_form(COLLEGE.id, "enforcer", now - timedelta(days=10))
    young, _ = cases.open_awaiting_form(OTHER.id, "enforcer", now - timedelta(days=9))
    assert notices.overdue_forms(cases.all_awaiting_form(), 10, now) == [old.id]
    assert notices.overdue_forms(cases.all_awaiting_form(), 10, now) == []
    assert notices.overdue_forms(cases.all_awaiting_form(), None, now) == []
    [(to, subject, body)] = outbox.sent
    assert to == HELPDESK and f"case {old.id}" in subject and "10 days" in body
    assert young.id != old.id


def test_without_a_help_desk_mailbox_nothing_is_read_or_sent(directory: FakeDirectory) -> None:
    outbox = Outbox()
    notices = Notices(directory, outbox, None, Contacts(), NoticeLog(migrated_engine("sqlite://")))
    assert notices.check_primary_contact(_college(directory)) == []
    assert outbox.sent == []


def test_suspending_or_removing_the_primary_contact_through_the_app_tells_the_help_desk(
    directory: FakeDirectory, audit: AuditLog, realm_policy: RealmPolicy, sue: Actor
) -> None:
    outbox = Outbox()
    notices = _watching(directory, outbox, contact="olive.online")
    admin = UserAdmin(directory, audit, realm_policy, notices=notices)
    admin.suspend(sue, COLLEGE.id, "olive.online", "left the college")
    admin.reinstate(sue, COLLEGE.id, "olive.online", "came back")
    admin.remove(sue, COLLEGE.id, "olive.online", "left for good")
    assert [s.rsplit(" ", 1)[1] for _, s, _ in outbox.sent] == ["suspended", "removed"]


def test_the_help_desk_records_a_new_primary_contact_with_its_reason(
    directory: FakeDirectory, audit: AuditLog, realm_policy: RealmPolicy
) -> None:
    group = _college(directory)
    contacts = Contacts(**{group.group_id: "sue.super"})
    admin = UserAdmin(directory, audit, realm_policy, contacts=contacts)
    helpdesk = Operator("helpdesk")
    result = admin.change_primary_contact(helpdesk, COLLEGE.id, "olive.online", "email of 1 Dec")
    assert contacts.primary_contact(group.group_id) == "olive.online"
    assert result.event is not None and result.event.action == "primary_contact_changed"
    assert result.event.details == {"previous": "sue.super", "new": "olive.online"}
    assert result.event.reason == "email of 1 Dec"


def test_a_primary_contact_must_be_an_active_account_of_the_organisation(
    directory: FakeDirectory, audit: AuditLog, realm_policy: RealmPolicy, sue: Actor
) -> None:
    group = _college(directory)
    contacts = Contacts(**{group.group_id: "sue.super"})
    admin = UserAdmin(directory, audit, realm_policy, contacts=contacts)
    helpdesk = Operator("helpdesk")
    directory.add_user("sid.suspended", COLLEGE.id, ["LRBOnlineUser"], enabled=False)
    for username, code in [("otto.other", "not-a-member"), ("sid.suspended", "not-active")]:
        with pytest.raises(RuleViolation) as refused:
            admin.change_primary_contact(helpdesk, COLLEGE.id, username, "r")
        assert [v.code for v in refused.value.violations] == [code]
    with pytest.raises(RuleViolation):
        admin.change_primary_contact(helpdesk, COLLEGE.id, "olive.online", " ")
    with pytest.raises(NotPermitted):  # a super user does not name it: MIAP records it
        admin.change_primary_contact(sue, COLLEGE.id, "olive.online", "r")  # type: ignore[arg-type]
    assert contacts.primary_contact(group.group_id) == "sue.super"
    assert audit.events(action="primary_contact_changed") == []


def test_changing_the_primary_contact_forgets_what_was_told_of_the_previous_one(
    directory: FakeDirectory, audit: AuditLog, realm_policy: RealmPolicy, sue: Actor
) -> None:
    """Guide §9: the notice of the previous contact's suspension, claimed while they were
    replaced and never released (they are no longer the one checked), is forgotten with the
    change; so the old contact made the contact again by any route (a recovery's form, the
    CLI) is told of when lost again, and the new contact's losses are told."""
    group = _college(directory)
    outbox = Outbox()
    contacts = Contacts(**{group.group_id: "olive.online"})
    sent = NoticeLog(migrated_engine("sqlite://"))
    notices = Notices(directory, outbox, HELPDESK, contacts, sent)
    admin = UserAdmin(directory, audit, realm_policy, contacts=contacts, notices=notices)
    helpdesk = Operator("helpdesk")
    admin.suspend(sue, COLLEGE.id, "olive.online", "on leave")  # told: olive suspended
    admin.change_primary_contact(helpdesk, COLLEGE.id, "sue.super", "olive is on leave")
    assert sent.claim(f"primary-contact-lost:{COLLEGE.id}:olive.online")  # forgotten
    sent.release(f"primary-contact-lost:{COLLEGE.id}:olive.online")
    admin.reinstate(sue, COLLEGE.id, "olive.online", "back")  # not the contact: nothing checked
    admin.change_primary_contact(helpdesk, COLLEGE.id, "olive.online", "olive is back")
    admin.suspend(sue, COLLEGE.id, "olive.online", "left")
    assert [s for _, s, _ in outbox.sent] == [
        f"{COLLEGE.name}: its LRS primary contact was suspended",
        f"{COLLEGE.name}: its LRS primary contact was suspended",
    ]


def test_forgetting_one_organisations_contact_notices_keeps_the_others() -> None:
    sent = NoticeLog(migrated_engine("sqlite://"))
    for key in ["primary-contact-lost:a_b:x", "primary-contact-lost:a%b:y", "recovery-form:1"]:
        assert sent.claim(key)
    sent.release_all("primary-contact-lost:a_b:")  # "_" and "%" are not wildcards here
    assert sent.claim("primary-contact-lost:a_b:x")
    assert not sent.claim("primary-contact-lost:a%b:y") and not sent.claim("recovery-form:1")
