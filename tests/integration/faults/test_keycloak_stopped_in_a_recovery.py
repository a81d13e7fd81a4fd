"""Keycloak stopped in the middle of a recovery's completion (guide §10.2): the case is left
approved, and completing it again makes exactly one new super user (docs/adr/0023)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.keycloak.contacts import OrganisationContacts
from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.recovery import (
    ApprovalLinks,
    RecoveryService,
    SmtpMailer,
    SmtpSettings,
    helpdesk_agent,
)
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.settings_keycloak import LOCAL_KEYCLOAK_URL
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.store.signatories import SignatoryStore
from lrs_keycloak.web import create_app
from tests.integration.test_recovery import (
    PUBLIC_URL,
    Clock,
    World,
    events,
    form,
    inbox,  # noqa: F401 (the module's SMTP server, a fixture)
    organisation,
    super_users_named,
)
from tests.support.faultproxy import FaultProxy, proxy_to
from tests.support.helpdesk import make_agent
from tests.support.smtp import Inbox

#: The completion's writes to Keycloak, in order.
STEPS = {
    "account": b"POST /admin/realms/{realm}/users HTTP",
    "role": b"/role-mappings/clients/",
    "enabling": b"PUT /admin/realms/{realm}/users/",
}


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    with proxy_to(LOCAL_KEYCLOAK_URL) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def world(
    synced_gateway: KeycloakGateway,
    policy: RealmPolicy,
    realm_name: str,
    inbox: Inbox,  # noqa: F811
    proxy: FaultProxy,
    tmp_path_factory: Any,
) -> World:
    """The help desk's recovery, talking to Keycloak through the proxy."""
    direct = keycloak_settings(realm_name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LRS_KEYCLOAK_URL", proxy.url)
        patch.setenv("LRS_ENV", "development")
        patch.setenv("LRS_ADMIN_USERNAME", direct.username or "")
        patch.setenv("LRS_ADMIN_PASSWORD", direct.password or "")
        gw = KeycloakGateway(keycloak_settings(realm_name))
    db: Path = tmp_path_factory.mktemp("recovery-faults") / "recovery.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    admin = UserAdmin(UserDirectory(gw), AuditLog(engine), policy)
    clock = Clock()
    signatories = SignatoryBook(SignatoryStore(engine), admin.directory)
    service = RecoveryService(
        admin,
        RecoveryStore(engine),
        OrganisationContacts(gw),
        SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port)),
        ApprovalLinks("integration-test-secret"),
        PUBLIC_URL,
        signatories=signatories,
        clock=clock,
    )
    app = create_app({"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": "sqlite://"})
    hal = helpdesk_agent(admin, make_agent(synced_gateway, "Hal", "Desk"))
    ida = helpdesk_agent(admin, make_agent(synced_gateway, "Ida", "Second"))
    jo = helpdesk_agent(admin, make_agent(synced_gateway, "Jo", "Third"))
    return World(gw, admin, service, clock, inbox, app, hal, ida, jo, signatories)


CASES = [("account", False), ("account", True), ("role", True), ("enabling", True)]


@pytest.mark.parametrize(("step", "after"), CASES)
def test_a_completion_cut_off_by_a_stopped_keycloak_makes_one_super_user_when_run_again(
    world: World, proxy: FaultProxy, realm_name: str, step: str, after: bool
) -> None:
    org, _ = organisation(world)
    nsu = form(org, make_primary_contact=False)
    case = world.service.open(world.hal, nsu, send_link=False).case
    world.service.record_paper_approval(world.ida, case["id"], "SCAN-F")

    fired = proxy.fail_at(STEPS[step].replace(b"{realm}", realm_name.encode()), after)
    with pytest.raises(KeycloakUnavailable):
        world.service.complete(world.jo, case["id"])
    assert fired.is_set()
    proxy.up()
    row = world.service.store.get(case["id"])
    assert row is not None and row.state == "approved"  # not completed, not stuck

    done = world.service.complete(world.jo, case["id"])
    assert done.user is not None
    assert super_users_named(world, org, nsu.nominee_family_name) == [done.user["username"]]
    actions = [a for a, _ in events(world, org)]
    assert actions.count("recovery_completed") == 1
    assert actions.count("user_created") == 1
