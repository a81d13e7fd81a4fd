"""The help desk's notices (issue 13) against the real Keycloak and a real SMTP server, wired as
the app and the worker are (a ``Root`` with LRS_HELPDESK_EMAIL and LRS_SMTP_*): an
organisation's primary contact suspended or removed, through the app or the console, and a
recovery case overdue for its form; each arrives once. And `organisations primary-contact`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from lrs_keycloak.cli import main
from lrs_keycloak.cli.worker import reminder_round
from lrs_keycloak.composition import Root
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.contacts import OrganisationContacts
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import load_settings
from lrs_keycloak.store.db import make_engine, upgrade
from lrs_keycloak.store.notices import NoticeLog
from lrs_keycloak.store.recovery import RecoveryStore
from tests.support.smtp import Inbox, body, realm_mail

HELPDESK = "helpdesk@miap.example"
ORG = Organisation("contact-college", "Contact College", "college", frozenset())


def person(given: str) -> UserDetails:
    return UserDetails("Ms", given, "Okonkwo", "HR file 3", email=f"{given.lower()}@cc.example")


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    """The realm's set-password emails and the app's notices, in one real SMTP server."""
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def root(
    realm_name: str, synced_gateway: KeycloakGateway, inbox: Inbox, tmp_path_factory: Any
) -> Root:
    url = f"sqlite:///{tmp_path_factory.mktemp('notices') / 'store.sqlite'}"
    upgrade(make_engine(url, check=False))
    settings = load_settings().model_copy(
        update={"helpdesk_email": HELPDESK, "smtp_port": inbox.port, "smtp_starttls": False}
    )
    return Root(realm=realm_name, database_url=url, settings=settings)


@pytest.fixture(scope="module")
def admin(root: Root) -> UserAdmin:
    return root.user_admin()


@pytest.fixture(scope="module")
def org(admin: UserAdmin) -> dict[str, str]:
    """Sue, the initial super user (so the primary contact), and Dee, a deputy super user."""
    sue = admin.register_organisation(Operator("it"), ORG, person("Sue")).user
    assert sue is not None
    actor = admin.actor(sue["username"])
    assert actor is not None
    dee = admin.create_user(actor, ORG.id, person("Dee"), ["LRBSuperUser"], "ref 1").user
    assert dee is not None
    return {"sue": sue["username"], "dee": dee["username"]}


def _dee(admin: UserAdmin, org: dict[str, str]) -> Actor:
    actor = admin.actor(org["dee"])
    assert actor is not None
    return actor


def _told(inbox: Inbox, what: str) -> list[str]:
    return [str(m["Subject"]) for m in inbox.to(HELPDESK) if what in str(m["Subject"])]


def test_the_primary_contact_suspended_through_the_app_is_told_once(
    root: Root, admin: UserAdmin, org: dict[str, str], inbox: Inbox
) -> None:
    enforcer = root.enforcer()
    enforcer.poll()  # the cursor at "now"
    admin.suspend(_dee(admin, org), ORG.id, org["sue"], "on leave")
    assert _told(inbox, "primary contact was suspended") == [
        f"{ORG.name}: its LRS primary contact was suspended"
    ]
    message = inbox.to(HELPDESK)[-1]
    assert org["sue"] in body(message) and "organisations primary-contact" in body(message)
    enforcer.poll()  # the same suspension, as Keycloak's stored admin event: no second email
    assert len(_told(inbox, "primary contact was suspended")) == 1
    admin.reinstate(_dee(admin, org), ORG.id, org["sue"], "back")


def test_the_primary_contact_disabled_in_the_console_is_told_once_by_the_enforcer(
    root: Root, admin: UserAdmin, org: dict[str, str], inbox: Inbox
) -> None:
    before = len(_told(inbox, "primary contact was suspended"))
    enforcer = root.enforcer()
    enforcer.poll()
    user = UserDirectory(root.gateway()).find_user(org["sue"])
    assert user is not None
    root.gateway().call("PUT", f"/users/{user.id}", {"enabled": False})  # as the console does
    enforcer.poll()
    enforcer.poll()
    assert len(_told(inbox, "primary contact was suspended")) == before + 1
    root.gateway().call("PUT", f"/users/{user.id}", {"enabled": True})
    enforcer.poll()  # active again: a later loss is told again


def test_the_primary_contact_removed_through_the_app_is_told_once(
    root: Root, admin: UserAdmin, org: dict[str, str], inbox: Inbox
) -> None:
    spare = admin.create_user(_dee(admin, org), ORG.id, person("Pat"), ["LRBOnlineUser"]).user
    assert spare is not None
    group = UserDirectory(root.gateway()).find_organisation(ORG.id)
    assert group is not None
    contacts = OrganisationContacts(root.gateway())
    previous = contacts.set_primary_contact(group.group_id, spare["username"])
    admin.remove(_dee(admin, org), ORG.id, spare["username"], "left")
    root.enforcer().poll()
    assert _told(inbox, "primary contact was removed") == [
        f"{ORG.name}: its LRS primary contact was removed"
    ]
    contacts.set_primary_contact(group.group_id, previous or org["sue"])


def test_a_recovery_case_overdue_for_its_form_is_reminded_once(
    root: Root, org: dict[str, str], inbox: Inbox
) -> None:
    days = root.policy().lifecycle.recovery_form_overdue_days
    assert days is not None
    cases = RecoveryStore(root.engine())
    opened = datetime.now(UTC) - timedelta(days=days, hours=1)
    case, _ = cases.open_awaiting_form(ORG.id, "enforcer", opened)
    assert reminder_round(root) and reminder_round(root)
    [subject] = _told(inbox, "still awaits its form")
    assert subject == f"Recovery case {case.id} for {ORG.name} still awaits its form"


def test_a_contact_replaced_while_suspended_is_told_of_again_once_reappointed(
    root: Root, admin: UserAdmin, org: dict[str, str], inbox: Inbox
) -> None:
    """Guide §9: changing the contact forgets the notice of the previous one's suspension (it
    is no longer the one checked, so nothing else would), so their next loss, once they are the
    contact again, is told."""
    told = len(_told(inbox, "primary contact was suspended"))
    helpdesk = Operator("hd")
    admin.suspend(_dee(admin, org), ORG.id, org["sue"], "on leave")
    admin.change_primary_contact(helpdesk, ORG.id, org["dee"], "Sue is on leave")
    assert NoticeLog(root.engine()).claim(f"primary-contact-lost:{ORG.id}:{org['sue']}")
    NoticeLog(root.engine()).release(f"primary-contact-lost:{ORG.id}:{org['sue']}")
    admin.reinstate(_dee(admin, org), ORG.id, org["sue"], "back")
    admin.change_primary_contact(helpdesk, ORG.id, org["sue"], "Sue is back")
    admin.suspend(_dee(admin, org), ORG.id, org["sue"], "on leave again")
    assert len(_told(inbox, "primary contact was suspended")) == told + 2
    admin.reinstate(_dee(admin, org), ORG.id, org["sue"], "back again")


def test_the_help_desk_records_a_new_primary_contact_from_the_cli(
    realm_name: str, root: Root, org: dict[str, str]
) -> None:
    run = CliRunner().invoke(
        main,
        [
            "organisations", "primary-contact", "--org", ORG.id, org["dee"],
            "--reason", "the college's email of 1 Dec", "--realm", realm_name, "--actor", "hd",
        ],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert f"{org['dee']} is now the primary contact" in run.output
    group = UserDirectory(root.gateway()).find_organisation(ORG.id)
    assert group is not None
    assert OrganisationContacts(root.gateway()).primary_contact(group.group_id) == org["dee"]
    refused = CliRunner().invoke(
        main,
        [
            "organisations", "primary-contact", "--org", ORG.id, "nobody.here",
            "--reason", "x", "--realm", realm_name,
        ],
    )  # fmt: skip
    assert refused.exit_code == 3 and "is not an account of" in refused.stderr
