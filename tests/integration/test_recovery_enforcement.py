"""Issue 5 meets the help desk (guide §10.2), against the real Keycloak and a real SMTP server.

The last active super user of an organisation suspended or demoted straight through the admin
REST API (as the console does) → the enforcer alerts the help desk *and* opens a recovery case
awaiting the New Super User Form; an agent records the form and the recovery goes on as usual;
a super user back before any form came withdraws the waiting case. The enforcer reads Keycloak's
stored admin events (the poller); the help desk works through the service, its JSON API (real
access tokens) and the CLI, all on the enforcer's database.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import SUPER_USER, Actor
from lrs_keycloak.domain.recovery import NewSuperUserForm
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.contacts import OrganisationContacts
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.enforcement import ENFORCER, Enforcer
from lrs_keycloak.services.recovery import (
    ApprovalLinks,
    RecoveryService,
    SmtpMailer,
    SmtpSettings,
    helpdesk_agent,
)
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.store.signatories import SignatoryStore
from lrs_keycloak.web import context, create_app
from tests.support.helpdesk import PASSWORD, make_agent
from tests.support.oidc import LogonRefused, log_on, tokens
from tests.support.openapi import CheckedClient
from tests.support.smtp import Inbox, realm_mail

API = "/api/v1/recovery-cases"
_numbers = itertools.count(1)
_names = itertools.cycle(
    ["Ashley", "Brookfield", "Colebrook", "Dunmore", "Elmwood", "Fairford", "Goldsmith"]
)


@dataclass
class Desk:
    gw: KeycloakGateway
    admin: UserAdmin
    enforcer: Enforcer
    service: RecoveryService
    inbox: Inbox
    app: Flask
    database_url: str
    hal: Actor  # records forms
    ida: Actor  # a second agent, who approves


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def desk(
    synced_gateway: KeycloakGateway,
    policy: RealmPolicy,
    realm_name: str,
    inbox: Inbox,
    tmp_path_factory: Any,
) -> Desk:
    """The enforcer and the help desk on one database, as in the companion app."""
    url = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.sqlite'}"
    engine = make_engine(url)
    audit, cases = AuditLog(engine), RecoveryStore(engine)
    admin = UserAdmin(UserDirectory(synced_gateway), audit, policy)
    enforcer = Enforcer(
        UserDirectory(synced_gateway), policy, audit, EnforcementStore(engine), recovery=cases
    )
    service = RecoveryService(
        admin,
        cases,
        OrganisationContacts(synced_gateway),
        SmtpMailer(SmtpSettings(host="127.0.0.1", port=inbox.port)),
        ApprovalLinks("integration-test-secret"),
        "http://lrs.example.test",
        signatories=SignatoryBook(SignatoryStore(engine), admin.directory),
    )
    app = create_app({"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": "sqlite://"})
    context.provide(app, recovery=service)
    app.test_client_class = CheckedClient  # every help desk answer is checked against OpenAPI
    # The agents exist before the enforcer's cursor is set: they are not what it judges here.
    hal = helpdesk_agent(admin, make_agent(synced_gateway, "Hal", "Desk"))
    ida = helpdesk_agent(admin, make_agent(synced_gateway, "Ida", "Second"))
    enforcer.poll()
    time.sleep(0.05)
    return Desk(synced_gateway, admin, enforcer, service, inbox, app, url, hal, ida)


def organisation(desk: Desk) -> tuple[Organisation, str, str]:
    """A newly registered organisation whose one super user (id, username) is active, seen by
    the enforcer."""
    n = next(_numbers)
    org = Organisation(f"lost-college-{n}", f"Lost College {n}", "college", frozenset())
    details = UserDetails(
        "Ms", "Sue", next(_names), "MIAP sign-up form", email=f"sue{n}@lost{n}.example.org"
    )
    result = desk.admin.register_organisation(Operator("recovery-tests"), org, details)
    assert result.user is not None
    user = desk.admin.directory.find_user(result.user["username"])
    assert user is not None
    desk.admin.directory.add_roles(user.id, ["LRBOnlineUser"])  # demoted, she keeps a role
    desk.enforcer.poll()
    return org, user.id, user.username


def form(org: Organisation, **changes: Any) -> NewSuperUserForm:
    n = org.id.rsplit("-", 1)[-1]
    values: dict[str, Any] = {
        "organisation_id": org.id,
        "nominee_title": "Mr",
        "nominee_given_name": "Neil",
        "nominee_family_name": f"Newcomer{'abcdefghij'[int(n) % 10]}",
        "nominee_email": f"neil@lost{n}.example.org",
        "nominee_telephone": "01632 960 123",
        "manager_name": "Priya Principal",
        "manager_job_title": "Principal",
        "manager_email": f"principal@lost{n}.example.org",
        "manager_signed_agreement": True,
        "form_reference": f"NSU-L{n}",
        "received_on": date.today(),
    }
    values.update(changes)
    return NewSuperUserForm(**values)


def suspend(desk: Desk, user_id: str, enabled: bool = False) -> None:
    desk.gw.call("PUT", f"/users/{user_id}", {"enabled": enabled})
    desk.enforcer.poll()


def cases_of(desk: Desk, org: Organisation) -> list[dict[str, Any]]:
    return desk.service.list_cases(desk.hal, organisation_id=org.id)


def events(desk: Desk, org: Organisation) -> list[Any]:
    """The organisation's audit events, oldest first."""
    return desk.admin.audit.events(org.id)[::-1]


def api(desk: Desk, agent: Actor) -> tuple[FlaskClient, dict[str, str]]:
    token = tokens(desk.gw.realm, agent.username, PASSWORD)["access_token"]
    return desk.app.test_client(), {"Authorization": f"Bearer {token}"}


def test_last_super_user_demoted_opens_a_case_awaiting_the_form_then_recovered(
    desk: Desk,
) -> None:
    org, sue_id, _ = organisation(desk)
    assert cases_of(desk, org) == []
    UserDirectory(desk.gw).remove_roles(sue_id, [SUPER_USER])  # demoted in the console
    desk.enforcer.poll()

    (case,) = cases_of(desk, org)
    assert (case["state"], case["form"], case["raised_by"]) == ("awaiting_form", None, ENFORCER)
    opened = next(e for e in events(desk, org) if e.action == "enforcer_recovery_opened")
    alert = next(e for e in events(desk, org) if e.action == "enforcer_helpdesk_alerted")
    assert opened.actor == alert.actor == ENFORCER
    assert opened.details["case_id"] == alert.details["case_id"] == case["id"]
    assert alert.details["case_opened"] is True and f"case {case['id']}" in (alert.reason or "")
    view = desk.service.organisation_view(desk.hal, org.id)
    assert [(c["id"], c["form"]) for c in view["open_cases"]] == [(case["id"], None)]
    assert view["recovery_allowed"] is True

    # Through the help desk's API: listed with no form; nothing goes on before the form.
    client, hal = api(desk, desk.hal)
    listed = client.get(f"{API}?state=awaiting_form", headers=hal).get_json()["cases"]
    assert {"id": case["id"], "form": None}.items() <= next(
        c for c in listed if c["id"] == case["id"]
    ).items()
    early = client.post(f"{API}/{case['id']}/complete", headers=hal)
    assert early.status_code == 409
    assert [(e["field"], e["code"]) for e in early.get_json()["errors"]] == [
        ("form", "form-missing")
    ]
    assert "§10.2" in early.get_json()["errors"][0]["rule"]
    link = client.post(f"{API}/{case['id']}/approval-link", headers=hal)
    assert link.status_code == 409 and link.get_json()["errors"][0]["code"] == "form-missing"
    with pytest.raises(RuleViolation) as refused:
        desk.service.record_paper_approval(desk.ida, case["id"], "SCAN-EARLY")
    assert [v.code for v in refused.value.violations] == ["form-missing"]

    nsu = form(org)
    other_org = {**nsu.as_dict(), "organisation_id": "someone-else", "send_link": False}
    wrong = client.post(f"{API}/{case['id']}/form", json=other_org, headers=hal)
    assert wrong.status_code == 422
    assert "form-for-another-organisation" in [e["code"] for e in wrong.get_json()["errors"]]
    recorded = client.post(
        f"{API}/{case['id']}/form", json={**nsu.as_dict(), "send_link": False}, headers=hal
    )
    assert recorded.status_code == 200, recorded.get_json()
    received = recorded.get_json()["case"]
    assert received["state"] == "received" and received["form"] == nsu.as_dict()
    assert (received["raised_by"], received["form_recorded_by"]) == (ENFORCER, desk.hal.username)
    again = client.post(f"{API}/{case['id']}/form", json=nsu.as_dict(), headers=hal)
    assert again.status_code == 409
    assert again.get_json()["errors"][0]["code"] == "form-already-recorded"

    # The agent who entered the form may not approve it; a second agent records the paper.
    with pytest.raises(RuleViolation) as own:
        desk.service.record_paper_approval(desk.hal, case["id"], "SCAN-L1")
    assert [v.code for v in own.value.violations] == ["own-case"]
    desk.service.record_paper_approval(desk.ida, case["id"], "SCAN-L1")
    done = desk.service.complete(desk.ida, case["id"])  # four eyes: not the form's recorder
    assert done.case["state"] == "completed" and done.user is not None
    created = desk.admin.directory.find_user(done.user["username"])
    assert created is not None and created.enabled
    assert SUPER_USER in created.roles and created.organisation_ids == (org.id,)

    desk.enforcer.poll()  # the new super user is active: the flag is put right
    assert [f for f in desk.enforcer.store.open_flags(org.id) if not f.user_id] == []
    assert desk.service.store.get(case["id"]).state == "completed"  # type: ignore[union-attr]
    trail = [e["action"] for e in desk.service.show(desk.ida, case["id"])["audit"]]
    assert trail == [
        "enforcer_recovery_opened",
        "enforcer_helpdesk_alerted",
        "recovery_form_recorded",
        "recovery_approved",
        "recovery_completed",
    ]


def test_last_super_user_removed_opens_a_case_awaiting_the_form(desk: Desk) -> None:
    org, sue_id, _ = organisation(desk)
    desk.gw.call("DELETE", f"/users/{sue_id}")  # removed in the console
    desk.enforcer.poll()
    (case,) = cases_of(desk, org)
    assert (case["state"], case["form"], case["raised_by"]) == ("awaiting_form", None, ENFORCER)
    alert = next(e for e in events(desk, org) if e.action == "enforcer_helpdesk_alerted")
    assert alert.details["case_id"] == case["id"]


def test_reinstating_the_super_user_withdraws_the_case_awaiting_the_form(desk: Desk) -> None:
    org, sue_id, sue = organisation(desk)
    suspend(desk, sue_id)
    (case,) = cases_of(desk, org)
    assert case["state"] == "awaiting_form"

    suspend(desk, sue_id, enabled=True)  # reinstated in the console
    (cancelled,) = cases_of(desk, org)
    assert (cancelled["id"], cancelled["state"]) == (case["id"], "cancelled")
    assert cancelled["closed_by"] == ENFORCER
    assert cancelled["close_reason"] == f"an active super user is back: {sue}"
    withdrawn = next(e for e in events(desk, org) if e.action == "enforcer_recovery_cancelled")
    assert withdrawn.actor == ENFORCER and withdrawn.details["case_id"] == case["id"]
    assert [f for f in desk.enforcer.store.open_flags(org.id) if not f.user_id] == []
    desk.enforcer.poll()
    assert [e.action for e in events(desk, org)].count("enforcer_recovery_cancelled") == 1

    # Lost again later: a new alert, a new case.
    suspend(desk, sue_id)
    states = [(c["id"] == case["id"], c["state"]) for c in cases_of(desk, org)]
    assert states == [(False, "awaiting_form"), (True, "cancelled")]


def test_a_form_opened_for_the_organisation_goes_onto_its_waiting_case_and_no_second_case(
    desk: Desk,
) -> None:
    org, sue_id, _ = organisation(desk)
    suspend(desk, sue_id)
    (case,) = cases_of(desk, org)

    client, hal = api(desk, desk.hal)
    answer = client.post(API, json={**form(org).as_dict(), "send_link": False}, headers=hal)
    assert answer.status_code == 200, answer.get_json()  # no new case: the waiting one
    assert answer.headers["Location"].endswith(f"{API}/{case['id']}")
    body = answer.get_json()
    assert (body["case"]["id"], body["case"]["state"]) == (case["id"], "received")
    note = body["warnings"][0]
    assert note["code"] == "recorded-on-waiting-case" and f"Case {case['id']}" in note["message"]

    # A case holding a form is the organisation's request: a super user back does not withdraw
    # it (completion is refused meanwhile), and a new alert points at it instead of a new case.
    suspend(desk, sue_id, enabled=True)
    assert [c["state"] for c in cases_of(desk, org)] == ["received"]
    suspend(desk, sue_id)
    assert [c["id"] for c in cases_of(desk, org)] == [case["id"]]
    alerts = [e for e in events(desk, org) if e.action == "enforcer_helpdesk_alerted"]
    assert [a.details["case_opened"] for a in alerts] == [True, False]
    assert {a.details["case_id"] for a in alerts} == {case["id"]}


def test_cli_lists_shows_and_records_the_form_on_a_waiting_case(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lrs_keycloak.cli import main

    monkeypatch.setenv("LRS_DATABASE_URL", desk.database_url)  # the enforcer's database
    monkeypatch.setenv("LRS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LRS_SMTP_PORT", str(desk.inbox.port))
    monkeypatch.setenv("LRS_SECRET_KEY", "cli-test-secret")
    org, sue_id, _ = organisation(desk)
    suspend(desk, sue_id)
    (case,) = cases_of(desk, org)
    nsu = form(org)
    signed = Signatory(nsu.manager_name, nsu.manager_email)  # held by MIAP: the link may go
    desk.service.signatories.record("operator:recovery-tests", org.id, signed)
    form_file = tmp_path / "form.yaml"
    form_file.write_text(json.dumps(nsu.as_dict()))

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["recovery", *args, "--realm", desk.gw.realm])

    listed = run("list", "--state", "awaiting_form", "--org", org.id, "--agent", "hal.desk")
    assert listed.exit_code == 0, listed.output
    assert "(no form yet)" in listed.output and str(case["id"]) in listed.output
    shown = run("show", str(case["id"]), "--agent", "hal.desk")
    assert shown.exit_code == 0, shown.output
    assert "no form yet" in shown.output and f"record-form {case['id']}" in shown.output
    assert "enforcer_recovery_opened" in shown.output

    early = run("complete", str(case["id"]), "--agent", "hal.desk")
    assert early.exit_code == 3 and "no New Super User Form yet" in early.output
    recorded = run("record-form", str(case["id"]), "--form", str(form_file), "--agent", "hal.desk")
    assert recorded.exit_code == 0, recorded.output
    # By default the senior manager named on the form is emailed the approval link at once.
    assert "awaiting_approval" in recorded.output and "form NSU-L" in recorded.output
    assert "form recorded by hal.desk" in recorded.output
    assert desk.inbox.wait_for(nsu.manager_email) is not None
    actions = [e.action for e in events(desk, org)]
    assert actions[-2:] == ["recovery_form_recorded", "recovery_link_sent"]


def test_the_apps_enforcer_and_help_desk_api_share_the_recovery_cases(
    synced_gateway: KeycloakGateway, tmp_path: Path
) -> None:
    from lrs_keycloak.web import recovery

    app = create_app(
        {
            "TESTING": True,
            "LRS_ENFORCE": True,
            "LRS_REALM": synced_gateway.realm,
            "LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        }
    )
    runner = app.extensions["lrs_enforcer"]
    try:
        with app.app_context():
            assert runner.enforcer().recovery is recovery.service().store
    finally:
        runner.stop()


def test_super_users_locked_out_by_wrong_passwords_open_a_case_as_a_suspension_would(
    desk: Desk,
) -> None:
    # Issue 9 §5: an outsider who knows the username pattern locks out the organisation's
    # only super user. Keycloak disables the account with no admin event; the enforcer sees
    # the lockout's login event and treats it as a change to the organisation.
    org, sue_id, sue = organisation(desk)
    desk.gw.call(
        "PUT",
        f"/users/{sue_id}/reset-password",
        {"type": "password", "value": PASSWORD, "temporary": False},
    )
    for _ in range(40):
        if desk.gw.call("GET", f"/users/{sue_id}")["enabled"] is False:
            break
        with contextlib.suppress(LogonRefused):
            log_on(desk.gw.realm, sue, "not the password")
        time.sleep(0.2)
    assert desk.gw.call("GET", f"/users/{sue_id}")["enabled"] is False

    desk.enforcer.poll()
    (case,) = cases_of(desk, org)
    assert (case["state"], case["raised_by"]) == ("awaiting_form", ENFORCER)
    alert = next(e for e in events(desk, org) if e.action == "enforcer_helpdesk_alerted")
    assert sue in alert.reason and "locked out" in alert.reason
    assert alert.details["case_id"] == case["id"]

    # A super user reinstating her (clear the lock, enable) withdraws the waiting case.
    desk.admin.directory.clear_lock(sue_id)
    desk.admin.directory.set_enabled(sue_id, True)
    desk.enforcer.poll()
    assert [c["state"] for c in cases_of(desk, org)] == ["cancelled"]
