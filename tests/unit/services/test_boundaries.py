"""The API and the CLI refuse an oversized value naming its field before calling anything, and
answer a repeated creation with the account already made (issue 9 §2a, §2c)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.cli import main
from lrs_keycloak.cli import users as cli_users
from lrs_keycloak.domain.users import MAX_LENGTHS
from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.locks import OrganisationBusy
from lrs_keycloak.web import context, create_app
from tests.support.openapi import CheckedClient
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory

USERS = f"/api/v1/organisations/{COLLEGE.id}/users"
JANE = {
    "title": "Ms",
    "given_name": "Jane",
    "family_name": "Doe",
    "verification_provided": "HR ref 42",
    "staff_id": "E104",
    "roles": ["LRBOnlineUser"],
}


class _Verifier:
    def __init__(self, directory: FakeDirectory) -> None:
        self.directory = directory

    def verify(self, token: str) -> dict[str, Any]:
        sue = self.directory.by_name("sue.super")
        assert sue is not None
        return {"preferred_username": "sue.super", "sub": sue.id}


def _client(admin: UserAdmin, directory: FakeDirectory) -> FlaskClient:
    app: Flask = create_app(
        {"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"}
    )
    app.test_client_class = CheckedClient  # each answer must be one the document describes
    context.provide(app, token_verifier=_Verifier(directory), user_admin=admin)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer x"
    return client


@pytest.fixture
def api(admin: UserAdmin, directory: FakeDirectory) -> FlaskClient:
    return _client(admin, directory)


def _fields(answer: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in answer.get_json()["errors"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/olive.online/roles", {"roles": ["LRBBatchUser"], "reference": "R" * 300}),
        ("PATCH", "/olive.online", {"staff_id": "S-1", "reference": "R" * 300}),
        ("POST", "", {**JANE, "reference": "R" * 300}),
    ],
)
def test_api_refuses_a_reference_longer_than_the_audit_log_keeps_naming_it(
    api: FlaskClient,
    directory: FakeDirectory,
    audit: AuditLog,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    before = {u.username: (u.roles, dict(u.attributes)) for u in directory.users.values()}
    answer = api.open(USERS + path, method=method, json=body)
    assert answer.status_code == 422 and _fields(answer) == [("reference", "too-long")]
    assert {u.username: (u.roles, dict(u.attributes)) for u in directory.users.values()} == before
    assert audit.events() == []


@pytest.mark.parametrize("field", ["given_name", "family_name", "verification_provided"])
def test_api_refuses_an_oversized_detail_by_name(api: FlaskClient, field: str) -> None:
    answer = api.post(USERS, json={**JANE, field: "A" * 5_000})
    assert answer.status_code == 422 and _fields(answer) == [(field, "too-long")]


@pytest.mark.parametrize("where", ["body", "query"])
def test_api_refuses_an_oversized_reason(api: FlaskClient, where: str) -> None:
    reason = "r" * (MAX_LENGTHS["reason"] + 1)
    if where == "body":
        answer = api.post(f"{USERS}/olive.online/suspend", json={"reason": reason})
    else:
        answer = api.delete(f"{USERS}/olive.online", query_string={"reason": reason})
    assert answer.status_code == 422 and _fields(answer) == [("reason", "too-long")]


def test_api_answers_a_repeated_creation_with_the_account_already_made(
    api: FlaskClient, directory: FakeDirectory
) -> None:
    # Without a key (or with a new one) the person is recognised by names and staff ID; a retry
    # with the same key is answered from the key (test_idempotency_keys).
    first = api.post(USERS, json=JANE, headers={"Idempotency-Key": "create-jane-1"})
    again = api.post(USERS, json=JANE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.headers["Idempotency-Key"] == "create-jane-1"
    assert again.headers["Location"] == first.headers["Location"]
    body = again.get_json()
    assert body["existing"] is True and "event_id" not in body
    assert [w["code"] for w in body["warnings"]] == ["person-already-registered"]
    assert sum(u.username.startswith("jane.doe") for u in directory.users.values()) == 1


def test_api_answers_503_with_retry_after_when_the_organisation_stays_busy(
    directory: FakeDirectory, audit: AuditLog, realm_policy: Any
) -> None:
    @contextmanager
    def busy(org_id: str, subject: str = "") -> Iterator[None]:
        raise OrganisationBusy(f"{org_id} is busy; try again")
        yield

    admin = UserAdmin(directory, audit, realm_policy, locks=busy)
    answer = _client(admin, directory).post(
        f"{USERS}/olive.online/suspend", json={"reason": "left"}
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert _fields(answer) == [("", "organisation-busy")]
    user = directory.by_name("olive.online")
    assert user is not None and user.enabled


@pytest.mark.parametrize(
    "args",
    [
        ["roles", "olive.online", "--role", "LRBBatchUser", "--reference", "R" * 300],
        ["suspend", "olive.online", "--reason", "r" * 1001],
        ["remove", "olive.online", "--reason", "r" * 1001],
        ["update", "olive.online", "--given-name", "A" * 400_000],
        [
            "create",
            "--title",
            "Ms",
            "--given-name",
            "Jane",
            "--family-name",
            "Doe",
            "--verification",
            "HR",
            "--role",
            "LRBOnlineUser",
            "--reference",
            "R" * 300,
        ],
    ],
    ids=["roles", "suspend", "remove", "update", "create"],
)
def test_cli_refuses_an_oversized_value_with_exit_3_before_reaching_keycloak(
    monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    def unreachable(realm: str | None) -> UserAdmin:
        raise AssertionError("the length check comes first")

    monkeypatch.setattr(cli_users, "_service", unreachable)
    done = CliRunner().invoke(main, ["users", *args, "--org", COLLEGE.id])
    assert done.exit_code == 3, done.output
    assert "Refused: Shorten the" in done.output
