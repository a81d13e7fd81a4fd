"""Recovering a lost Super User (guide §10.2) against the real Keycloak and a real SMTP server.

The senior manager's approval link is taken from the email the SMTP server captured and opened
with Flask's test client; the help desk's API is called with real access tokens of agents who
hold the realm role ``lrs-helpdesk``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER, Actor
from lrs_keycloak.domain.recovery import CaseState, NewSuperUserForm, nominee_details
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.contacts import PRIMARY_CONTACT, OrganisationContacts
from lrs_keycloak.keycloak.fields import representation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory, organisation_path
from lrs_keycloak.services.recovery import (
    ApprovalLinks,
    RecoveryService,
    SmtpMailer,
    SmtpSettings,
    helpdesk_agent,
)
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import NotPermitted, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.store.signatories import SignatoryStore
from lrs_keycloak.web import context, create_app
from tests.support.helpdesk import PASSWORD, make_agent
from tests.support.oidc import tokens
from tests.support.openapi import CheckedClient
from tests.support.smtp import Inbox, body, realm_mail

PUBLIC_URL = "http://lrs.example.test"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/recovery/approve/[A-Za-z0-9_.\-]+)")
MANAGER_IP = "203.0.113.7"
_numbers = itertools.count(1)
_names = (
    f"{first}{last}"
    for last in ("ley", "wood", "field", "ford", "more", "ton", "bury", "well", "dale", "hurst")
    for first in ("Ash", "Brook", "Cole", "Dun", "Elm", "Fair", "Gold", "Hart", "Kings", "Lang")
)


class Clock:
    """The service's clock, moved forward by tests that need a link to expire."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class World:
    gw: KeycloakGateway
    admin: UserAdmin
    service: RecoveryService
    clock: Clock
    inbox: Inbox
    app: Flask
    hal: Actor  # the agent who raises cases
    ida: Actor  # a second agent
    jo: Actor  # a third agent
    signatories: SignatoryBook


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def world(
    synced_gateway: KeycloakGateway,
    policy: RealmPolicy,
    realm_name: str,
    inbox: Inbox,
    tmp_path_factory: Any,
) -> World:
    db: Path = tmp_path_factory.mktemp("recovery") / "recovery.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    admin = UserAdmin(UserDirectory(synced_gateway), AuditLog(engine), policy)
    clock = Clock()
    signatories = SignatoryBook(SignatoryStore(engine), admin.directory)
    service = RecoveryService(
        admin,
        RecoveryStore(engine),
        OrganisationContacts(synced_gateway),
        SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port)),
        ApprovalLinks("integration-test-secret"),
        PUBLIC_URL,
        signatories=signatories,
        clock=clock,
    )
    app = create_app({"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": "sqlite://"})
    context.provide(app, recovery=service)
    app.test_client_class = CheckedClient  # every help desk answer is checked against OpenAPI
    hal = helpdesk_agent(admin, make_agent(synced_gateway, "Hal", "Desk"))
    ida = helpdesk_agent(admin, make_agent(synced_gateway, "Ida", "Second"))
    jo = helpdesk_agent(admin, make_agent(synced_gateway, "Jo", "Third"))
    return World(synced_gateway, admin, service, clock, inbox, app, hal, ida, jo, signatories)


@pytest.fixture(autouse=True)
def _clock_back(world: World) -> Iterator[None]:
    yield
    world.clock.offset = timedelta()


def signatory(org: Organisation) -> Signatory:
    """The Organisation Agreement's signatory: the senior manager ``form`` names by default."""
    n = org.id.split("-")[-1]
    return Signatory("Priya Principal", f"principal@c{n}.example.org", "Principal")


def organisation(
    world: World, lost: bool = True, signed_by: Signatory | bool | None = True
) -> tuple[Organisation, str]:
    """A newly registered organisation and its super user (suspended when ``lost``), with its
    signatory recorded by the operator who registered it (none when ``signed_by`` is None)."""
    n = next(_numbers)
    org = Organisation(f"college-{n}", f"College Number {n}", "college", frozenset())
    family = next(_names)
    details = UserDetails(
        "Ms", "Sue", family, "MIAP sign-up form", email=f"sue{n}@c{n}.example.org"
    )
    result = world.admin.register_organisation(Operator("recovery-tests"), org, details)
    assert result.user is not None
    username = result.user["username"]
    if signed_by is not None:
        chosen = signatory(org) if signed_by is True else signed_by
        assert isinstance(chosen, Signatory)
        world.signatories.record("operator:recovery-tests", org.id, chosen, registering=True)
    if lost:
        user = world.admin.directory.find_user(username)
        assert user is not None
        world.admin.directory.set_enabled(user.id, False)  # the holder left
    return org, username


def form(org: Organisation, **changes: Any) -> NewSuperUserForm:
    n = org.id.split("-")[-1]
    values: dict[str, Any] = {
        "organisation_id": org.id,
        "nominee_title": "Mr",
        "nominee_given_name": "Neil",
        "nominee_family_name": next(_names),
        "nominee_email": f"neil@c{n}.example.org",
        "nominee_telephone": "01632 960 123",
        "nominee_staff_id": f"E{n}",
        "manager_name": "Priya Principal",
        "manager_job_title": "Principal",
        "manager_email": f"principal@c{n}.example.org",
        "manager_signed_agreement": True,
        "form_reference": f"NSU-{n}",
        "received_on": date.today(),
        "make_primary_contact": True,
    }
    values.update(changes)
    return NewSuperUserForm(**values)


def link_from_email(world: World, manager_email: str, count: int = 1) -> str:
    message = world.inbox.wait_for(manager_email, count=count)
    found = LINK.search(body(message))
    assert found, body(message)
    return found.group(1)


def decide(client: Any, path: str, decision: str, **kwargs: Any) -> Any:
    """The senior manager's answer through the page: open it, then the confirmed choice with
    the page's CSRF token (the choice alone only shows the confirmation step)."""
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"decision": decision, "confirm": "yes", "csrf_token": token.group(1) if token else ""}
    return client.post(path, data=data, **kwargs)


def super_users_named(world: World, org: Organisation, family: str) -> list[str]:
    group = world.admin.directory.find_organisation(org.id)
    assert group is not None
    return [
        u.username
        for u in world.admin.directory.members(group, [SUPER_USER])
        if SUPER_USER in u.roles and u.last_name == family
    ]


def events(world: World, org: Organisation) -> list[tuple[str, str]]:
    """(action, actor), oldest first; each event has its time."""
    found = world.admin.audit.events(org.id)[::-1]
    assert all(e.at is not None for e in found)
    return [(e.action, e.actor) for e in found]


# --- the happy path, end to end through the API, the email and the approval page -------------


def api(world: World, username: str) -> tuple[FlaskClient, dict[str, str]]:
    token = tokens(world.gw.realm, username, PASSWORD)["access_token"]
    return world.app.test_client(), {"Authorization": f"Bearer {token}"}


def test_happy_path_approval_link_from_email_then_completion_creates_super_user(
    world: World,
) -> None:
    org, lost = organisation(world)
    client, hal = api(world, world.hal.username)
    nsu = form(org)

    opened = client.post("/api/v1/recovery-cases", json=nsu.as_dict(), headers=hal)
    assert opened.status_code == 201, opened.get_json()
    case = opened.get_json()["case"]
    assert case["state"] == "awaiting_approval"
    assert case["approval_link"]["sent_to"] == nsu.manager_email
    assert "token" not in str(case).lower() or "token_hash" not in case

    path = link_from_email(world, nsu.manager_email)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert nsu.nominee_family_name in text and org.name in text and "Approve" in text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    shown = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=hal).get_json()["case"]
    assert shown["state"] == "awaiting_approval"  # looking at the page changes nothing

    answer = decide(client, path, "approve", environ_base={"REMOTE_ADDR": MANAGER_IP})
    assert answer.status_code == 200 and "approved" in answer.get_data(as_text=True)
    shown = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=hal).get_json()["case"]
    assert shown["state"] == "approved"
    assert shown["decision"]["method"] == "link"
    assert shown["decision"]["ip"] == MANAGER_IP
    assert shown["decision"]["by"] == nsu.manager_email
    assert shown["decision"]["at"]

    _, ida = api(world, world.ida.username)  # four eyes: a second agent completes
    done = client.post(f"/api/v1/recovery-cases/{case['id']}/complete", headers=ida)
    assert done.status_code == 200, done.get_json()
    result = done.get_json()
    assert result["relied_on"]["approval"]["method"] == "link"
    assert result["relied_on"]["approval"]["ip"] == MANAGER_IP
    assert result["relied_on"]["manager"]["email"] == nsu.manager_email
    assert result["relied_on"]["nominee"]["email"] == nsu.nominee_email
    username = result["user"]["username"]
    assert result["case"]["state"] == "completed"
    assert result["case"]["super_user"] == username
    assert result["case"]["primary_contact_updated"] is True
    assert username.startswith("neil.")  # generated from the names, never chosen by the agent
    assert "password" not in str(result).lower()

    created = world.admin.directory.find_user(username)
    assert created is not None and created.enabled
    assert SUPER_USER in created.roles and created.organisation_ids == (org.id,)
    assert nsu.form_reference in created.attributes["verificationProvided"]
    set_password = world.inbox.wait_for(nsu.nominee_email)  # Keycloak's own email
    assert set_password is not None
    group = world.admin.directory.find_organisation(org.id)
    assert group is not None
    assert OrganisationContacts(world.gw).primary_contact(group.group_id) == username
    raw = world.gw.call("GET", f"/groups/{group.group_id}")
    assert raw["attributes"][PRIMARY_CONTACT] == [username]
    assert raw["attributes"]["lrsOrgName"] == [org.name]  # the other attributes are kept

    hal_name, ida_name = world.hal.username, world.ida.username
    assert events(world, org)[2:] == [  # [0:2]: the registration and its signatory
        ("recovery_opened", hal_name),
        ("recovery_link_sent", hal_name),
        ("recovery_approved", nsu.manager_email),
        ("user_created", ida_name),
        ("recovery_completed", ida_name),
        ("primary_contact_changed", ida_name),
    ]
    trail = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=hal).get_json()["case"]
    assert [e["action"] for e in trail["audit"]] == [
        "recovery_opened",
        "recovery_link_sent",
        "recovery_approved",
        "recovery_completed",
        "primary_contact_changed",
    ]
    assert all(e["at"] and e["actor"] and e["details"]["case_id"] == case["id"]
               for e in trail["audit"])  # fmt: skip
    approved = next(e for e in trail["audit"] if e["action"] == "recovery_approved")
    assert approved["details"]["ip"] == MANAGER_IP

    view = client.get(f"/api/v1/helpdesk/organisations/{org.id}", headers=hal).get_json()
    assert view["primary_contact"] == username
    assert {(s["username"], s["status"]) for s in view["super_users"]} == {
        (lost, "suspended"),
        (username, "active"),
    }
    assert view["counts"]["active_super_users"] == 1
    assert view["counts"]["suspended_super_users"] == 1
    assert view["recovery_allowed"] is False and view["contact_instead"] == [username]


# --- the rules -----------------------------------------------------------------------------


def test_open_refused_while_a_super_user_can_act_names_whom_to_contact(world: World) -> None:
    org, sue = organisation(world, lost=False)
    with pytest.raises(RuleViolation) as refused:
        world.service.open(world.hal, form(org))
    assert [v.code for v in refused.value.violations] == ["super-user-can-act"]
    assert sue in refused.value.violations[0].message
    assert world.service.store.cases(organisation_id=org.id) == []
    assert world.inbox.to(form(org).manager_email) == []


def test_open_allowed_when_the_only_super_user_is_locked(world: World) -> None:
    org, sue = organisation(world, lost=False)
    user = world.admin.directory.find_user(sue)
    assert user is not None
    world.gw.update_realm({"bruteForceProtected": True, "permanentLockout": True})
    try:
        for _ in range(40):  # fail logons until Keycloak locks the account
            if world.admin.directory.is_locked(user.id):
                break
            with contextlib.suppress(AssertionError):
                tokens(world.gw.realm, sue, "wrong password")
        assert world.admin.directory.is_locked(user.id)
        outcome = world.service.open(world.hal, form(org), send_link=False)
        assert outcome.case["state"] == "received"
    finally:
        world.admin.directory.clear_lock(user.id)


def test_completion_refused_when_a_super_user_is_reinstated_before_completion(
    world: World,
) -> None:
    org, lost = organisation(world)
    nsu = form(org)
    case = world.service.open(world.hal, nsu, send_link=False).case
    world.service.record_paper_approval(world.ida, case["id"], "SCAN-0042")
    old = world.admin.directory.find_user(lost)
    assert old is not None
    world.admin.directory.set_enabled(old.id, True)  # the super user is back

    with pytest.raises(RuleViolation) as refused:
        world.service.complete(world.ida, case["id"])
    assert [v.code for v in refused.value.violations] == ["super-user-active-again"]
    assert lost in refused.value.violations[0].message
    assert world.service.store.get(case["id"]).state == "approved"  # type: ignore[union-attr]
    assert super_users_named(world, org, nsu.nominee_family_name) == []
    assert "recovery_completed" not in dict(events(world, org))


def test_expired_link_refused_and_the_case_expires(world: World) -> None:
    org, _ = organisation(world)
    nsu = form(org)
    case = world.service.open(world.hal, nsu).case
    path = link_from_email(world, nsu.manager_email)
    client = world.app.test_client()

    world.clock.offset = timedelta(days=8)
    page = client.get(path)
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    answer = client.post(path, data={"decision": "approve"})
    assert answer.status_code == 410
    row = world.service.store.get(case["id"])
    assert row is not None and row.state == "expired" and row.decided_at is None
    assert ("recovery_expired", "system") in events(world, org)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(world.hal, case["id"])
    assert [v.code for v in refused.value.violations] == ["illegal-transition"]

    # A new link may be sent for an expired case; it works, the old one still does not.
    world.clock.offset = timedelta()
    world.service.send_link(world.hal, case["id"])
    fresh = link_from_email(world, nsu.manager_email, count=2)
    assert fresh != path
    assert client.get(path).status_code == 404
    assert client.get(fresh).status_code == 200


def test_reused_link_refused(world: World) -> None:
    org, _ = organisation(world)
    nsu = form(org)
    world.service.open(world.hal, nsu)
    path = link_from_email(world, nsu.manager_email)
    client = world.app.test_client()
    assert decide(client, path, "approve").status_code == 200

    again = client.post(path, data={"decision": "reject"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    actions = [a for a, _ in events(world, org)]
    assert actions.count("recovery_approved") == 1 and "recovery_rejected" not in actions


def test_rejection_by_link_closes_the_case(world: World) -> None:
    org, _ = organisation(world)
    nsu = form(org)
    case = world.service.open(world.hal, nsu).case
    path = link_from_email(world, nsu.manager_email)
    answer = decide(world.app.test_client(), path, "reject")
    assert answer.status_code == 200
    row = world.service.store.get(case["id"])
    assert row is not None and row.state == "rejected" and row.decision_approved is False
    with pytest.raises(RuleViolation):
        world.service.complete(world.hal, case["id"])
    assert ("recovery_rejected", nsu.manager_email) in events(world, org)


def test_forged_link_refused(world: World) -> None:
    client = world.app.test_client()
    assert client.get("/recovery/approve/not-a-token").status_code == 404
    forged = ApprovalLinks("another-secret").issue(1)
    assert (
        client.post(f"/recovery/approve/{forged}", data={"decision": "approve"}).status_code == 404
    )


def test_same_agent_paper_approval_refused(world: World) -> None:
    org, _ = organisation(world)
    case = world.service.open(world.hal, form(org), send_link=False).case
    with pytest.raises(RuleViolation) as refused:
        world.service.record_paper_approval(world.hal, case["id"], "SCAN-1")
    assert [v.code for v in refused.value.violations] == ["own-case"]
    row = world.service.store.get(case["id"])
    assert row is not None and row.state == "received"

    approved = world.service.record_paper_approval(world.ida, case["id"], "SCAN-1").case
    assert approved["state"] == "approved"
    assert approved["decision"] == {
        "method": "paper",
        "approved": True,
        "by": world.ida.username,
        "at": approved["decision"]["at"],
        "ip": None,
        "reference": "SCAN-1",
    }


def test_double_completion_creates_one_user(world: World) -> None:
    org, _ = organisation(world)
    nsu = form(org, make_primary_contact=False)
    case = world.service.open(world.hal, nsu, send_link=False).case
    world.service.record_paper_approval(world.ida, case["id"], "SCAN-2")

    start = threading.Barrier(2)
    outcomes: list[Any] = []

    def complete(agent: Actor) -> None:
        start.wait()
        try:
            outcomes.append(world.service.complete(agent, case["id"]))
        except RuleViolation as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=complete, args=(a,)) for a in (world.ida, world.jo)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done = [o for o in outcomes if not isinstance(o, RuleViolation)]
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(done) == 1 and len(refused) == 1
    assert refused[0].violations[0].code in ("completion-in-progress", "already-completed")
    assert super_users_named(world, org, nsu.nominee_family_name) == [done[0].user["username"]]
    actions = [a for a, _ in events(world, org)]
    assert actions.count("user_created") == 1 and actions.count("recovery_completed") == 1

    with pytest.raises(RuleViolation) as again:
        world.service.complete(world.hal, case["id"])
    assert [v.code for v in again.value.violations] == ["already-completed"]


def test_cancel_needs_a_reason_and_is_recorded(world: World) -> None:
    org, _ = organisation(world)
    case = world.service.open(world.hal, form(org), send_link=False).case
    with pytest.raises(RuleViolation):
        world.service.cancel(world.ida, case["id"], " ")
    cancelled = world.service.cancel(world.ida, case["id"], "organisation withdrew the form")
    assert cancelled.case["state"] == "cancelled"
    assert cancelled.case["close_reason"] == "organisation withdrew the form"
    assert ("recovery_cancelled", world.ida.username) in events(world, org)
    # Once closed, a new case may be opened for the organisation.
    assert world.service.open(world.hal, form(org), send_link=False).case["state"] == "received"


def test_second_open_case_for_the_organisation_refused(world: World) -> None:
    org, _ = organisation(world)
    world.service.open(world.hal, form(org), send_link=False)
    with pytest.raises(RuleViolation) as refused:
        world.service.open(world.ida, form(org), send_link=False)
    assert [v.code for v in refused.value.violations] == ["case-already-open"]


def test_generic_nominee_name_refused(world: World) -> None:
    org, _ = organisation(world)
    with pytest.raises(RuleViolation) as refused:
        world.service.open(
            world.hal, form(org, nominee_given_name="Help", nominee_family_name="Desk")
        )
    assert refused.value.violations[0].field.startswith("nominee_")


# --- the API's door ---------------------------------------------------------------------------


def test_api_refuses_a_non_helpdesk_user_and_no_token(world: World) -> None:
    _, sue = organisation(world, lost=False)
    user = world.admin.directory.find_user(sue)
    assert user is not None
    world.gw.call(
        "PUT",
        f"/users/{user.id}/reset-password",
        {"type": "password", "value": PASSWORD, "temporary": False},
    )
    client, headers = api(world, sue)
    assert client.get("/api/v1/recovery-cases", headers=headers).status_code == 403
    assert client.get("/api/v1/recovery-cases").status_code == 401
    with pytest.raises(NotPermitted):
        helpdesk_agent(world.admin, sue)


def test_api_paper_approval_by_raiser_is_422_and_state_conflicts_are_409(world: World) -> None:
    org, _ = organisation(world)
    client, hal = api(world, world.hal.username)
    nsu = form(org)
    body_ = {**nsu.as_dict(), "send_link": False}
    case = client.post("/api/v1/recovery-cases", json=body_, headers=hal).get_json()["case"]
    own = client.post(
        f"/api/v1/recovery-cases/{case['id']}/approval",
        json={"scan_reference": "SCAN-9"},
        headers=hal,
    )
    assert own.status_code == 422
    assert own.get_json()["errors"][0]["code"] == "own-case"
    early = client.post(f"/api/v1/recovery-cases/{case['id']}/complete", headers=hal)
    assert early.status_code == 409
    listed = client.get("/api/v1/recovery-cases?state=received", headers=hal).get_json()["cases"]
    assert case["id"] in [c["id"] for c in listed]
    assert client.get("/api/v1/recovery-cases?state=nonsense", headers=hal).status_code == 422
    assert client.get("/api/v1/recovery-cases/999999", headers=hal).status_code == 404
    bad = client.post("/api/v1/recovery-cases", json={"organisation_id": org.id}, headers=hal)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} >= {"manager_email", "received_on"}
    cancelled = client.post(
        f"/api/v1/recovery-cases/{case['id']}/cancel", json={"reason": "duplicate"}, headers=hal
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["case"]["state"] == "cancelled"


def test_api_on_a_case_awaiting_its_form_from_form_to_paper_approval(world: World) -> None:
    # As the enforcer opens it when the organisation loses its last active super user.
    org, _ = organisation(world)
    waiting, _ = world.service.store.create_awaiting_form(org.id, "lrs-enforcer")
    client, hal = api(world, world.hal.username)
    case_url = f"/api/v1/recovery-cases/{waiting.id}"

    shown = client.get(case_url, headers=hal).get_json()["case"]
    assert (shown["state"], shown["form"], shown["audit"]) == ("awaiting_form", None, [])
    listed = client.get(f"/api/v1/recovery-cases?organisation={org.id}", headers=hal)
    assert [c["id"] for c in listed.get_json()["cases"]] == [waiting.id]
    early = client.post(f"{case_url}/approval-link", headers=hal)
    assert early.status_code == 409 and early.get_json()["errors"][0]["code"] == "form-missing"

    nsu = form(org)
    recorded = client.post(f"{case_url}/form", json=nsu.as_dict(), headers=hal)
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["case"]["state"] == "awaiting_approval"
    assert recorded.get_json()["case"]["form"] == nsu.as_dict()
    first = link_from_email(world, nsu.manager_email)
    resent = client.post(f"{case_url}/approval-link", headers=hal)
    assert resent.status_code == 200
    assert link_from_email(world, nsu.manager_email, count=2) != first

    _, ida = api(world, world.ida.username)
    paper = client.post(f"{case_url}/approval", json={"scan_reference": "SCAN-W1"}, headers=ida)
    assert paper.status_code == 200 and paper.get_json()["case"]["state"] == "approved"
    view = client.get(f"/api/v1/helpdesk/organisations/{org.id}", headers=hal).get_json()
    assert [c["id"] for c in view["open_cases"]] == [waiting.id]
    assert view["recovery_allowed"] is True


def test_api_open_on_a_waiting_case_answers_200_with_its_location(world: World) -> None:
    org, _ = organisation(world)
    waiting, _ = world.service.store.create_awaiting_form(org.id, "lrs-enforcer")
    client, hal = api(world, world.hal.username)
    body_ = {**form(org).as_dict(), "send_link": False}
    answer = client.post("/api/v1/recovery-cases", json=body_, headers=hal)
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/recovery-cases/{waiting.id}"
    assert answer.get_json()["case"]["state"] == "received"
    assert answer.get_json()["warnings"][0]["code"] == "recorded-on-waiting-case"
    not_json = client.post(f"/api/v1/recovery-cases/{waiting.id}/cancel", headers=hal)
    assert not_json.status_code == 422
    assert not_json.get_json()["errors"][0]["code"] == "invalid-json"
    cancelled = client.post(
        f"/api/v1/recovery-cases/{waiting.id}/cancel", json={"reason": "duplicate"}, headers=hal
    )
    assert cancelled.status_code == 200
    again = client.post(
        f"/api/v1/recovery-cases/{waiting.id}/cancel", json={"reason": "again"}, headers=hal
    )
    assert again.status_code == 409
    assert again.get_json()["errors"][0]["code"] == "illegal-transition"
    missing = client.get("/api/v1/helpdesk/organisations/no-such-college", headers=hal)
    assert missing.status_code == 404


def test_a_failed_approval_email_keeps_the_opened_case_and_names_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, _ = organisation(world)
    # Nothing listens on port 9 here: the SMTP connection is refused.
    monkeypatch.setattr(
        world.service, "mailer", SmtpMailer(SmtpSettings(host="127.0.0.1", port=9), timeout=5)
    )
    client, hal = api(world, world.hal.username)
    answer = client.post("/api/v1/recovery-cases", json=form(org).as_dict(), headers=hal)
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()["case"]
    assert case["state"] == "received" and case["form"]["organisation_id"] == org.id
    (failed,) = [w for w in answer.get_json()["warnings"] if w["code"] == "email-failed"]
    assert f"Case {case['id']} is kept" in failed["message"]
    assert f"send-link {case['id']}" in failed["message"] and failed["rule"]
    # The link was never sent, so it cannot work; once the mail works, it is sent again.
    assert case["approval_link"] is None
    monkeypatch.undo()
    resent = client.post(f"/api/v1/recovery-cases/{case['id']}/approval-link", headers=hal)
    assert resent.status_code == 200, resent.get_json()
    assert resent.get_json()["case"]["state"] == "awaiting_approval"
    assert link_from_email(world, form(org).manager_email)


# --- the CLI, as named help desk agents ----------------------------------------------------------


def test_cli_open_approve_complete_as_named_agents(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from lrs_keycloak.cli import main

    monkeypatch.setenv("LRS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("LRS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LRS_SMTP_PORT", str(world.inbox.port))
    monkeypatch.setenv("LRS_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("LRS_PUBLIC_URL", PUBLIC_URL)
    org, lost = organisation(world)
    nsu = form(org)
    form_file = tmp_path / "form.yaml"
    form_file.write_text(json.dumps(nsu.as_dict()))

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["recovery", *args, "--realm", world.gw.realm])

    signed = signatory(org)  # this database's own record, by a third agent
    recorded = run(
        "signatory", org.id, "--name", signed.name, "--email", signed.email,
        "--agent", world.jo.username,
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    assert f"Recorded {signed.name} <{signed.email}>" in recorded.output
    opened = run("open", "--form", str(form_file), "--agent", world.hal.username, "--json")
    assert opened.exit_code == 0, opened.output
    case_id = json.loads(opened.output)["case"]["id"]
    assert link_from_email(world, nsu.manager_email)

    own = run("approve", str(case_id), "--scan-reference", "SCAN-7", "--agent", world.hal.username)
    assert own.exit_code == 3
    assert "second help desk agent" in own.output
    second = run(
        "approve", str(case_id), "--scan-reference", "SCAN-7", "--agent", world.ida.username
    )
    assert second.exit_code == 0, second.output
    assert "approved paper by ida.second" in second.output

    own_completion = run("complete", str(case_id), "--agent", world.hal.username, "--yes")
    assert own_completion.exit_code == 3 and "cannot complete it" in own_completion.output
    done = run("complete", str(case_id), "--agent", world.ida.username, "--yes")
    assert done.exit_code == 0, done.output
    assert "Created super user neil." in done.output
    assert "relying on: approved on paper by ida.second" in done.output
    again = run("complete", str(case_id), "--agent", world.jo.username, "--yes")
    assert again.exit_code == 3 and "already completed" in again.output

    listed = run("list", "--state", "completed", "--agent", world.ida.username)
    assert listed.exit_code == 0 and f"{case_id}" in listed.output
    shown = run("show", str(case_id), "--agent", world.ida.username)
    assert shown.exit_code == 0
    for action in ("recovery_opened", "recovery_link_sent", "recovery_approved"):
        assert action in shown.output
    assert "recovery_completed" in shown.output and "primary_contact_changed" in shown.output

    not_agent = run("list", "--agent", lost)
    assert not_agent.exit_code == 1
    assert "not an active MIAP help desk agent" in not_agent.output


def test_the_help_desk_registers_an_organisation_with_its_first_super_user(world: World) -> None:
    client, headers = api(world, world.hal.username)
    body = {
        "id": "fresh-awards",
        "name": "Fresh Awarding Body",
        "kind": "awarding-body",
        "super_user": {
            "title": "Dr",
            "given_name": "Ada",
            "family_name": next(_names),
            "verification_provided": "Organisation Registration Form ORF-77",
            "email": "ada@fresh.example.org",
        },
    }
    answer = client.post("/api/v1/helpdesk/organisations", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    group = world.admin.directory.find_organisation("fresh-awards")
    assert group is not None
    assert "awarding-body" in group.organisation.entitlements  # the kind's own entitlement
    assert ("organisation_registered", "hal.desk") in events(world, group.organisation)
    # Not for anyone else: a super user of another organisation is refused.
    _, username = organisation(world, lost=False)
    other = world.admin.directory.find_user(username)
    assert other is not None
    world.gw.call(
        "PUT", f"/users/{other.id}/reset-password", {"type": "password", "value": PASSWORD}
    )
    client, headers = api(world, username)
    body["id"] = "another-awards"
    refused = client.post("/api/v1/helpdesk/organisations", json=body, headers=headers)
    assert refused.status_code in (401, 403)
    assert world.admin.directory.find_organisation("another-awards") is None


# --- issue 9 §1: dual control -------------------------------------------------------------------


def test_one_agent_cannot_route_the_approval_link_to_an_address_they_typed(world: World) -> None:
    org, _ = organisation(world)
    client, hal = api(world, world.hal.username)
    theirs = form(org, manager_name="Hal Desk", manager_email="hal.desk.private@example.net")
    opened = client.post("/api/v1/recovery-cases", json=theirs.as_dict(), headers=hal)
    assert opened.status_code == 201, opened.get_json()
    case = opened.get_json()["case"]
    assert case["state"] == "received" and case["approval_link"] is None
    (why,) = [w for w in opened.get_json()["warnings"] if w["code"] == "manager-not-signatory"]
    assert "paper approval" in why["message"] and why["rule"]
    assert world.inbox.to(theirs.manager_email) == []

    # Asking again is refused, naming why; only a second agent's paper approval remains.
    again = client.post(f"/api/v1/recovery-cases/{case['id']}/approval-link", headers=hal)
    assert again.status_code == 422
    assert again.get_json()["errors"][0]["code"] == "manager-not-signatory"
    assert world.inbox.to(theirs.manager_email) == []
    assert "recovery_link_sent" not in [a for a, _ in events(world, org)]


def test_without_a_recorded_signatory_only_paper_approval_remains(world: World) -> None:
    org, _ = organisation(world, signed_by=None)
    outcome = world.service.open(world.hal, form(org))
    assert outcome.case["state"] == "received"
    assert "no-signatory-recorded" in [w.code for w in outcome.warnings]
    approved = world.service.record_paper_approval(world.ida, outcome.case["id"], "SCAN-N1")
    assert approved.case["state"] == "approved"


def test_a_signatory_the_agent_recorded_cannot_carry_their_own_link(world: World) -> None:
    org, _ = organisation(world, signed_by=None)
    client, hal = api(world, world.hal.username)
    signed = signatory(org)
    put = client.put(
        f"/api/v1/helpdesk/organisations/{org.id}/signatory",
        json=signed.as_dict(),
        headers=hal,
    )
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["signatory"]["recorded_by"] == world.hal.username
    assert ("organisation_signatory_recorded", world.hal.username) in events(world, org)
    changed = client.put(
        f"/api/v1/helpdesk/organisations/{org.id}/signatory",
        json={**signed.as_dict(), "email": "elsewhere@example.net"},
        headers=hal,
    )
    assert changed.status_code == 422
    assert changed.get_json()["errors"][0]["code"] == "reason-required"

    nsu = form(org)
    outcome = world.service.open(world.hal, nsu)
    assert outcome.case["state"] == "received"
    assert "signatory-recorded-by-agent" in [w.code for w in outcome.warnings]
    assert world.inbox.to(nsu.manager_email) == []
    # Nor may another agent send it while the address is hal's word alone ...
    with pytest.raises(RuleViolation) as refused:
        world.service.send_link(world.ida, outcome.case["id"])
    assert [v.code for v in refused.value.violations] == ["signatory-recorded-by-agent"]
    # ... until a second agent confirms the signatory from the signed agreement.
    world.service.record_signatory(world.jo, org.id, signed, "checked against signed OA")
    sent = world.service.send_link(world.ida, outcome.case["id"])
    assert sent.case["approval_link"]["sent_to"] == signed.email
    assert link_from_email(world, signed.email)


def test_four_eyes_the_agent_who_opened_cannot_complete_even_after_a_link_approval(
    world: World,
) -> None:
    org, _ = organisation(world)
    nsu = form(org)
    case = world.service.open(world.hal, nsu).case
    path = link_from_email(world, nsu.manager_email)
    assert decide(world.app.test_client(), path, "approve").status_code == 200

    client, hal = api(world, world.hal.username)
    own = client.post(f"/api/v1/recovery-cases/{case['id']}/complete", headers=hal)
    assert own.status_code == 422 and own.get_json()["errors"][0]["code"] == "own-case"
    assert super_users_named(world, org, nsu.nominee_family_name) == []
    shown = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=hal).get_json()["case"]
    assert shown["state"] == "approved"
    assert shown["relied_on"]["approval"]["by"] == nsu.manager_email
    assert shown["signatory"]["email"] == nsu.manager_email

    done = world.service.complete(world.ida, case["id"])
    assert done.user is not None and done.relied_on is not None
    assert done.relied_on["manager"]["name"] == nsu.manager_name


def test_repeated_rejected_requests_are_in_the_history_and_flagged_from_the_third(
    world: World,
) -> None:
    org, _ = organisation(world)
    for attempt in range(3):
        nsu = form(org, form_reference=f"NSU-R{attempt}")
        world.service.open(world.hal, nsu)
        path = link_from_email(world, nsu.manager_email, count=attempt + 1)
        assert decide(world.app.test_client(), path, "reject").status_code == 200
    client, hal = api(world, world.hal.username)
    view = client.get(f"/api/v1/helpdesk/organisations/{org.id}", headers=hal).get_json()
    assert view["failed_requests"] == 3
    assert [c["state"] for c in view["case_history"]] == ["rejected"] * 3
    assert [w["code"] for w in view["warnings"]] == ["repeated-failed-requests"]
    fourth = world.service.open(world.hal, form(org, form_reference="NSU-R3"), send_link=False)
    assert "repeated-failed-requests" in [w.code for w in fourth.warnings]


def test_help_desk_registration_records_the_signatory(world: World) -> None:
    client, headers = api(world, world.hal.username)
    body = {
        "id": "signed-college",
        "name": "Signed College",
        "kind": "college",
        "super_user": {
            "title": "Dr",
            "given_name": "Ada",
            "family_name": next(_names),
            "verification_provided": "Organisation Registration Form ORF-78",
            "email": "ada@signed.example.org",
        },
        "signatory": {"name": "Sam Signer", "email": "sam@signed.example.org", "job_title": None},
    }
    answer = client.post("/api/v1/helpdesk/organisations", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    recorded = world.signatories.get("signed-college")
    assert recorded is not None and recorded.signatory.email == "sam@signed.example.org"
    assert recorded.recorded_by == world.hal.username
    bad = {**body, "id": "badly-signed", "signatory": {"name": "Sam", "email": "nope"}}
    refused = client.post("/api/v1/helpdesk/organisations", json=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "signatory.email"
    assert world.admin.directory.find_organisation("badly-signed") is None


# --- issue 9 §2: a completion that died mid-way is taken over, still one super user ---------


def _claimed_and_abandoned(world: World, minutes_ago: int) -> tuple[Organisation, Any, int]:
    """An approved case whose completion claim (ida's) was left ``minutes_ago``, as when the
    process completing it died."""
    org, _ = organisation(world)
    nsu = form(org, make_primary_contact=False)
    case = world.service.open(world.hal, nsu, send_link=False).case
    world.service.record_paper_approval(world.ida, case["id"], "SCAN-T1")
    back = world.clock() - timedelta(minutes=minutes_ago)
    moved = world.service.store.move(
        case["id"], [CaseState.APPROVED], CaseState.COMPLETING, now=back, claimed_by="ida.second"
    )
    assert moved is not None
    return org, nsu, case["id"]


def test_a_fresh_completion_claim_is_not_taken_over(world: World) -> None:
    _, _, case_id = _claimed_and_abandoned(world, minutes_ago=1)
    with pytest.raises(RuleViolation) as refused:
        world.service.complete(world.jo, case_id)
    assert [v.code for v in refused.value.violations] == ["completion-in-progress"]
    assert "take" in refused.value.violations[0].message


def test_a_stale_claim_that_created_nothing_is_taken_over_and_creates_one_super_user(
    world: World,
) -> None:
    org, nsu, case_id = _claimed_and_abandoned(world, minutes_ago=20)
    with pytest.raises(RuleViolation) as own:  # four eyes hold for the taker too
        world.service.complete(world.hal, case_id)
    assert [v.code for v in own.value.violations] == ["own-case"]
    done = world.service.complete(world.jo, case_id)
    assert done.case["state"] == "completed" and done.case["completed_by"] == world.jo.username
    assert super_users_named(world, org, nsu.nominee_family_name) == [done.user["username"]]
    actions = [a for a, _ in events(world, org)]
    assert actions.count("recovery_completion_taken_over") == 1
    assert actions.count("user_created") == 1 and actions.count("recovery_completed") == 1


def test_a_stale_claim_whose_account_exists_adopts_it_instead_of_making_a_second(
    world: World,
) -> None:
    org, nsu, case_id = _claimed_and_abandoned(world, minutes_ago=20)
    # The dead process had created the account, but not yet given it its role nor enabled it.
    details = nominee_details(nsu)
    username = f"neil.{nsu.nominee_family_name.lower()}"
    world.admin.directory.create_user(
        {
            **representation(details),
            "username": username,
            "enabled": False,
            "groups": [organisation_path(org.id)],
        }
    )
    done = world.service.complete(world.jo, case_id)
    assert done.case["super_user"] == username and done.user is not None
    found = [
        u
        for u in world.admin.directory.members(
            world.admin.directory.find_organisation(org.id),  # type: ignore[arg-type]
            [SUPER_USER],
        )
        if u.last_name == nsu.nominee_family_name
    ]
    assert [(u.username, u.enabled, SUPER_USER in u.roles) for u in found] == [
        (username, True, True)
    ]
    completed = next(
        e for e in world.admin.audit.events(org.id) if e.action == "recovery_completed"
    )
    assert completed.details["adopted_existing_account"] is True
    assert world.inbox.wait_for(nsu.nominee_email)  # the set-password email, sent again


def test_organisation_ids_not_of_the_one_shape_are_refused_naming_the_field(world: World) -> None:
    # Issue 9 §4: these reached the same organisation in Keycloak, so "one open case per
    # organisation" was bypassed.
    org, _ = organisation(world)
    client, hal = api(world, world.hal.username)
    for crafted in (f"x/../{org.id}", f"{org.id}#2", f"{org.id}?x", f" {org.id}"):
        opened = client.post(
            "/api/v1/recovery-cases",
            json={**form(org, organisation_id=crafted).as_dict(), "send_link": False},
            headers=hal,
        )
        assert opened.status_code == 422, crafted
        assert "organisation_id" in {e["field"] for e in opened.get_json()["errors"]}
    assert world.service.store.cases(organisation_id=org.id) == []
    for path in ("x..y", "UPPER"):
        shown = client.get(f"/api/v1/helpdesk/organisations/{path}", headers=hal)
        assert shown.status_code == 422 and shown.get_json()["errors"][0]["field"] == "org_id"
