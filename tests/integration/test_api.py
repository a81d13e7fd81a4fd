"""The JSON API against the real Keycloak, with real access tokens from a browser-flow logon.

The Flask app runs in its test client; the tokens, the realm's keys and every user-admin call
are real (a throwaway realm per module). Every response is checked against the OpenAPI
document the API serves.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.cli import main
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import LAST_LOGON
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import LOCAL_KEYCLOAK_URL
from lrs_keycloak.web import create_app
from lrs_keycloak.web.context import user_admin
from tests.support.oidc import Tokens, log_on, tokens
from tests.support.openapi import check_request, check_response
from tests.support.smtp import Inbox, body, realm_mail

PASSWORD = "a long enough passphrase 42"
ORG_A = Organisation("anytown-college", "Anytown College", "college", frozenset())
ORG_B = Organisation("bigcity-training", "Bigcity Training", "training-provider", frozenset())
SUE = UserDetails("Ms", "Sue", "Super", "MIAP sign-up form A")
BOB = UserDetails("Mr", "Bob", "Boss", "MIAP sign-up form B")
OLIVE = UserDetails("Ms", "Olive", "Online", "HR ref 7")


@pytest.fixture(scope="module")
def smtp(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    """Set-password emails must have somewhere to go: a real SMTP server."""
    with realm_mail(synced_gateway) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def app(realm_name: str, smtp: Inbox, realm_key: Any, tmp_path_factory: Any) -> Flask:
    # realm_key first: the app caches the realm's public keys (and refetches at most every
    # few minutes, so a forged kid cannot make it hammer Keycloak).
    db = tmp_path_factory.mktemp("api") / "api.sqlite"
    return create_app(
        {"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": f"sqlite:///{db}"}
    )


@pytest.fixture(scope="module")
def admin(app: Flask) -> UserAdmin:
    return user_admin(app)


def _with_password(gw: KeycloakGateway, username: str) -> str:
    user = UserDirectory(gw).find_user(username)
    assert user is not None
    gw.call(
        "PUT",
        f"/users/{user.id}/reset-password",
        {"type": "password", "value": PASSWORD, "temporary": False},
    )
    return username


@pytest.fixture(scope="module")
def people(admin: UserAdmin, synced_gateway: KeycloakGateway) -> dict[str, str]:
    """Usernames: sue (super user of A), bob (super user of B), olive (online user of A)."""
    operator = Operator("api-tests")
    sue = admin.register_organisation(operator, ORG_A, SUE).user
    bob = admin.register_organisation(operator, ORG_B, BOB).user
    assert sue is not None and bob is not None
    olive = admin.create_user(operator, ORG_A.id, OLIVE, ["LRBOnlineUser"]).user
    assert olive is not None
    names = {"sue": sue["username"], "bob": bob["username"], "olive": olive["username"]}
    for username in names.values():
        _with_password(synced_gateway, username)
    return names


@pytest.fixture(scope="module")
def tok(realm_name: str, people: dict[str, str]) -> Tokens:
    return Tokens(realm_name, PASSWORD)


class Api:
    """The test client with a bearer token; every answer (and every body the API accepted) is
    checked against the OpenAPI doc."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def __call__(self, method: str, path: str, json: Any = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(kw.pop("headers", {}))
        response = self.client.open(path, method=method, json=json, headers=headers, **kw)
        check_response(
            method, path, response.status_code, response.get_json(silent=True), response.mimetype
        )
        if response.status_code < 300 and json is not None:
            check_request(method, path, json)  # the document is not stricter than the code
        return response


@pytest.fixture
def as_user(app: Flask, tok: Tokens) -> Any:
    def make(username: str | None) -> Api:
        return Api(app.test_client(), tok.access(username) if username else None)

    return make


def new_person(given: str | None = None, **extra: Any) -> dict[str, Any]:
    # Family names unique per call (letters only), so each test finds its own users.
    letters = uuid.uuid4().hex[:4].translate(str.maketrans("0123456789", "ghijklmnop"))
    return {
        "title": "Mr",
        "given_name": given or "Ravi",
        "family_name": "Patel" + letters,
        "verification_provided": "HR file 12",
        "roles": ["LRBOnlineUser"],
        **extra,
    }


USERS_A = f"/api/v1/organisations/{ORG_A.id}/users"
USERS_B = f"/api/v1/organisations/{ORG_B.id}/users"


def create(api: Api, **extra: Any) -> str:
    answer = api("POST", USERS_A, new_person(**extra))
    assert answer.status_code == 201, answer.get_json()
    username: str = answer.get_json()["user"]["username"]
    return username


# --- 401: tokens --------------------------------------------------------------------------------


def test_request_without_token_is_401_with_bearer_challenge(as_user: Any) -> None:
    answer = as_user(None)("GET", USERS_A)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["errors"][0]["code"] == "token-missing"


def test_tampered_token_is_401(
    app: Flask, tok: Tokens, people: dict[str, str], as_user: Any
) -> None:
    header, _payload, signature = tok.access(people["olive"]).split(".")
    claims = jwt.decode(tok.access(people["olive"]), options={"verify_signature": False})
    claims["preferred_username"] = people["sue"]  # olive pretends to be her super user
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    api = Api(app.test_client(), f"{header}.{forged_payload}.{signature}")
    answer = api("GET", USERS_A)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def _own_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_token_signed_with_another_key_is_401(
    app: Flask, tok: Tokens, people: dict[str, str]
) -> None:
    real = tok.access(people["sue"])
    claims = jwt.decode(real, options={"verify_signature": False})
    kid = jwt.get_unverified_header(real)["kid"]  # claims to be the realm's key
    forged = jwt.encode(claims, _own_key(), algorithm="RS256", headers={"kid": kid})
    answer = Api(app.test_client(), forged)("GET", USERS_A)
    assert answer.status_code == 401


@pytest.fixture(scope="module")
def realm_key(synced_gateway: KeycloakGateway) -> tuple[rsa.RSAPrivateKey, str]:
    """A key the realm signs with (imported, low priority), so tests can mint edge-case tokens."""
    key = _own_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    realm_id = synced_gateway.get_realm()["id"]
    name = f"it-key-{uuid.uuid4().hex[:6]}"
    synced_gateway.call(
        "POST",
        "/components",
        {
            "name": name,
            "providerId": "rsa",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id,
            "config": {
                "priority": ["1"],
                "enabled": ["true"],
                "active": ["true"],
                "algorithm": ["RS256"],
                "privateKey": [pem],
            },
        },
    )
    keys = synced_gateway.call("GET", "/keys")["keys"]
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (kid,) = [
        k["kid"]
        for k in keys
        if k.get("publicKey") and k["publicKey"] in public.decode().replace("\n", "")
    ]
    return key, kid


def _minted(
    realm_key: tuple[rsa.RSAPrivateKey, str], realm: str, username: str, **changes: Any
) -> str:
    key, kid = realm_key
    now = int(time.time())
    claims = {
        "iss": f"{LOCAL_KEYCLOAK_URL}/realms/{realm}",
        "sub": "to-be-replaced",
        "typ": "Bearer",
        "azp": "lrs-portal",
        "aud": "account",
        "iat": now - 10,
        "exp": now + 240,
        "preferred_username": username,
    }
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_token_signed_by_realm_key_is_accepted_when_all_claims_hold(
    app: Flask, realm_key: Any, realm_name: str, people: dict[str, str], tok: Tokens
) -> None:
    sub = jwt.decode(tok.access(people["sue"]), options={"verify_signature": False})["sub"]
    good = _minted(realm_key, realm_name, people["sue"], sub=sub)
    assert Api(app.test_client(), good)("GET", USERS_A).status_code == 200


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"exp": int(time.time()) - 5, "iat": int(time.time()) - 400}, "token-expired"),
        ({"iss": "http://127.0.0.1:8080/realms/another"}, "invalid-token"),
        ({"azp": "another-client", "aud": "account"}, "invalid-token"),
        ({"typ": "ID"}, "invalid-token"),
        ({"sub": "an-account-that-was-removed"}, "invalid-token"),
    ],
    ids=["expired", "wrong-issuer", "wrong-client", "id-token", "other-subject"],
)
def test_token_failing_a_claim_check_is_401(
    app: Flask,
    realm_key: Any,
    realm_name: str,
    people: dict[str, str],
    tok: Tokens,
    change: dict[str, Any],
    why: str,
) -> None:
    sub = jwt.decode(tok.access(people["sue"]), options={"verify_signature": False})["sub"]
    token = _minted(realm_key, realm_name, people["sue"], **{"sub": sub, **change})
    answer = Api(app.test_client(), token)("GET", USERS_A)
    assert answer.status_code == 401
    assert answer.get_json()["errors"][0]["code"] == why


def test_real_id_token_is_not_accepted_as_access_token(
    app: Flask, tok: Tokens, people: dict[str, str]
) -> None:
    id_token = tok.all(people["sue"])["id_token"]
    assert Api(app.test_client(), id_token)("GET", USERS_A).status_code == 401


# --- the operations -----------------------------------------------------------------------------


def test_create_user_answers_201_with_generated_username_and_warning(
    as_user: Any, people: dict[str, str]
) -> None:
    answer = as_user(people["sue"])("POST", USERS_A, new_person("Aoife"))
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["user"]["username"].startswith("aoife.patel")
    assert body["user"]["roles"] == ["LRBOnlineUser"]
    assert answer.headers["Location"] == f"{USERS_A}/{body['user']['username']}"
    assert [w["code"] for w in body["warnings"]] == ["email-missing"]
    assert isinstance(body["event_id"], int)


def test_a_retried_creation_with_the_same_idempotency_key_makes_no_second_account(
    as_user: Any, people: dict[str, str], admin: UserAdmin
) -> None:
    # Names only: nothing but the key tells the retry from a namesake (issue 9 §2).
    api, person = as_user(people["sue"]), new_person("Ada")
    first = api("POST", USERS_A, person, headers={"Idempotency-Key": "ada-1"})
    again = api("POST", USERS_A, person, headers={"Idempotency-Key": "ada-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    group = admin.directory.find_organisation(ORG_A.id)
    assert group is not None
    namesakes = [
        u.username
        for u in admin.directory.members(group, ["LRBOnlineUser"])
        if u.last_name == person["family_name"]
    ]
    assert namesakes == [first.get_json()["user"]["username"]]


def test_create_user_with_email_sends_the_set_password_email(
    as_user: Any, people: dict[str, str], smtp: Inbox
) -> None:
    answer = as_user(people["sue"])("POST", USERS_A, new_person("Nina", email="nina@example.org"))
    assert answer.status_code == 201 and answer.get_json()["warnings"] == []
    assert "/login-actions/action-token?key=" in body(smtp.wait_for("nina@example.org"))


def test_list_and_search_users_with_deputies_warning(as_user: Any, people: dict[str, str]) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Priya")
    answer = api("GET", USERS_A)
    assert answer.status_code == 200
    listed = {u["username"]: u for u in answer.get_json()["users"]}
    assert {people["sue"], people["olive"], username} <= listed.keys()
    assert listed[people["sue"]]["roles"] == ["LRBSuperUser"]
    assert "too-few-super-users" in {w["code"] for w in answer.get_json()["warnings"]}
    found = api("GET", USERS_A, query_string={"search": username}).get_json()["users"]
    assert [u["username"] for u in found] == [username]
    supers = api("GET", USERS_A, query_string={"role": "LRBSuperUser"}).get_json()["users"]
    assert [u["username"] for u in supers] == [people["sue"]]


def test_get_user(as_user: Any, people: dict[str, str]) -> None:
    answer = as_user(people["sue"])("GET", f"{USERS_A}/{people['olive']}")
    assert answer.status_code == 200
    user = answer.get_json()["user"]
    assert user["given_name"] == "Olive" and user["status"] == "active"


def test_patch_updates_details(as_user: Any, people: dict[str, str]) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Tom")
    answer = api("PATCH", f"{USERS_A}/{username}", {"telephone": "01632 960 123", "staff_id": "S9"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["user"]["telephone"] == "01632 960 123"
    again = api("GET", f"{USERS_A}/{username}").get_json()["user"]
    assert (again["telephone"], again["staff_id"]) == ("01632 960 123", "S9")


def test_user_may_patch_own_contact_details_but_not_roles(
    as_user: Any, people: dict[str, str]
) -> None:
    api = as_user(people["olive"])
    own = f"{USERS_A}/{people['olive']}"
    assert api("PATCH", own, {"mobile": "07700 900123"}).status_code == 200
    refused = api("PATCH", own, {"roles": ["LRBSuperUser"]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["code"] == "not-editable"


def test_change_of_roles_needs_an_authorisation_reference(
    as_user: Any, people: dict[str, str]
) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Ivan")
    path = f"{USERS_A}/{username}/roles"
    refused = api("PUT", path, {"roles": ["LRBOnlineUser", "LRBViewOnlyUser"]})
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert (error["field"], error["code"]) == ("reference", "authorisation-reference-required")
    assert error["rule"].startswith("guide §5")
    answer = api("PUT", path, {"roles": ["LRBViewOnlyUser"], "reference": "CHG-12"})
    assert answer.status_code == 200
    assert answer.get_json()["user"]["roles"] == ["LRBViewOnlyUser"]


def test_suspend_then_reinstate_with_reasons(as_user: Any, people: dict[str, str]) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Sara")
    answer = api("POST", f"{USERS_A}/{username}/suspend", {"reason": "on long leave"})
    assert answer.status_code == 200
    assert answer.get_json()["user"]["status"] == "suspended"
    suspended = api("GET", USERS_A, query_string={"status": "suspended"}).get_json()["users"]
    assert username in {u["username"] for u in suspended}
    answer = api("POST", f"{USERS_A}/{username}/reinstate", {"reason": "back at work"})
    assert answer.status_code == 200
    assert answer.get_json()["user"]["status"] == "active"


def test_a_super_user_resets_a_users_lost_second_factor_but_not_their_own_nor_another_orgs(
    as_user: Any, people: dict[str, str], synced_gateway: KeycloakGateway
) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Tariq", roles=["LRBSuperUser"])
    _with_password(synced_gateway, username)
    tokens(synced_gateway.realm, username, PASSWORD)  # a super user: sets up an authenticator
    path = f"{USERS_A}/{username}/second-factor/reset"
    answer = api("POST", path, {"reason": "new phone; checked by a call to his desk"})
    assert answer.status_code == 200, answer.get_json()
    user = UserDirectory(synced_gateway).find_user(username)
    assert user is not None and UserDirectory(synced_gateway).second_factors(user.id) == []
    events = api("GET", f"/api/v1/organisations/{ORG_A.id}/audit-events").get_json()["events"]
    assert any(e["action"] == "second_factor_reset" and e["target"] == username for e in events)

    assert as_user(people["bob"])("POST", path, {"reason": "asked"}).status_code == 404
    own = api("POST", f"{USERS_A}/{people['sue']}/second-factor/reset", {"reason": "lost it"})
    assert own.status_code == 422
    assert own.get_json()["errors"][0]["code"] == "own-second-factor"
    # Sue must stay organisation A's only super user for the tests that follow.
    gone = api("DELETE", f"{USERS_A}/{username}", {"reason": "second-factor test done"})
    assert gone.status_code in (200, 204), gone.get_json()


def test_delete_removes_the_account_and_keeps_its_audit_trail(
    as_user: Any, people: dict[str, str]
) -> None:
    api = as_user(people["sue"])
    username = create(api, given="Dana")
    answer = api("DELETE", f"{USERS_A}/{username}", {"reason": "left the college"})
    assert answer.status_code == 200
    assert api("GET", f"{USERS_A}/{username}").status_code == 404
    events = api("GET", f"/api/v1/organisations/{ORG_A.id}/audit-events").get_json()["events"]
    mine = [e for e in events if e["target"] == username]
    assert [e["action"] for e in mine] == ["user_removed", "user_created"]
    assert mine[0]["reason"] == "left the college"
    assert mine[0]["actor"] == people["sue"]


def test_audit_events_are_the_organisations_own(as_user: Any, people: dict[str, str]) -> None:
    bob = as_user(people["bob"])
    assert bob("POST", USERS_B, new_person("Hugo")).status_code == 201
    answer = as_user(people["sue"])(
        "GET", f"/api/v1/organisations/{ORG_A.id}/audit-events", query_string={"limit": "500"}
    )
    assert answer.status_code == 200
    events = answer.get_json()["events"]
    assert events and {e["organisation_id"] for e in events} == {ORG_A.id}
    assert not any(str(e["target"]).startswith("hugo.") for e in events)
    two = as_user(people["sue"])(
        "GET", f"/api/v1/organisations/{ORG_A.id}/audit-events", query_string={"limit": "2"}
    )
    assert len(two.get_json()["events"]) == 2


@pytest.mark.parametrize(
    ("path", "query", "field", "code"),
    [
        ("audit-events", {"limit": "501"}, "limit", "invalid-limit"),
        ("audit-events", {"limit": "ten"}, "limit", "invalid-limit"),
        ("users", {"status": "asleep"}, "status", "invalid-status"),
        ("users", {"role": "x" * 100}, "role", "too-long"),
        ("users", {"colour": "blue"}, "colour", "unknown-field"),
    ],
)
def test_a_query_parameter_is_read_by_its_contract_and_refused_by_name(
    as_user: Any, people: dict[str, str], path: str, query: dict[str, str], field: str, code: str
) -> None:
    answer = as_user(people["sue"])(
        "GET", f"/api/v1/organisations/{ORG_A.id}/{path}", query_string=query
    )
    assert answer.status_code == 422
    assert [(e["field"], e["code"]) for e in answer.get_json()["errors"]] == [(field, code)]


def test_last_super_user_cannot_be_suspended(as_user: Any, people: dict[str, str]) -> None:
    answer = as_user(people["sue"])(
        "POST", f"{USERS_A}/{people['sue']}/suspend", {"reason": "testing"}
    )
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["code"] == "last-super-user"


# --- 422: bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ("not json", "", "invalid-json"),
        ({"given_name": 7}, "given_name", "invalid-type"),
        ({"roles": "LRBOnlineUser"}, "roles", "invalid-type"),
        ({"roles": None}, "roles", "required"),
        ({"nickname": "Bobby"}, "nickname", "unknown-field"),
        ({"given_name": "Guest", "family_name": "User"}, "given_name", "generic-name"),
        ({"roles": []}, "roles", "no-role"),
        ({"email": "not-an-email"}, "email", "invalid-email"),
        ({"title": ""}, "title", "title-required"),
    ],
    ids=[
        "body-not-json",
        "wrong-type",
        "roles-not-a-list",
        "roles-missing",
        "unknown-field",
        "generic-name",
        "no-role",
        "bad-email",
        "title-missing",
    ],
)
def test_bad_create_input_is_422_with_field_code_message(
    as_user: Any, people: dict[str, str], body: Any, field: str, code: str
) -> None:
    api = as_user(people["sue"])
    if isinstance(body, str):
        answer = api.client.post(
            USERS_A,
            data=body,
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
        check_response("POST", USERS_A, answer.status_code, answer.get_json())
    else:
        answer = api("POST", USERS_A, {k: v for k, v in {**new_person(), **body}.items()})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert (field, code) in {(e["field"], e["code"]) for e in errors}
    assert all(e["message"] for e in errors)


def test_suspend_without_reason_is_422(as_user: Any, people: dict[str, str]) -> None:
    answer = as_user(people["sue"])("POST", f"{USERS_A}/{people['olive']}/suspend", {})
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "reason"


def test_audit_events_limit_out_of_range_is_422(as_user: Any, people: dict[str, str]) -> None:
    answer = as_user(people["sue"])(
        "GET", f"/api/v1/organisations/{ORG_A.id}/audit-events", query_string={"limit": "0"}
    )
    assert answer.status_code == 422


# --- 403 and 404: who may do what ---------------------------------------------------------------


def _every_endpoint(org: str, username: str) -> list[tuple[str, str, Any]]:
    users = f"/api/v1/organisations/{org}/users"
    return [
        ("GET", users, None),
        ("POST", users, new_person("Karl")),
        ("GET", f"{users}/{username}", None),
        ("PATCH", f"{users}/{username}", {"telephone": "01632 960 999"}),
        ("PUT", f"{users}/{username}/roles", {"roles": ["LRBViewOnlyUser"], "reference": "X"}),
        ("POST", f"{users}/{username}/suspend", {"reason": "cross-organisation attempt"}),
        ("POST", f"{users}/{username}/reinstate", {"reason": "cross-organisation attempt"}),
        ("DELETE", f"{users}/{username}", {"reason": "cross-organisation attempt"}),
        ("GET", f"/api/v1/organisations/{org}/audit-events", None),
        ("GET", f"/api/v1/organisations/{org}/agreement-report", None),
        ("GET", f"/api/v1/organisations/{org}/audit-report?format=csv", None),
        ("GET", f"/api/v1/organisations/{org}/reviews", None),
        ("POST", f"/api/v1/organisations/{org}/reviews", None),
    ]


ENDPOINT_IDS = [
    "list",
    "create",
    "get",
    "patch",
    "roles",
    "suspend",
    "reinstate",
    "delete",
    "audit-events",
    "agreement-report",
    "audit-report",
    "reviews",
    "start-review",
]


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_cross_organisation_attempt_is_404_for_every_endpoint(
    as_user: Any, people: dict[str, str], admin: UserAdmin, index: int
) -> None:
    """Sue, super user of A, on organisation B (and on B's user under A's path): 404."""
    api = as_user(people["sue"])
    bob = people["bob"]
    method, path, body = _every_endpoint(ORG_B.id, bob)[index]
    answer = api(method, path, body)
    assert answer.status_code == 404, answer.get_json()
    # The same answer as for an organisation that does not exist: existence does not leak.
    method, path, body = _every_endpoint("no-such-org", bob)[index]
    assert api(method, path, body).status_code == 404
    if index in range(2, 8):  # B's user under A's path
        method, path, body = _every_endpoint(ORG_A.id, bob)[index]
        assert api(method, path, body).status_code == 404
    listed = admin.list_users(Operator("t"), ORG_B.id).users or []
    [still] = [u for u in listed if u["username"] == bob]
    assert still["status"] == "active" and still["roles"] == ["LRBSuperUser"]


@pytest.mark.parametrize("index", range(len(ENDPOINT_IDS)), ids=ENDPOINT_IDS)
def test_user_who_is_not_a_super_user_gets_403_in_own_organisation(
    as_user: Any, people: dict[str, str], index: int
) -> None:
    api = as_user(people["olive"])
    method, path, body = _every_endpoint(ORG_A.id, people["sue"])[index]
    answer = api(method, path, body)
    assert answer.status_code == 403, answer.get_json()


def test_openapi_document_is_served_without_a_token(as_user: Any) -> None:
    answer = as_user(None)("GET", "/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.get_json()["openapi"].startswith("3.1")


def test_agreement_report_shows_who_accepted_which_version_and_when(
    as_user: Any, people: dict[str, str]
) -> None:
    """Sue logged on through the browser flow (tokens), so she accepted the current version."""
    answer = as_user(people["sue"])("GET", f"/api/v1/organisations/{ORG_A.id}/agreement-report")
    assert answer.status_code == 200, answer.get_json()
    rows = {r["username"]: r for r in answer.get_json()["users"]}
    sue = rows[people["sue"]]
    assert sue["accepted_version"] == "1" and sue["accepted_current_version"] is True
    assert sue["accepted_at"].endswith("Z")


def test_audit_report_streams_csv_of_the_organisations_users(
    as_user: Any, people: dict[str, str]
) -> None:
    """Guide §8: the audit of the user community as a download, a row per user."""
    answer = as_user(people["sue"])(
        "GET", f"/api/v1/organisations/{ORG_A.id}/audit-report?format=csv"
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv" and answer.is_streamed
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(answer.get_data(as_text=True)))}
    sue = rows[people["sue"]]
    assert "LRBSuperUser" in sue["roles"].split()
    assert sue["status"] == "active" and sue["last_logon"].endswith("Z")
    assert {r["organisation_id"] for r in rows.values()} == {ORG_A.id}


def test_audit_report_filters_in_json(as_user: Any, people: dict[str, str]) -> None:
    path = f"/api/v1/organisations/{ORG_A.id}/audit-report?role=LRBSuperUser"
    answer = as_user(people["sue"])("GET", path)
    assert answer.status_code == 200, answer.get_json()
    users = answer.get_json()["users"]
    assert users and all("LRBSuperUser" in u["roles"] for u in users)


def _last_logon_recorded(gw: KeycloakGateway, user_id: str, at_ms: int) -> None:
    """As if the extension had recorded a logon at ``at_ms``: the attribute is only the
    admins' to read (user-profile.yaml), so the throwaway realm lets them edit it meanwhile."""
    profile = gw.call("GET", "/users/profile")
    try:
        gw.call("PUT", "/users/profile", {**profile, "unmanagedAttributePolicy": "ADMIN_EDIT"})
        rep = gw.call("GET", f"/users/{user_id}")
        rep["attributes"] = {**(rep.get("attributes") or {}), LAST_LOGON: [str(at_ms)]}
        gw.call("PUT", f"/users/{user_id}", rep)
    finally:
        gw.call("PUT", "/users/profile", profile)


def test_the_inactive_days_filter_counts_from_a_real_logon(
    admin: UserAdmin,
    as_user: Any,
    people: dict[str, str],
    synced_gateway: KeycloakGateway,
    realm_name: str,
) -> None:
    """Guide §8, "not logged in for N days", in the API and `audit report --inactive-days`:
    Ian last signed in 40 days ago, so a 30-day filter keeps him; then he signs in for real
    (the browser flow), the extension's listener records it on him, and the filter drops him.
    Nell, made today and never signed in, is counted from her creation: dropped throughout."""
    operator = Operator("api-tests")
    made = {
        given: admin.create_user(operator, ORG_A.id, details, ["LRBOnlineUser"]).user
        for given, details in [
            ("ian", UserDetails("Mr", "Ian", "Idle", "HR 9")),
            ("nell", UserDetails("Ms", "Nell", "New", "HR 9")),
        ]
    }
    ian, nell = made["ian"], made["nell"]
    assert ian is not None and nell is not None
    _with_password(synced_gateway, ian["username"])
    found = UserDirectory(synced_gateway).find_user(ian["username"])
    assert found is not None
    _last_logon_recorded(synced_gateway, found.id, int(time.time() * 1000) - 40 * 86_400_000)

    def by_api() -> dict[str, Any]:
        path = f"/api/v1/organisations/{ORG_A.id}/audit-report?inactive_days=30"
        answer = as_user(people["sue"])("GET", path)
        assert answer.status_code == 200, answer.get_json()
        return {u["username"]: u for u in answer.get_json()["users"]}

    def by_cli() -> dict[str, Any]:
        run = CliRunner().invoke(
            main,
            [
                "audit", "report", "--org", ORG_A.id, "--inactive-days", "30", "--format", "json",
                "--realm", realm_name, "--actor", "api-tests",
            ],
        )  # fmt: skip
        assert run.exit_code == 0, run.output
        return {r["username"]: r for r in json.loads(run.stdout)}

    for kept in (by_api(), by_cli()):
        assert ian["username"] in kept and nell["username"] not in kept
    before = int(time.time() * 1000) - 5000
    log_on(realm_name, ian["username"], PASSWORD)
    for kept in (by_api(), by_cli()):
        assert ian["username"] not in kept and nell["username"] not in kept
    everyone = CliRunner().invoke(
        main,
        ["audit", "report", "--org", ORG_A.id, "--format", "json", "--realm", realm_name],
    )
    [row] = [r for r in json.loads(everyone.stdout) if r["username"] == ian["username"]]
    assert row["last_logon_ms"] >= before  # the listener's record, not the one 40 days old


def test_audit_report_bad_filter_is_422_naming_the_field(
    as_user: Any, people: dict[str, str]
) -> None:
    path = f"/api/v1/organisations/{ORG_A.id}/audit-report?inactive_days=0"
    answer = as_user(people["sue"])("GET", path)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["inactive_days"]


# --- access reviews (guide §8) ---------------------------------------------------------------


def test_a_super_user_starts_a_review_answers_for_a_user_and_reads_the_outcome(
    as_user: Any, people: dict[str, str]
) -> None:
    reviews = f"/api/v1/organisations/{ORG_A.id}/reviews"
    sue = as_user(people["sue"])
    assert as_user(people["olive"])("POST", reviews).status_code == 403
    assert as_user(people["bob"])("GET", reviews).status_code == 404
    started = sue("POST", reviews)
    assert started.status_code == 201, started.get_json()
    review = started.get_json()
    assert {people["sue"], people["olive"]} <= {i["username"] for i in review["items"]}
    again = sue("POST", reviews)
    assert [e["code"] for e in again.get_json()["errors"]] == ["review-open"]

    olive = f"{reviews}/{review['id']}/users/{people['olive']}"
    no_roles = sue("POST", olive, {"decision": "change-roles"})
    assert [(e["field"], e["code"]) for e in no_roles.get_json()["errors"]] == [
        ("roles", "roles-required")
    ]
    assert sue("POST", olive, {"decision": "keep"}).status_code == 422
    answered = sue("POST", olive, {"decision": "confirm", "reason": "still registers learners"})
    assert answered.status_code == 200, answered.get_json()
    assert (answered.get_json()["outcome"], answered.get_json()["decided_by"]) == (
        "confirm",
        people["sue"],
    )
    shown = sue("GET", f"{reviews}/{review['id']}").get_json()
    [item] = [i for i in shown["items"] if i["username"] == people["olive"]]
    assert item["outcome"] == "confirm" and item["decided_at"]
    [listed] = sue("GET", reviews).get_json()["reviews"]
    assert (listed["id"], listed["status"]) == (review["id"], "open")
    assert listed["unanswered"] == listed["users"] - 1
    assert as_user(people["bob"])("GET", f"{reviews}/{review['id']}").status_code == 404
