"""The console guard (docs/adr/0012), against the live Keycloak with real console tokens.

Super users log in to the realm's admin console as people do (login form, User Agreement, code
with PKCE) and call the admin REST API as the console does. The extension's `lrs-guard` listener
refuses, inside the request, a change that would leave an organisation without an active super
user, and any password a super user sets (guide §6.1); realm admins are not refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.policies import (
    SUPER_USER,
    Member,
    check_last_super_user,
    password_set_by_super_user,
)
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import GUARD_LISTENER, ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply
from lrs_keycloak.keycloak.sync import plan as sync_plan
from tests.support.smtp import Inbox, realm_mail

from .conftest import gateway_for
from .test_scoped_admin import ConsoleUser, _person, console_login

#: Pat's new password, set by a realm admin (the realm refuses a recently used one).
OWN_PASSWORD = "pat's own new passphrase 3"

ALDER = Organisation("alder-college", "Alder College", "college", frozenset())  # one super user
BIRCH = Organisation("birch-school", "Birch School", "school", frozenset())  # six
CEDAR = Organisation("cedar-academy", "Cedar Academy", "college", frozenset())  # two, racing
DUNE = Organisation("dune-training", "Dune Training", "college", frozenset())  # one, for admins
ELM = Organisation("elm-studies", "Elm Studies", "college", frozenset())  # one, unguarded realm

PEOPLE: dict[str, tuple[Organisation | None, list[str]]] = {
    "sue.alder": (ALDER, [SUPER_USER]),
    "pat.alder": (ALDER, ["LRBOnlineUser"]),
    "sam.birch": (BIRCH, [SUPER_USER]),
    "tia.birch": (BIRCH, [SUPER_USER]),
    "ugo.birch": (BIRCH, [SUPER_USER]),
    "val.birch": (BIRCH, [SUPER_USER]),
    "wes.birch": (BIRCH, [SUPER_USER]),
    "xan.birch": (BIRCH, [SUPER_USER]),
    "cara.cedar": (CEDAR, [SUPER_USER]),
    "cole.cedar": (CEDAR, [SUPER_USER]),
    "dan.dune": (DUNE, [SUPER_USER]),
    "eve.elm": (ELM, [SUPER_USER]),
    "rae.ashby": (None, []),  # a realm admin of the LRS realm (realm-management realm-admin)
}


@dataclass
class Scene:
    realm: str
    gw: KeycloakGateway
    ids: dict[str, str]
    groups: dict[str, str]
    lrs_client: str
    super_user_role: list[dict[str, Any]]
    inbox: Inbox

    def console(self, username: str) -> ConsoleUser:
        return ConsoleUser(self.realm, console_login(self.realm, username))

    def mapping(self, username: str) -> str:
        return f"/users/{self.ids[username]}/role-mappings/clients/{self.lrs_client}"

    def state(self, username: str) -> tuple[bool, set[str], set[str]]:
        """enabled, LRS roles, groups: what a refusal must leave unchanged."""
        user_id = self.ids[username]
        user = self.gw.call("GET", f"/users/{user_id}")
        roles = {r["name"] for r in self.gw.call("GET", self.mapping(username))}
        groups = {g["path"] for g in self.gw.call("GET", f"/users/{user_id}/groups")}
        return bool(user["enabled"]), roles, groups


def _sync(gw: KeycloakGateway, policy: RealmPolicy, organisations: list[Organisation]) -> None:
    apply(gw, sync_plan(gw, policy, organisations))
    left = sync_plan(gw, policy, organisations)
    assert left.empty, left.describe()


@pytest.fixture(scope="module")
def scene(realm_name: str, policy: RealmPolicy) -> Iterator[Scene]:
    organisations = [ALDER, BIRCH, CEDAR, DUNE, ELM]
    gw = gateway_for(realm_name)
    _sync(gw, policy, organisations)
    assert GUARD_LISTENER in gw.get_events_config()["eventsListeners"]  # sync switched it on
    client = gw.find_client("lrs-portal")
    management = gw.find_client("realm-management")
    assert client is not None and management is not None
    roles = {r["name"]: r for r in gw.list_client_roles(client["id"])}
    ids: dict[str, str] = {}
    for username, (org, granted) in PEOPLE.items():
        person = _person(username, org or ALDER)
        if org is None:
            person["groups"] = []
        gw.call("POST", "/users", person)
        (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
        ids[username] = user["id"]
        if granted:
            gw.call(
                "POST",
                f"/users/{user['id']}/role-mappings/clients/{client['id']}",
                [{"id": roles[r]["id"], "name": r} for r in granted],
            )
    admin_roles = {r["name"]: r for r in gw.list_client_roles(management["id"])}
    realm_admin = admin_roles["realm-admin"]
    gw.call(
        "POST",
        f"/users/{ids['rae.ashby']}/role-mappings/clients/{management['id']}",
        [{"id": realm_admin["id"], "name": "realm-admin"}],
    )
    _sync(gw, policy, organisations)  # the members are known now: their permissions exist
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    groups = {g["name"]: g["id"] for g in gw.list_children(parent["id"])}
    su = roles[SUPER_USER]
    with realm_mail(gw) as inbox:
        yield Scene(
            realm_name, gw, ids, groups, client["id"], [{"id": su["id"], "name": SUPER_USER}], inbox
        )


def _last_super_user_refusal(username: str, action: str) -> str:
    """The companion app's own refusal, as the guard words it for the console's alert."""
    member = Member(username, "org", frozenset({SUPER_USER}), enabled=True)
    violation = check_last_super_user([member], username, action)
    assert violation is not None
    return f"{violation.message} ({violation.rule})"


def _refused(answer: requests.Response, message: str) -> None:
    assert answer.status_code == 400, (answer.status_code, answer.text)
    assert answer.json()["errorMessage"] == message


def test_the_last_super_user_cannot_be_disabled_demoted_taken_out_or_deleted(
    scene: Scene,
) -> None:
    sue = scene.console("sue.alder")
    me, alder = scene.ids["sue.alder"], scene.groups[ALDER.id]
    before = scene.state("sue.alder")
    assert before == (True, {SUPER_USER}, {f"/{ORGANISATIONS_GROUP}/{ALDER.id}"})
    attempts = [
        ("suspend", "PUT", f"/users/{me}", {"enabled": False}),
        # The console's "Unassign" of all client roles: a body-less DELETE (ADR 4).
        ("demote", "DELETE", scene.mapping("sue.alder"), None),
        ("demote", "DELETE", scene.mapping("sue.alder"), scene.super_user_role),
        ("remove", "DELETE", f"/users/{me}/groups/{alder}", None),
        ("remove", "DELETE", f"/users/{me}", None),
    ]
    for action, method, path, body in attempts:
        _refused(sue.call(method, path, body), _last_super_user_refusal("sue.alder", action))
        assert scene.state("sue.alder") == before, (method, path)


def test_a_super_user_changes_another_while_an_active_super_user_remains(scene: Scene) -> None:
    sam = scene.console("sam.birch")
    ids, birch = scene.ids, scene.groups[BIRCH.id]
    assert sam.call("PUT", f"/users/{ids['tia.birch']}", {"enabled": False}).status_code == 204
    assert sam.call("DELETE", scene.mapping("ugo.birch")).status_code == 204
    assert sam.call("DELETE", scene.mapping("val.birch"), scene.super_user_role).status_code == 204
    assert sam.call("DELETE", f"/users/{ids['wes.birch']}/groups/{birch}").status_code == 204
    assert sam.call("DELETE", f"/users/{ids['xan.birch']}").status_code == 204
    assert scene.state("tia.birch")[0] is False
    assert scene.state("ugo.birch")[1] == set()
    assert scene.state("val.birch")[1] == set()
    assert scene.state("wes.birch")[2] == set()
    assert scene.gw.call("GET", "/users", params={"username": "xan.birch", "exact": "true"}) == []
    # A disabled super user does not count: sam is now the last active one.
    _refused(
        sam.call("DELETE", scene.mapping("sam.birch"), scene.super_user_role),
        _last_super_user_refusal("sam.birch", "demote"),
    )


def test_realm_admins_are_not_refused(scene: Scene) -> None:
    # The help desk's recovery must be able to take out a compromised last super user.
    dan = scene.ids["dan.dune"]
    rae = scene.console("rae.ashby")
    assert rae.call("PUT", f"/users/{dan}", {"enabled": False}).status_code == 204
    assert scene.state("dan.dune")[0] is False
    scene.gw.call("PUT", f"/users/{dan}", {"enabled": True})  # the companion app (master realm)
    scene.gw.call("DELETE", scene.mapping("dan.dune"), scene.super_user_role)
    assert scene.state("dan.dune")[1] == set()
    reset = {"type": "password", "value": "another long passphrase 7", "temporary": True}
    assert rae.call("PUT", f"/users/{dan}/reset-password", reset).status_code == 204
    scene.gw.call("DELETE", f"/users/{dan}")
    assert scene.gw.call("GET", "/users", params={"username": "dan.dune", "exact": "true"}) == []


def test_two_super_users_demoting_themselves_at_once_leave_one(scene: Scene) -> None:
    consoles = {name: scene.console(name) for name in ("cara.cedar", "cole.cedar")}
    for _ in range(5):
        for name in consoles:
            scene.gw.call("POST", scene.mapping(name), scene.super_user_role)
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(
                pool.map(
                    lambda name: consoles[name].call(
                        "DELETE", scene.mapping(name), scene.super_user_role
                    ),
                    consoles,
                )
            )
        assert sorted(a.status_code for a in answers) == [204, 400], [a.text for a in answers]
        left = [name for name in consoles if SUPER_USER in scene.state(name)[1]]
        assert len(left) == 1


def _passwords(scene: Scene, username: str) -> list[tuple[str, int]]:
    creds = scene.gw.call("GET", f"/users/{scene.ids[username]}/credentials")
    return [(c["id"], c["createdDate"]) for c in creds if c["type"] == "password"]


def test_a_super_user_cannot_set_a_password_but_can_send_the_password_email(
    scene: Scene,
) -> None:
    sue = scene.console("sue.alder")
    pat = scene.ids["pat.alder"]
    refusal = password_set_by_super_user()
    expected = f"{refusal.message} ({refusal.rule})"
    before = _passwords(scene, "pat.alder")
    for temporary in (False, True):
        reset = {"type": "password", "value": "a password sue knows 1", "temporary": temporary}
        _refused(sue.call("PUT", f"/users/{pat}/reset-password", reset), expected)
    credentials = [{"type": "password", "value": "a password sue knows 2", "temporary": True}]
    _refused(sue.call("PUT", f"/users/{pat}", {"credentials": credentials}), expected)
    assert _passwords(scene, "pat.alder") == before
    assert "UPDATE_PASSWORD" not in scene.gw.call("GET", f"/users/{pat}")["requiredActions"]
    new = {**_person("nia.alder", ALDER), "credentials": credentials}
    _refused(sue.call("POST", "/users", new), expected)
    assert scene.gw.call("GET", "/users", params={"username": "nia.alder", "exact": "true"}) == []
    # Without a password the same person is created, and the console's "Credential reset" works.
    del new["credentials"]
    assert sue.call("POST", "/users", new).status_code == 201
    answer = sue.call("PUT", f"/users/{pat}/execute-actions-email", ["UPDATE_PASSWORD"])
    assert answer.status_code == 204, answer.text
    scene.inbox.wait_for("pat.alder@example.org")
    # Other changes by the super user pass, even right after someone else set the password:
    # only a password set by the super user's own request counts.
    own = {"type": "password", "value": OWN_PASSWORD, "temporary": False}
    scene.gw.call("PUT", f"/users/{pat}/reset-password", own)  # a realm admin may
    assert sue.call("PUT", f"/users/{pat}", {"lastName": "Alder-Smith"}).status_code == 204
    assert console_login(scene.realm, "pat.alder", OWN_PASSWORD)  # not replaced by the update


def test_a_realm_that_does_not_list_the_guard_is_not_guarded(scene: Scene) -> None:
    # Only LRS realms, which sync gives the lrs-guard listener, are guarded.
    config = scene.gw.get_events_config()
    listeners = [name for name in config["eventsListeners"] if name != GUARD_LISTENER]
    eve = scene.console("eve.elm")
    scene.gw.put_events_config({**config, "eventsListeners": listeners})
    try:
        answer = eve.call("PUT", f"/users/{scene.ids['eve.elm']}", {"enabled": False})
        assert answer.status_code == 204, answer.text
    finally:
        scene.gw.put_events_config(config)
    assert scene.state("eve.elm")[0] is False
