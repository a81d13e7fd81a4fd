"""Names and usernames refused inside Keycloak when a super user makes the change in the admin
console (issue 12; guide §4.1, §4.2), through the extension's user-profile validators.

A throwaway realm with one organisation; its super user logs in to the realm's admin console
(browser flow over HTTP, the User Agreement accepted) and calls the admin REST API with that
token, as the console does.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.generic_names import check_person_name
from lrs_keycloak.domain.keycloak_names import (
    NOT_GENERATED_KEY,
    PERSON_NAME_VALIDATOR,
    USERNAME_VALIDATOR,
    message_key,
)
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply
from lrs_keycloak.keycloak.sync import plan as sync_plan
from lrs_keycloak.settings import keycloak_settings
from tests.support.oidc import console_token

from .conftest import gateway_for

PASSWORD = "a long enough passphrase 42"
ORG = Organisation("alder-college", "Alder College", "college", frozenset({"plr"}))
LEGACY = "jsmith"  # made before the rules, with names the rules now refuse


def _sync(gw: KeycloakGateway, policy: RealmPolicy) -> None:
    apply(gw, sync_plan(gw, policy, [ORG]))
    left = sync_plan(gw, policy, [ORG])
    assert left.empty, left.describe()


def _person(username: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
    return {
        "username": username,
        "firstName": given,
        "lastName": family,
        "email": f"{username}@example.org",
        "enabled": True,
        "attributes": {"title": ["Ms"], "verificationProvided": ["integration test"]},
        "groups": [f"/{ORGANISATIONS_GROUP}/{ORG.id}"],
        **extra,
    }


@dataclass
class Console:
    realm: str
    token: str

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method,
            f"{keycloak_settings().url.rstrip('/')}/admin/realms/{self.realm}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def user(self, username: str) -> dict[str, Any] | None:
        found = self.call("GET", "/users", username=username, exact="true").json()
        return found[0] if found else None


@dataclass
class Scene:
    gw: KeycloakGateway
    policy: RealmPolicy
    sue: Console  # the organisation's super user
    messages: dict[str, str]


def _without_lrs_validators(profile: dict[str, Any]) -> dict[str, Any]:
    older = copy.deepcopy(profile)
    for attribute in older["attributes"]:
        for validator in (PERSON_NAME_VALIDATOR, USERNAME_VALIDATOR):
            attribute.get("validations", {}).pop(validator, None)
    return older


@pytest.fixture(scope="module")
def scene(realm_name: str, policy: RealmPolicy) -> Scene:
    gw = gateway_for(realm_name)
    _sync(gw, policy)
    # An account from before the rules: the realm's profile without the validators, as it was.
    gw.put_user_profile(_without_lrs_validators(gw.get_user_profile()))
    gw.call("POST", "/users", _person(LEGACY, "Test", "User"))
    gw.call(
        "POST",
        "/users",
        _person(
            "sue.alder",
            "Sue",
            "Alder",
            credentials=[{"type": "password", "value": PASSWORD, "temporary": False}],
        ),
    )
    _sync(gw, policy)  # the validators are back
    client = gw.find_client("lrs-portal")
    assert client is not None
    (role,) = [r for r in gw.list_client_roles(client["id"]) if r["name"] == "LRBSuperUser"]
    (sue,) = gw.call("GET", "/users", params={"username": "sue.alder", "exact": "true"})
    gw.call("POST", f"/users/{sue['id']}/role-mappings/clients/{client['id']}", [role])
    _sync(gw, policy)  # the super user is known to the organisation's console permissions
    console = Console(realm_name, console_token(realm_name, "sue.alder", PASSWORD))
    return Scene(gw, policy, console, gw.get_localization("en"))


def _errors(answer: requests.Response) -> list[dict[str, Any]]:
    body = answer.json()
    errors: list[dict[str, Any]] = body.get("errors") or [body]
    return errors


def _shown(scene: Scene, error: dict[str, Any]) -> str:
    """The message as the admin console renders the realm's text with the error's params."""
    text = scene.messages[error["errorMessage"]]
    for index, param in enumerate(error.get("params") or []):
        text = text.replace(f"{{{{{index}}}}}", str(param))
    return text


def test_a_generic_given_name_is_refused_with_the_python_rules_message_and_nothing_is_made(
    scene: Scene,
) -> None:
    answer = scene.sue.call("POST", "/users", _person("guest.smith", "Guest", "Smith"))
    assert answer.status_code == 400, answer.text
    (error,) = _errors(answer)
    assert error["field"] == "firstName"
    assert error["errorMessage"] == message_key("generic-name")
    (python,) = check_person_name(
        "Guest", "Smith", policy=scene.policy.generic_names, role_names=scene.policy.roles.names
    )
    assert _shown(scene, error) == f"{python.message} ({python.rule})"
    assert "guide §4.1/§4.2" in _shown(scene, error)
    assert scene.sue.user("guest.smith") is None


def test_a_department_as_family_name_is_refused(scene: Scene) -> None:
    answer = scene.sue.call("POST", "/users", _person("jane.finance", "Jane", "Finance"))
    assert answer.status_code == 400, answer.text
    assert [(e["field"], e["errorMessage"]) for e in _errors(answer)] == [
        ("lastName", message_key("department-name"))
    ]
    assert scene.sue.user("jane.finance") is None


def test_a_username_not_made_from_the_names_is_refused(scene: Scene) -> None:
    answer = scene.sue.call("POST", "/users", _person("reception.desk", "Ann", "Lee"))
    assert answer.status_code == 400, answer.text
    (error,) = _errors(answer)
    assert (error["field"], error["errorMessage"]) == ("username", NOT_GENERATED_KEY)
    assert "ann.lee" in _shown(scene, error)
    assert "guide §4.2" in _shown(scene, error)
    assert scene.sue.user("reception.desk") is None


def test_proper_names_with_the_generated_username_or_its_numbered_form_are_created(
    scene: Scene,
) -> None:
    first = scene.sue.call("POST", "/users", _person("zoe.nguyen", "Zoë", "Nguyễn"))
    assert first.status_code == 201, first.text
    second = scene.sue.call(
        "POST", "/users", _person("zoe.nguyen2", "Zoë", "Nguyễn", email="zoe2@example.org")
    )
    assert second.status_code == 201, second.text
    assert scene.sue.user("zoe.nguyen") and scene.sue.user("zoe.nguyen2")


def test_a_rename_to_a_generic_name_is_refused_and_the_name_kept(scene: Scene) -> None:
    assert scene.sue.call("POST", "/users", _person("mia.ash", "Mia", "Ash")).status_code == 201
    mia = scene.sue.user("mia.ash")
    assert mia is not None
    answer = scene.sue.call("PUT", f"/users/{mia['id']}", {**mia, "firstName": "Admin"})
    assert answer.status_code == 400, answer.text
    assert [e["errorMessage"] for e in _errors(answer)] == [message_key("generic-name")]
    assert scene.sue.user("mia.ash")["firstName"] == "Mia"  # type: ignore[index]


def test_an_unchanged_legacy_account_is_not_refused_on_other_edits(scene: Scene) -> None:
    legacy = scene.sue.user(LEGACY)
    assert legacy is not None and legacy["firstName"] == "Test"
    edited = {**legacy, "email": "j.smith@example.org"}
    answer = scene.sue.call("PUT", f"/users/{legacy['id']}", edited)
    assert answer.status_code == 204, answer.text
    assert scene.sue.user(LEGACY)["email"] == "j.smith@example.org"  # type: ignore[index]


def test_a_legacy_account_renamed_to_a_persons_name_keeps_its_username(scene: Scene) -> None:
    legacy = scene.sue.user(LEGACY)
    assert legacy is not None
    renamed = {**legacy, "firstName": "John", "lastName": "Smith"}
    answer = scene.sue.call("PUT", f"/users/{legacy['id']}", renamed)
    assert answer.status_code == 204, answer.text
    assert scene.sue.user(LEGACY)["firstName"] == "John"  # type: ignore[index]


def test_the_messages_are_in_the_realms_bundle_and_resynced_when_changed(scene: Scene) -> None:
    key = message_key("generic-name")
    scene.gw.put_localization("en", {key: "changed by hand"})
    drift = sync_plan(scene.gw, scene.policy, [ORG])
    # (the members created above also give the organisation's console permissions new users)
    messages = [sorted(c.fields) for c in drift.changes if c.resource == "messages"]
    assert messages == [[key]]
    _sync(scene.gw, scene.policy)
    assert scene.gw.get_localization("en")[key] == scene.messages[key]


def test_the_login_pages_update_profile_shows_the_rule_too(scene: Scene) -> None:
    """A person renaming themselves on Keycloak's update-profile page (a FreeMarker page that
    formats texts with MessageFormat, unlike the consoles) gets the same rule, not an error."""
    scene.gw.call(
        "POST",
        "/users",
        _person(
            "eve.oak",
            "Eve",
            "Oak",
            requiredActions=["UPDATE_PROFILE"],
            credentials=[{"type": "password", "value": PASSWORD, "temporary": False}],
        ),
    )
    session, page = _update_profile_page(scene.sue.realm, "eve.oak")
    form = re.search(r'<form[^>]*id="kc-update-profile-form"[^>]*action="([^"]+)"', page.text)
    assert form is not None, page.text[:500]
    answer = session.post(
        html.unescape(form.group(1)),
        data={
            "firstName": "Guest",
            "lastName": "Oak",
            "email": "eve.oak@example.org",
            "title": "Ms",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.status_code
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())
    (python,) = check_person_name(
        "Guest", "Oak", policy=scene.policy.generic_names, role_names=scene.policy.roles.names
    )
    assert python.message in shown
    (eve,) = scene.gw.call("GET", "/users", params={"username": "eve.oak", "exact": "true"})
    assert eve["firstName"] == "Eve"


def _update_profile_page(realm: str, username: str) -> tuple[requests.Session, requests.Response]:
    """Log on through the browser flow (agreement accepted) up to the update-profile page."""
    base = keycloak_settings().url.rstrip("/")
    session = requests.Session()

    def insecure() -> None:  # Keycloak marks cookies Secure even on http://127.0.0.1
        for cookie in session.cookies:
            cookie.secure = False

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urlencode(
        {
            "client_id": "lrs-portal",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "http://127.0.0.1:5000/callback",
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
    )
    page = session.get(f"{base}/realms/{realm}/protocol/openid-connect/auth?{query}", timeout=30)
    insecure()
    for _ in range(3):
        form = re.search(r'<form[^>]*id="([^"]+)"[^>]*action="([^"]+)"', page.text)
        assert form is not None, page.text[:500]
        if form.group(1) == "kc-update-profile-form":
            return session, page
        data = (
            {"username": username, "password": PASSWORD}
            if form.group(1) == "kc-form-login"
            else {"accept": "accept"}
        )
        page = session.post(html.unescape(form.group(2)), data=data, timeout=30)
        insecure()
    raise AssertionError(f"no update-profile page: {page.text[:500]}")
