"""ADR 0013 against the real Keycloak: an organisation's integrating system gets a token by the
client-credentials grant and reads its own organisation through the JSON API, nothing more; the
secret rotates and the client is deleted (a throwaway realm per module)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask

from lrs_keycloak.cli import main
from lrs_keycloak.domain.api_clients import READ_ONLY_RULE
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.services.api_clients import ApiClients
from lrs_keycloak.services.user_admin import Operator, UserAdmin
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.web import context, create_app
from tests.support.openapi import check_response
from tests.support.smtp import Inbox, realm_mail

ORG_A = Organisation("anytown-college", "Anytown College", "college", frozenset())
ORG_B = Organisation("bigcity-training", "Bigcity Training", "training-provider", frozenset())
SUE = UserDetails("Ms", "Sue", "Super", "MIAP sign-up form A")
BOB = UserDetails("Mr", "Bob", "Boss", "MIAP sign-up form B")
OPERATOR = Operator("api-client-tests")


@pytest.fixture(scope="module")
def smtp(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def app(realm_name: str, smtp: Inbox, tmp_path_factory: Any) -> Flask:
    db = tmp_path_factory.mktemp("api-clients") / "api.sqlite"
    return create_app(
        {"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": f"sqlite:///{db}"}
    )


@pytest.fixture(scope="module")
def admin(app: Flask) -> UserAdmin:
    made = context.user_admin(app)
    made.register_organisation(OPERATOR, ORG_A, SUE)
    made.register_organisation(OPERATOR, ORG_B, BOB)
    return made


@pytest.fixture(scope="module")
def clients(app: Flask, admin: UserAdmin) -> ApiClients:
    return context.root(app).api_clients()


def _token_url(realm: str) -> str:
    return f"{keycloak_settings(realm).issuer_url}/realms/{realm}/protocol/openid-connect/token"


def _grant(realm: str, client_id: str, secret: str) -> requests.Response:
    return requests.post(
        _token_url(realm),
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=30,
    )


def _token(realm: str, client_id: str, secret: str) -> str:
    answer = _grant(realm, client_id, secret)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _api(app: Flask, token: str, method: str, path: str, **kw: Any) -> Any:
    answer = app.test_client().open(
        path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw
    )
    check_response(method, path, answer.status_code, answer.get_json())
    return answer


A_USERS = f"/api/v1/organisations/{ORG_A.id}/users"


def test_an_integration_gets_a_token_and_reads_only_its_organisation(
    app: Flask, clients: ApiClients, realm_name: str
) -> None:
    issued = clients.create(OPERATOR, ORG_A.id)
    assert issued.client_id == "lrs-api-anytown-college"
    token = _token(realm_name, issued.client_id, issued.secret)

    listed = _api(app, token, "GET", A_USERS)
    assert listed.status_code == 200, listed.get_json()
    names = [u["username"] for u in listed.get_json()["users"]]
    assert len(names) == 1 and not any(n.startswith("service-account-") for n in names)
    one = _api(app, token, "GET", f"{A_USERS}/{names[0]}")
    assert one.status_code == 200

    other = _api(app, token, "GET", f"/api/v1/organisations/{ORG_B.id}/users")
    assert other.status_code == 404

    refused = _api(
        app,
        token,
        "POST",
        f"{A_USERS}/{names[0]}/suspend",
        json={"reason": "an integration tries to suspend"},
    )
    assert refused.status_code == 403
    assert READ_ONLY_RULE in refused.get_json()["errors"][0]["message"]
    created = _api(
        app,
        token,
        "POST",
        A_USERS,
        json={
            "title": "Ms",
            "given_name": "Ida",
            "family_name": "Integration",
            "verification_provided": "HR 9",
            "roles": ["LRBOnlineUser"],
            "reference": "HR 9",
        },
    )
    assert created.status_code == 403

    trail = _api(app, token, "GET", f"/api/v1/organisations/{ORG_A.id}/audit-events")
    assert trail.status_code == 200
    events = trail.get_json()["events"]
    made = [e for e in events if e["action"] == "api_client_created"]
    assert made and made[0]["target"] == "api-client:anytown-college"
    assert made[0]["actor"] == "operator:api-client-tests"
    assert all(e["actor"] != "api-client:anytown-college" for e in events)  # it changed nothing


def test_rotation_stops_the_old_secret_and_deletion_the_client(
    app: Flask, clients: ApiClients, admin: UserAdmin, realm_name: str
) -> None:
    issued = clients.create(OPERATOR, ORG_B.id)
    before = _token(realm_name, issued.client_id, issued.secret)

    rotated = clients.rotate(OPERATOR, ORG_B.id)
    assert rotated.secret != issued.secret
    assert _grant(realm_name, issued.client_id, issued.secret).status_code == 401
    after = _token(realm_name, rotated.client_id, rotated.secret)
    assert _api(app, after, "GET", f"/api/v1/organisations/{ORG_B.id}/users").status_code == 200

    clients.delete(OPERATOR, ORG_B.id)
    assert clients.clients.find(issued.client_id) is None
    for token in (before, after):  # unexpired, but their client is gone
        gone = _api(app, token, "GET", f"/api/v1/organisations/{ORG_B.id}/users")
        assert gone.status_code == 401
    assert _grant(realm_name, rotated.client_id, rotated.secret).status_code in (400, 401)

    trail = [e for e in admin.audit.events(ORG_B.id) if e.target == "api-client:bigcity-training"]
    assert [e.action for e in trail] == [
        "api_client_deleted",
        "api_client_secret_rotated",
        "api_client_created",
    ]


def test_the_cli_creates_and_deletes_a_client(
    clients: ApiClients, realm_name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # The CLI's store: its own SQLite file here (the organisation comes from Keycloak).
    monkeypatch.setenv("LRS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    runner = CliRunner()
    base = ["--org", ORG_A.id, "--realm", realm_name, "--actor", "ops"]
    runner.invoke(main, ["db", "upgrade"], catch_exceptions=False)
    clients.delete(OPERATOR, ORG_A.id)  # the first test's
    made = runner.invoke(main, ["organisations", "api-client", "create", *base, "--json"])
    assert made.exit_code == 0, made.output
    shown = json.loads(made.output)
    assert shown["client_id"] == "lrs-api-anytown-college"
    assert shown["token_url"] == _token_url(realm_name)
    assert _token(realm_name, shown["client_id"], shown["client_secret"])

    again = runner.invoke(main, ["organisations", "api-client", "create", *base])
    assert again.exit_code == 3 and "already has an API client" in again.output

    gone = runner.invoke(main, ["organisations", "api-client", "delete", *base])
    assert gone.exit_code == 0, gone.output
    assert _grant(realm_name, shown["client_id"], shown["client_secret"]).status_code in (400, 401)
