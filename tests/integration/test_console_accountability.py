"""Console changes in the organisation's audit trail, under who made them (issue 12).

A super user logs on to the admin console (a real console token, browser flow) and changes a
member through the admin REST API as the console does; the enforcer's poller (and the webhook)
hand the admin events to the trail. A realm admin of the LRS realm (a person, not the
companion app) takes the last super user away and has it put back, with an email.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from werkzeug.serving import make_server

from lrs_keycloak.cli import main
from lrs_keycloak.composition import (
    Root,
    build_console_trail,
    build_user_admin,
    upgrade_database,
)
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import Actor as Caller
from lrs_keycloak.keycloak.actors import Actors
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.enforcement import Enforcer
from lrs_keycloak.services.last_super_user import LastSuperUser
from lrs_keycloak.services.recovery.mail import SmtpMailer, SmtpSettings
from lrs_keycloak.services.user_admin.callers import NotVisible
from lrs_keycloak.settings import LOCAL_KEYCLOAK_URL
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.recovery import RecoveryStore
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.people import Person
from tests.support.oidc import console_token, tokens
from tests.support.pages import csrf_token, sign_in
from tests.support.smtp import Inbox, body, realm_mail

PASSWORD = "a long enough passphrase 42"
RESTORED = "enforcer_super_user_restored"
ELM = Organisation("elm-college", "Elm College", "college", frozenset())
OAK = Organisation("oak-awards", "Oak Awards", "awarding-body", frozenset({"awarding-body"}))


@dataclass
class Console:
    realm: str
    token: str

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        answer = requests.request(
            method,
            f"{LOCAL_KEYCLOAK_URL}/admin/realms/{self.realm}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert answer.status_code in (201, 204), answer.text
        return answer


def _person(username: str, org: Organisation | None, email: bool = True) -> dict[str, Any]:
    first, last = username.split(".")
    return {
        "username": username,
        "firstName": first.title(),
        "lastName": last.title(),
        **({"email": f"{username}@example.org"} if email else {}),
        "enabled": True,
        "attributes": {"title": ["Ms"], "verificationProvided": ["integration test"]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        "groups": [f"/{ORGANISATIONS_GROUP}/{org.id}"] if org else [],
    }


@pytest.fixture(scope="module")
def gw(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> KeycloakGateway:
    apply(synced_gateway, plan(synced_gateway, policy, [ELM, OAK]))
    return synced_gateway


@pytest.fixture(scope="module")
def inbox(gw: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(gw) as inbox:
        yield inbox


def _make(gw: KeycloakGateway, username: str, org: Organisation | None, roles: list[str]) -> str:
    user_id = gw.create("/users", _person(username, org))
    UserDirectory(gw).add_roles(user_id, roles)
    return user_id


@pytest.fixture(scope="module")
def people(gw: KeycloakGateway, policy: RealmPolicy) -> dict[str, str]:
    ids = {
        "sue.elm": _make(gw, "sue.elm", ELM, ["LRBSuperUser"]),
        "pat.elm": _make(gw, "pat.elm", ELM, ["LRBOnlineUser"]),
        "sam.oak": _make(gw, "sam.oak", OAK, ["LRBSuperUser"]),
        "ria.realmwide": gw.create("/users", _person("ria.realmwide", None)),
    }
    management = gw.find_client("realm-management")
    assert management is not None
    admin_role = gw.call("GET", f"/clients/{management['id']}/roles/realm-admin")
    gw.call(
        "POST",
        f"/users/{ids['ria.realmwide']}/role-mappings/clients/{management['id']}",
        [admin_role],
    )
    apply(gw, plan(gw, policy, [ELM, OAK]))  # the super users' console permissions
    return ids


@pytest.fixture
def enforcer(gw: KeycloakGateway, policy: RealmPolicy, inbox: Inbox, tmp_path: Path) -> Enforcer:
    engine = make_engine(f"sqlite:///{tmp_path / 'trail.sqlite'}")
    admin = build_user_admin(gw, engine, policy)
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", inbox.port, "lrs@localhost", "LRS", False, False))
    directory = UserDirectory(gw)
    enforcer = Enforcer(
        directory,
        admin.policy,
        admin.audit,
        EnforcementStore(engine),
        RecoveryStore(engine),
        trail=build_console_trail(gw, admin, engine),
        last_super_user=LastSuperUser(directory, admin.audit, Actors(gw), mailer),
    )
    enforcer.poll()  # the cursor at "now"
    time.sleep(0.05)
    return enforcer


@pytest.fixture(scope="module")
def sue(gw: KeycloakGateway, people: dict[str, str]) -> Console:
    return Console(gw.realm, console_token(gw.realm, "sue.elm", PASSWORD))


def _trail(enforcer: Enforcer, org: str) -> list[tuple[str, str, str | None]]:
    """(action, actor, target) of the console changes, oldest first."""
    events = enforcer.audit.events(organisation_id=org)[::-1]
    return [(e.action, e.actor, e.target) for e in events if e.details.get("via")]


def _sue_caller() -> Caller:
    return Caller("sue.elm", ELM.id, frozenset({"LRBSuperUser"}))


def test_each_kind_of_console_change_is_in_the_trail_under_who_made_it(
    gw: KeycloakGateway, sue: Console, enforcer: Enforcer, people: dict[str, str]
) -> None:
    answer = sue.call("POST", "/users", {**_person("nia.elm", ELM), "credentials": []})
    nia = answer.headers["Location"].rsplit("/", 1)[1]
    client = UserDirectory(gw).client_uuid()
    roles = {r["name"]: r for r in gw.list_client_roles(client)}
    mapping = f"/users/{nia}/role-mappings/clients/{client}"
    enforcer.poll()  # a new member is mappable once the enforcer has seen it (ADR 5)
    sue.call("POST", mapping, [roles["LRBBatchUser"]])
    sue.call("PUT", f"/users/{nia}", {"lastName": "Elmwood"})
    sue.call("PUT", f"/users/{nia}", {"enabled": False})
    sue.call("PUT", f"/users/{nia}", {"enabled": True})
    sue.call("DELETE", mapping, [roles["LRBBatchUser"]])
    sue.call("DELETE", f"/users/{nia}")
    enforcer.poll()
    assert _trail(enforcer, ELM.id) == [
        ("user_created", "sue.elm", "nia.elm"),
        ("user_set_password_email_sent", "lrs-enforcer", "nia.elm"),
        ("user_roles_changed", "sue.elm", "nia.elm"),
        ("user_details_updated", "sue.elm", "nia.elm"),
        ("user_suspended", "sue.elm", "nia.elm"),
        ("user_reinstated", "sue.elm", "nia.elm"),
        ("user_roles_changed", "sue.elm", "nia.elm"),
        ("user_removed", "sue.elm", "nia.elm"),
    ]
    created = enforcer.audit.events(organisation_id=ELM.id, action="user_created")[0]
    assert created.details["actor_name"] == "Sue Elm"
    assert created.details["summary"] == "Sue Elm (sue.elm) created nia.elm in the admin console"
    # Handled again (the poller after the webhook, or a restart): nothing is recorded twice.
    before = len(enforcer.audit.events(organisation_id=ELM.id))
    enforcer.store.save_cursor("admin-events", 0, set())
    enforcer.poll()
    assert len(enforcer.audit.events(organisation_id=ELM.id)) == before


def test_the_console_created_user_gets_exactly_one_set_password_email(
    sue: Console, enforcer: Enforcer, inbox: Inbox
) -> None:
    sue.call("POST", "/users", {**_person("ivy.elm", ELM), "credentials": []})
    enforcer.poll()
    enforcer.store.save_cursor("admin-events", 0, set())
    enforcer.poll()  # replayed: no second email
    message = inbox.wait_for("ivy.elm@example.org")
    assert "password" in body(message).lower()
    time.sleep(1)
    assert len(inbox.to("ivy.elm@example.org")) == 1


def test_a_console_created_user_without_email_is_flagged_instead(
    sue: Console, enforcer: Enforcer
) -> None:
    answer = sue.call("POST", "/users", {**_person("ned.elm", ELM, email=False), "credentials": []})
    ned = answer.headers["Location"].rsplit("/", 1)[1]
    enforcer.poll()
    flags = [f.rule for f in enforcer.store.open_flags(ELM.id) if f.user_id == ned]
    assert "no-email-for-set-password" in flags
    sent = enforcer.audit.events(organisation_id=ELM.id, target="ned.elm")
    assert "user_set_password_email_sent" not in [e.action for e in sent]


def test_a_console_suspension_needs_a_reason_and_adding_it_keeps_both_times(
    sue: Console, enforcer: Enforcer, people: dict[str, str]
) -> None:
    trail = enforcer.trail
    assert trail is not None
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": False})
    enforcer.poll()
    (owed,) = [c for c in trail.needing_reason(_sue_caller(), ELM.id) if c.target == "pat.elm"]
    assert (owed.action, owed.needs, owed.made_by) == ("user_suspended", "reason", "sue.elm")

    with pytest.raises(RuleViolation) as refused:
        trail.add_reason(_sue_caller(), ELM.id, owed.id, reason="  ")
    assert [(v.field, v.code) for v in refused.value.violations] == [("reason", "reason-required")]
    with pytest.raises(NotVisible):  # another organisation's super user: not found
        trail.add_reason(
            Caller("sam.oak", OAK.id, frozenset({"LRBSuperUser"})), OAK.id, owed.id, reason="x"
        )
    time.sleep(0.05)
    added = trail.add_reason(_sue_caller(), ELM.id, owed.id, reason="left the college")
    assert trail.needing_reason(_sue_caller(), ELM.id) == [
        c for c in trail.needing_reason(_sue_caller(), ELM.id) if c.id != owed.id
    ]
    assert added.at is not None and added.at > owed.made_at
    assert added.details["changed_at"] == owed.made_at.isoformat()
    assert (added.actor, added.reason, added.action) == (
        "sue.elm",
        "left the college",
        "console_change_reason_added",
    )
    with pytest.raises(RuleViolation):  # once only
        trail.add_reason(_sue_caller(), ELM.id, owed.id, reason="again")
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": True})


def test_a_realm_admin_disabling_the_last_super_user_is_put_right_and_emailed(
    gw: KeycloakGateway, enforcer: Enforcer, people: dict[str, str], inbox: Inbox
) -> None:
    ria = Console(gw.realm, console_token(gw.realm, "ria.realmwide", PASSWORD))
    ria.call("PUT", f"/users/{people['sam.oak']}", {"enabled": False})
    enforcer.poll()
    assert gw.call("GET", f"/users/{people['sam.oak']}")["enabled"] is True
    actions = [e.action for e in enforcer.audit.events(organisation_id=OAK.id)]
    assert "enforcer_super_user_restored" in actions
    assert "enforcer_helpdesk_alerted" not in actions
    message = inbox.wait_for("ria.realmwide@example.org")
    assert "last active super user of Oak Awards" in body(message).replace("\n", " ")

    client = UserDirectory(gw).client_uuid()
    role = next(r for r in gw.list_client_roles(client) if r["name"] == "LRBSuperUser")
    ria.call("DELETE", f"/users/{people['sam.oak']}/role-mappings/clients/{client}", [role])
    enforcer.poll()
    assert "LRBSuperUser" in UserDirectory(gw).user_roles(people["sam.oak"])
    inbox.wait_for("ria.realmwide@example.org", count=2)
    suspended = enforcer.audit.events(organisation_id=OAK.id, action="user_suspended")
    assert suspended[0].actor == "ria.realmwide"


def test_the_api_lists_what_needs_a_reason_and_refuses_another_organisation_or_bad_input(
    gw: KeycloakGateway, sue: Console, people: dict[str, str], tmp_path: Path, inbox: Inbox
) -> None:
    app = create_app(
        {"TESTING": True, "LRS_REALM": gw.realm, "LRS_DATABASE_URL": f"sqlite:///{tmp_path}/a.db"}
    )
    enforcer = context.root(app).enforcer()
    enforcer.poll()  # the cursor at "now"
    time.sleep(0.05)
    client = UserDirectory(gw).client_uuid()
    role = next(r for r in gw.list_client_roles(client) if r["name"] == "LRBBatchUser")
    sue.call("POST", f"/users/{people['pat.elm']}/role-mappings/clients/{client}", [role])
    enforcer.poll()

    def api(who: str, method: str, path: str, body: Any = None) -> Any:
        token = tokens(gw.realm, who, PASSWORD)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return app.test_client().open(
            f"/api/v1/organisations/{path}", method=method, json=body, headers=headers
        )

    listed = api("sue.elm", "GET", f"{ELM.id}/console-changes")
    assert listed.status_code == 200, listed.get_json()
    (owed,) = [c for c in listed.get_json()["changes"] if c["target"] == "pat.elm"]
    assert (owed["action"], owed["needs"], owed["made_by"]) == (
        "user_roles_changed",
        "reference",
        "sue.elm",
    )
    reason = f"{ELM.id}/console-changes/{owed['id']}/reason"
    refused = api("sue.elm", "POST", reason, {"reason": "wrong field"})
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [
        ("reference", "reference-required")
    ]
    too_long = api("sue.elm", "POST", reason, {"reference": "x" * 300})
    assert [(e["field"], e["code"]) for e in too_long.get_json()["errors"]] == [
        ("reference", "too-long")
    ]
    assert api("sam.oak", "POST", reason, {"reference": "R-1"}).status_code == 404
    elsewhere = f"{OAK.id}/console-changes/{owed['id']}/reason"
    assert api("sam.oak", "POST", elsewhere, {"reference": "R-1"}).status_code == 404
    added = api("sue.elm", "POST", reason, {"reference": "HR-2026-17"})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["details"]["changed_at"] == owed["made_at"]
    after = api("sue.elm", "GET", f"{ELM.id}/console-changes").get_json()["changes"]
    assert owed["id"] not in [c["id"] for c in after]


def test_the_dashboard_shows_a_console_suspension_as_needing_a_reason_and_its_form_adds_it(
    gw: KeycloakGateway, sue: Console, people: dict[str, str], tmp_path: Path
) -> None:
    app = create_app(
        {"TESTING": True, "LRS_REALM": gw.realm, "LRS_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    )
    enforcer = context.root(app).enforcer()
    enforcer.poll()
    time.sleep(0.05)
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": False})
    enforcer.poll()
    me = UserDirectory(gw).find_user("sue.elm")
    assert me is not None
    browser = app.test_client()
    sign_in(browser, Person(me.id, me.username, "Sue Elm", me.email, me.organisation_ids, me.roles))
    dashboard = browser.get(f"/organisations/{ELM.id}/").get_data(as_text=True)
    assert "Needs a reason" in dashboard and "Suspended: pat.elm" in dashboard
    (owed,) = enforcer.trail.needing_reason(_sue_caller(), ELM.id)  # type: ignore[union-attr]
    form = f"/organisations/{ELM.id}/console-changes/{owed.id}/reason"
    user_page = browser.get(f"/organisations/{ELM.id}/users/pat.elm").get_data(as_text=True)
    assert f'href="{form}"' in user_page  # the user's page links to the same form
    assert browser.get(form).status_code == 200
    empty = browser.post(form, data={"csrf_token": csrf_token(browser), "reason": ""})
    assert empty.status_code == 422
    assert "Give the reason for this change" in empty.get_data(as_text=True)
    done = browser.post(form, data={"csrf_token": csrf_token(browser), "reason": "left"})
    assert done.status_code == 302
    after = browser.get(f"/organisations/{ELM.id}/").get_data(as_text=True)
    assert "is recorded in the audit trail" in after and "Suspended: pat.elm" not in after
    assert browser.get(form).status_code == 404  # explained: nothing owed any more
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": True})


def test_through_the_webhook_the_last_super_user_is_back_within_two_seconds(
    gw: KeycloakGateway, people: dict[str, str], inbox: Inbox, tmp_path: Path
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "LRS_ENFORCE": True,
            "LRS_REALM": gw.realm,
            "LRS_DATABASE_URL": f"sqlite:///{tmp_path / 'hook.sqlite'}",
        }
    )
    server = make_server("127.0.0.1", 5000, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runner = app.extensions["lrs_enforcer"]
    try:
        enforcer = runner.enforcer()  # connected before the change, as a running app is
        assert enforcer.last_super_user is not None
        enforcer.last_super_user.mailer = SmtpMailer(
            SmtpSettings("127.0.0.1", inbox.port, "lrs@localhost", "LRS", False, False)
        )
        ria = Console(gw.realm, console_token(gw.realm, "ria.realmwide", PASSWORD))
        already = len(inbox.to("ria.realmwide@example.org"))
        ria.call("PUT", f"/users/{people['sam.oak']}", {"enabled": False})
        changed = time.monotonic()
        while time.monotonic() - changed < 5:
            if gw.call("GET", f"/users/{people['sam.oak']}")["enabled"]:
                break
            time.sleep(0.05)
        took = time.monotonic() - changed
        assert gw.call("GET", f"/users/{people['sam.oak']}")["enabled"] is True
        print(f"put back after {took:.2f} s")
        assert took < 2, f"put back after {took:.2f} s"
        inbox.wait_for("ria.realmwide@example.org", count=already + 1)
        # The record follows the email on the enforcer's thread: wait for it, briefly.
        deadline = time.monotonic() + 5
        while not (restored := enforcer.audit.events(OAK.id, action=RESTORED)):
            assert time.monotonic() < deadline, "no enforcer_super_user_restored event"
            time.sleep(0.05)
        assert restored[0].details["changed_by"] == "ria.realmwide"
    finally:
        server.shutdown()
        runner.stop()


def test_the_cli_lists_what_needs_a_reason_and_adds_it(
    gw: KeycloakGateway,
    sue: Console,
    people: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("LRS_DATABASE_URL", database)
    upgrade_database(database_url=database)
    enforcer = Root(realm=gw.realm).enforcer()
    enforcer.poll()
    time.sleep(0.05)
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": False})
    enforcer.poll()
    cli = CliRunner()
    listed = cli.invoke(main, ["users", "needs-reason", "--org", ELM.id, "--realm", gw.realm])
    assert listed.exit_code == 0, listed.output
    (line,) = [x for x in listed.output.splitlines() if "pat.elm" in x]
    assert line.endswith("needs a reason") and "\tsue.elm\tuser_suspended\t" in line
    change_id = line.split("\t")[0]
    add = ["users", "add-reason", "--org", ELM.id, change_id, "--realm", gw.realm]
    refused = cli.invoke(main, [*add, "--reference", "wrong field"])
    assert refused.exit_code != 0 and "reason" in refused.output
    done = cli.invoke(main, [*add, "--reason", "left the college", "--actor", "ops"])
    assert done.exit_code == 0, done.output
    after = cli.invoke(main, ["users", "needs-reason", "--org", ELM.id, "--realm", gw.realm])
    assert "pat.elm" not in after.output
    sue.call("PUT", f"/users/{people['pat.elm']}", {"enabled": True})
