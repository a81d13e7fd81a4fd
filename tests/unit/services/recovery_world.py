"""The recovery use cases with in-memory collaborators: the fake directory, an SQLite store, a
mailer that keeps what it sends and an organisation's contacts in a dict."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, SUPER_USER, Actor
from lrs_keycloak.domain.recovery import NewSuperUserForm
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.services.recovery import ApprovalLinks, RecoveryService
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.store.signatories import SignatoryStore
from tests.unit.services.fake_directory import FakeDirectory

COLLEGE = Organisation("anytown-college", "Anytown College", "college", frozenset())
PRIYA = Signatory("Priya Principal", "principal@anytown.example.org", "Principal")
PUBLIC_URL = "https://lrs.example.test"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/recovery/approve/(\S+)")


def agent(username: str) -> Actor:
    return Actor(username, None, frozenset(), frozenset({HELPDESK_REALM_ROLE}))


HAL = agent("hal.desk")  # raises the cases
IDA = agent("ida.second")  # a second agent
OPERATOR = "operator:ops"  # recorded the signatory at registration


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Mailbox:
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    broken: bool = False

    def send(self, to: str, subject: str, body: str) -> None:
        if self.broken:
            raise ConnectionRefusedError("the SMTP server refused the connection")
        self.sent.append((to, subject, body))

    def token(self) -> str:
        """The token in the last approval link sent."""
        found = LINK.search(self.sent[-1][2])
        assert found is not None, self.sent[-1][2]
        return found.group(1)


@dataclass
class Contacts:
    primary: dict[str, str] = field(default_factory=dict)
    broken: bool = False

    def primary_contact(self, group_id: str) -> str | None:
        return self.primary.get(group_id)

    def set_primary_contact(self, group_id: str, username: str) -> str | None:
        if self.broken:
            raise ConnectionError("Keycloak is unavailable")
        previous = self.primary.get(group_id)
        self.primary[group_id] = username
        return previous


class ContactWatch:
    """The help desk's contact notices, as UserAdmin calls them (services.ports.ContactNotices)."""

    def __init__(self) -> None:
        self.changed: list[str] = []

    def check_primary_contact(self, group: Any) -> list[str]:
        return []

    def primary_contact_changed(self, org_id: str) -> None:
        self.changed.append(org_id)


@dataclass
class World:
    service: RecoveryService
    directory: FakeDirectory
    audit: AuditLog
    store: RecoveryStore
    mail: Mailbox
    contacts: Contacts
    clock: Clock
    notices: ContactWatch

    def kinds(self) -> list[str]:
        """The audit events' kinds, oldest first."""
        return [e.action for e in self.audit.events(COLLEGE.id)][::-1]


def form(**changes: Any) -> NewSuperUserForm:
    values: dict[str, Any] = {
        "organisation_id": COLLEGE.id,
        "nominee_title": "Mr",
        "nominee_given_name": "Neil",
        "nominee_family_name": "Newcombe",
        "nominee_email": "neil.newcombe@anytown.example.org",
        "nominee_telephone": "01632 960 123",
        "nominee_staff_id": "E100",
        "manager_name": PRIYA.name,
        "manager_job_title": PRIYA.job_title,
        "manager_email": PRIYA.email,
        "manager_signed_agreement": True,
        "form_reference": "NSU-1",
        "received_on": date.today(),
        "make_primary_contact": True,
    }
    values.update(changes)
    return NewSuperUserForm(**values)


@pytest.fixture
def world(realm_policy: RealmPolicy) -> Iterator[World]:
    engine = make_engine("sqlite://")
    directory = FakeDirectory()
    directory.add_org(COLLEGE)
    # The organisation's only super user has left (suspended): recovery is allowed.
    directory.add_user("sarah.jones", COLLEGE.id, [SUPER_USER], enabled=False)
    directory.add_user("olive.online", COLLEGE.id, ["LRBOnlineUser"])
    audit = AuditLog(engine)
    notices = ContactWatch()
    admin = UserAdmin(directory, audit, realm_policy, notices=notices)
    signatories = SignatoryBook(SignatoryStore(engine), directory)
    signatories.record(OPERATOR, COLLEGE.id, PRIYA, registering=True)
    store = RecoveryStore(engine)
    mail, contacts, clock = Mailbox(), Contacts(), Clock()
    service = RecoveryService(
        admin,
        store,
        contacts,
        mail,
        ApprovalLinks("unit-test-secret"),
        PUBLIC_URL,
        signatories=signatories,
        clock=clock,
    )
    yield World(service, directory, audit, store, mail, contacts, clock, notices)
    engine.dispose()


def approved_case(world: World, by: Actor = HAL) -> int:
    """A case opened by ``by`` and approved by the senior manager through the link."""
    opened = world.service.open(by, form())
    world.service.decide_by_link(world.mail.token(), approve=True, ip="203.0.113.7")
    return int(opened.case["id"])
