"""The API against its own document (issue 14): schemathesis generates requests from the OpenAPI
document the app serves and checks every answer against it.

Every documented operation is called by each kind of caller, with real tokens from the live
Keycloak (browser-flow logons, tests/support/oidc.py): a super user of the organisation, a plain
user of it, a MIAP help desk agent, another organisation's super user, the super user's token
once it has run out (issued by Keycloak while the realm's tokens lived one second), no token,
and a token that is garbage. An operation the document marks as open to anyone (no security)
is called once, without a token: every caller gets the same answer there. For each
(operation, caller) schemathesis draws ``EXAMPLES`` cases, valid ones
and invalid ones (``GenerationMode.all``), with a fixed seed; half of them aim at the
organisation and a user that exist (``_aimed``), else nearly every call would be a 404.

The checks are schemathesis' own: no 5xx, the status is documented for the operation, the
content type, the headers and the body match what the document says for that status, and
invalid data is refused. Not ``positive_data_acceptance``: the guide refuses much that the
document's schema allows (an unknown role's name, a second super user without a reference),
and those answers are documented 422s.

The module's realm (organisations, users, cases) is deleted afterwards (tests/integration
conftest). Counts: ``CASES`` holds what ran, printed when the module ends (``-s``) and quoted
in docs/api.md.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.services.user_admin import Operator
from lrs_keycloak.web import create_app
from lrs_keycloak.web.context import user_admin
from lrs_keycloak.web.openapi import SPEC
from tests.support.helpdesk import make_agent
from tests.support.oidc import Tokens, tokens
from tests.support.people import set_password
from tests.support.smtp import Inbox, realm_mail

PASSWORD = "a long enough passphrase 42"
#: Cases per (operation, caller); LRS_SCHEMA_EXAMPLES raises it for a deeper run by hand.
EXAMPLES = int(os.environ.get("LRS_SCHEMA_EXAMPLES", "10"))
ORG_A = Organisation("ash-college", "Ash College", "college", frozenset())
ORG_B = Organisation("birch-training", "Birch Training", "training-provider", frozenset())
CALLERS = (
    "super-user",
    "plain-user",
    "help-desk",
    "other-super-user",
    "expired",
    "no-token",
    "garbage",
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: What ran, by caller and status; printed when the module ends.
CASES: Counter[tuple[str, int]] = Counter()

SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _pairs() -> list[Any]:
    """Each (operation, caller) that can answer differently: an operation without security
    answers every caller alike, so it is called without a token only."""
    return [
        pytest.param(operation, caller, id=f"{_label(operation)}-{caller}")
        for operation in OPERATIONS
        for caller in (CALLERS if operation.definition.raw.get("security", True) else ("no-token",))
    ]


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


@dataclass(frozen=True)
class World:
    app: Flask
    tokens: Tokens
    #: The callers who log on, by caller.
    people: dict[str, str]
    #: Real values for the path's parameters, used by the cases aimed at them.
    aimed: dict[str, str]
    #: The super user's access token, run out.
    expired: str


@pytest.fixture(scope="module")
def inbox(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    """Set-password and approval emails go to a real SMTP server."""
    with realm_mail(synced_gateway) as box:
        yield box


@pytest.fixture(scope="module")
def world(
    realm_name: str, synced_gateway: KeycloakGateway, inbox: Inbox, tmp_path_factory: Any
) -> World:
    db = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "LRS_REALM": realm_name,
            "LRS_DATABASE_URL": f"sqlite:///{db}",
            "LRS_SMTP_PORT": inbox.port,
        }
    )
    admin = user_admin(app)
    operator = Operator("schema-tests")
    sue = admin.register_organisation(
        operator, ORG_A, UserDetails("Ms", "Sue", "Ash", "MIAP form A")
    ).user
    bob = admin.register_organisation(
        operator, ORG_B, UserDetails("Mr", "Bob", "Birch", "MIAP form B")
    ).user
    olive = admin.create_user(
        operator, ORG_A.id, UserDetails("Ms", "Olive", "Ash", "HR 7"), ["LRBOnlineUser"]
    ).user
    # The user the aimed cases change, suspend or remove: not one whose token a caller uses.
    target = admin.create_user(
        operator, ORG_A.id, UserDetails("Mr", "Tom", "Target", "HR 8"), ["LRBOnlineUser"]
    ).user
    assert sue and bob and olive and target
    hal = make_agent(synced_gateway, "Hal", "Desk")
    people = {
        "super-user": sue["username"],
        "plain-user": olive["username"],
        "other-super-user": bob["username"],
    }
    for username in people.values():
        set_password(synced_gateway, username, PASSWORD)
    people["help-desk"] = hal
    tokens = Tokens(realm_name, PASSWORD)
    for username in people.values():
        tokens.access(username)  # each logs on once now (the rest of the run: when it expires)
    aimed = {"org": ORG_A.id, "org_id": ORG_A.id, "username": target["username"]}
    expired = _expired(synced_gateway, realm_name, sue["username"])
    # Refused for having run out, not for anything else about it.
    answer = app.test_client().get(
        f"/api/v1/organisations/{ORG_A.id}/users", headers={"Authorization": f"Bearer {expired}"}
    )
    assert answer.status_code == 401
    assert answer.get_json()["errors"][0]["code"] == "token-expired"
    return World(app, tokens, people, aimed, expired)


def _expired(gateway: KeycloakGateway, realm: str, username: str) -> str:
    """A real access token of ``username`` that has run out: Keycloak issues it while the
    realm's access tokens live one second, and the lifespan is put back at once."""
    lifespan = gateway.get_realm()["accessTokenLifespan"]
    gateway.update_realm({"accessTokenLifespan": 1})
    try:
        found = tokens(realm, username, PASSWORD)
    finally:
        gateway.update_realm({"accessTokenLifespan": lifespan})
    assert found["expires_in"] <= 1
    time.sleep(2)
    return str(found["access_token"])


@pytest.fixture(scope="module", autouse=True)
def counts() -> Iterator[None]:
    """The counts of what ran, when the module ends (``-s`` shows them), for docs/api.md."""
    yield
    by_caller: Counter[str] = Counter()
    for (caller, _status), n in CASES.items():
        by_caller[caller] += n
    print(f"\nschemathesis: {sum(CASES.values())} cases, {len(OPERATIONS)} operations")
    for caller, n in sorted(by_caller.items()):
        statuses = {s: c for (who, s), c in sorted(CASES.items()) if who == caller}
        print(f"  {caller:17} {n:5}  {statuses}")


def _headers(world: World, caller: str) -> dict[str, str]:
    """The caller's Authorization header, with a token that has not expired."""
    if caller == "no-token":
        return {}
    if caller == "garbage":
        return {"Authorization": "Bearer not.a-token.at-all"}
    if caller == "expired":
        return {"Authorization": f"Bearer {world.expired}"}
    return {"Authorization": f"Bearer {world.tokens.access(world.people[caller])}"}


def _aimed(case: Any, aimed: dict[str, str]) -> Any:
    """The case with its path naming the organisation and user that exist."""
    for name in list(case.path_parameters or {}):
        if name in aimed:
            case.path_parameters[name] = aimed[name]
    return case


@pytest.mark.parametrize(("operation", "caller"), _pairs())
def test_every_answer_matches_the_document(world: World, operation: Any, caller: str) -> None:
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    strategy = st.tuples(st.one_of(*modes), st.booleans())

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(drawn=strategy)
    def check(drawn: tuple[Any, bool]) -> None:
        case, aim = drawn
        if aim:
            case = _aimed(case, world.aimed)
        headers = _headers(world, caller)
        response = case.call(app=world.app, headers=headers)
        CASES[(caller, response.status_code)] += 1
        if os.environ.get("LRS_SCHEMA_TRACE"):
            print(caller, response.status_code, case.method, case.formatted_path, case.headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()
