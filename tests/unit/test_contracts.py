"""The API's contracts (web/contracts/): declared once, and answering a field that is missing,
unknown or too long as the domain does, whichever way the input arrives: the super users'
API, the help desk's API, the CLI or a form file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.generic_names import default_policy
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.domain.recovery.form import unreadable
from lrs_keycloak.domain.users import (
    DETAIL_FIELDS,
    DETAILS,
    MAX_LENGTHS,
    REQUIRED_DETAILS,
    UserDetails,
    too_long,
    validate_details,
)
from lrs_keycloak.web import context, create_app
from lrs_keycloak.web.contracts import users as c
from lrs_keycloak.web.contracts.helpdesk import NewOrganisation
from lrs_keycloak.web.contracts.recovery import NewSuperUserFormBody
from lrs_keycloak.web.openapi import SPEC
from tests.support.openapi import CheckedClient

POLICY = default_policy()
PERSON: dict[str, Any] = {
    "title": "Ms",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "verification_provided": "HR file 12",
}
FORM: dict[str, Any] = {
    "organisation_id": "anytown-college",
    "nominee_title": "Ms",
    "nominee_given_name": "Ada",
    "nominee_family_name": "Lovelace",
    "nominee_email": "ada@anytown.ac.uk",
    "nominee_telephone": "01632 960 123",
    "manager_name": "Grace Hopper",
    "manager_job_title": "Principal",
    "manager_email": "principal@anytown.ac.uk",
    "manager_signed_agreement": True,
    "form_reference": "NSU-2026-001",
    "received_on": "2026-11-29",
}
BEARER = {"Authorization": "Bearer x"}


def _domain_answer(field: str, value: str = "") -> dict[str, str]:
    """What the domain answers for this detail left blank (or with ``value``)."""
    details = dataclasses.replace(UserDetails(**PERSON), **{field: value})
    errors, _ = validate_details(details, policy=POLICY)
    (found,) = [e for e in errors if e.field == field]
    return found.as_dict()


# --- one declaration -----------------------------------------------------------------------------


def test_the_declaration_names_exactly_the_details_a_user_has_and_which_are_required() -> None:
    fields = dataclasses.fields(UserDetails)
    assert [f.name for f in DETAIL_FIELDS] == [f.name for f in fields]
    no_default = {f.name for f in fields if f.default is dataclasses.MISSING}
    assert set(REQUIRED_DETAILS) == no_default


@pytest.mark.parametrize("field", REQUIRED_DETAILS)
def test_each_required_details_missing_answer_is_the_domains_answer_to_a_blank(
    field: str,
) -> None:
    assert DETAILS[field].missing().as_dict() == _domain_answer(field)


def test_the_api_models_carry_the_declared_fields_and_lengths() -> None:
    schema = SPEC["components"]["schemas"]["NewUser"]
    for field in DETAIL_FIELDS:
        prop = schema["properties"][field.name]
        limits = [prop.get("maxLength")] + [s.get("maxLength") for s in prop.get("anyOf", [])]
        assert field.max_length in limits, field.name
        assert prop["description"] == field.description
    assert set(schema["required"]) == {*REQUIRED_DETAILS, "roles"}
    assert schema["additionalProperties"] is False
    changes = SPEC["components"]["schemas"]["UserChanges"]
    assert "required" not in changes and set(changes["properties"]) == {*DETAILS, "reference"}


def test_every_json_request_body_refuses_unknown_fields() -> None:
    schemas = SPEC["components"]["schemas"]
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            if body is None or "text/csv" in body["content"]:  # a file (an import's), not JSON
                continue
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[name].get("additionalProperties") is False, f"{method} {path}"


# --- the same missing field, the same answer ------------------------------------------------------


class _Admin:
    """A UserAdmin that knows the caller and is never asked anything else: the body is refused
    before any use case runs."""

    def actor(self, username: str, subject: str | None = None) -> Actor:
        return Actor(username, "anytown-college", frozenset({"LRBSuperUser"}), frozenset())


class _Verifier:
    def verify(self, token: str) -> dict[str, Any]:
        return {"preferred_username": "sue.super", "sub": "id-1"}


class _Desk:
    def __init__(self) -> None:
        self.admin = self

    def actor(self, username: str, subject: str | None = None) -> Actor:
        return Actor(username, None, frozenset(), frozenset({HELPDESK_REALM_ROLE}))


@pytest.fixture
def app() -> Flask:
    app = create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})
    app.test_client_class = CheckedClient
    context.provide(app, token_verifier=_Verifier(), user_admin=_Admin(), recovery=_Desk())
    return app


def _errors(answer: Any) -> dict[str, dict[str, str]]:
    assert answer.status_code == 422, answer.get_json()
    return {e["field"]: e for e in answer.get_json()["errors"]}


@pytest.mark.parametrize("field", REQUIRED_DETAILS)
def test_the_super_users_api_answers_a_missing_detail_as_the_domain(app: Flask, field: str) -> None:
    body = {**{k: v for k, v in PERSON.items() if k != field}, "roles": ["LRBOnlineUser"]}
    answer = app.test_client().post(
        "/api/v1/organisations/anytown-college/users", json=body, headers=BEARER
    )
    assert _errors(answer)[field] == _domain_answer(field)
    # null is no value, and gets the same answer
    again = app.test_client().post(
        "/api/v1/organisations/anytown-college/users",
        json={**body, field: None},
        headers=BEARER,
    )
    assert _errors(again)[field] == _domain_answer(field)


@pytest.mark.parametrize("field", REQUIRED_DETAILS)
def test_a_change_clearing_a_required_detail_with_null_gets_the_domains_missing_answer(
    app: Flask, field: str
) -> None:
    # Found by schemathesis: {"family_name": null} was documented and accepted, then a 500.
    answer = app.test_client().patch(
        "/api/v1/organisations/anytown-college/users/olive.online",
        json={field: None},
        headers=BEARER,
    )
    assert _errors(answer)[field] == _domain_answer(field)


def test_the_help_desks_registration_answers_a_missing_detail_as_the_domain(app: Flask) -> None:
    person = {k: v for k, v in PERSON.items() if k != "title"}
    body = {"id": "new-college", "name": "New College", "kind": "college", "super_user": person}
    answer = app.test_client().post("/api/v1/helpdesk/organisations", json=body, headers=BEARER)
    found = _errors(answer)["super_user.title"]
    assert found == {**_domain_answer("title"), "field": "super_user.title"}


def test_an_oversized_detail_is_refused_by_the_domains_answer(app: Flask) -> None:
    long = "x" * (MAX_LENGTHS["family_name"] + 1)
    body = {**PERSON, "family_name": long, "roles": ["LRBOnlineUser"]}
    answer = app.test_client().post(
        "/api/v1/organisations/anytown-college/users", json=body, headers=BEARER
    )
    expected = too_long("family_name", long)
    assert expected is not None
    assert _errors(answer)["family_name"] == expected.as_dict()


def test_unknown_fields_are_refused_by_name(app: Flask) -> None:
    body = {**PERSON, "roles": ["LRBOnlineUser"], "nickname": "Ada", "age": 36}
    answer = app.test_client().post(
        "/api/v1/organisations/anytown-college/users", json=body, headers=BEARER
    )
    errors = _errors(answer)
    assert {errors[n]["code"] for n in ("nickname", "age")} == {"unknown-field"}
    form = app.test_client().post(
        "/api/v1/recovery-cases", json={**FORM, "notes": "x"}, headers=BEARER
    )
    assert _errors(form)["notes"]["code"] == "unknown-field"


def test_a_change_of_something_not_a_detail_is_refused_as_not_editable(app: Flask) -> None:
    answer = app.test_client().patch(
        "/api/v1/organisations/anytown-college/users/ada.lovelace",
        json={"roles": ["LRBSuperUser"]},
        headers=BEARER,
    )
    assert _errors(answer)["roles"]["code"] == "not-editable"


@pytest.mark.parametrize("field", ["nominee_title", "manager_signed_agreement", "received_on"])
def test_a_form_file_and_the_help_desks_api_answer_a_missing_form_field_alike(
    app: Flask, tmp_path: Path, field: str
) -> None:
    from lrs_keycloak.cli.recovery import _load_form

    data = {k: v for k, v in FORM.items() if k != field}
    form_file = tmp_path / "form.yaml"
    form_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RuleViolation) as refused:
        _load_form(form_file)
    from_file = {v.field: v.as_dict() for v in refused.value.violations}
    answer = app.test_client().post("/api/v1/recovery-cases", json=data, headers=BEARER)
    assert _errors(answer)[field] == from_file[field] == unreadable(field).as_dict()


def test_a_form_field_of_the_wrong_kind_is_answered_as_the_domain_reads_it() -> None:
    with pytest.raises(RuleViolation) as api:
        NewSuperUserFormBody.parse({**FORM, "nominee_given_name": 7, "make_primary_contact": "y"})
    answers = {v.field: v for v in api.value.violations}
    assert answers["nominee_given_name"] == unreadable("nominee_given_name")
    assert answers["make_primary_contact"] == unreadable("make_primary_contact")


def test_nested_bodies_name_the_field_by_its_path() -> None:
    with pytest.raises(RuleViolation) as refused:
        NewOrganisation.parse(
            {"id": "x", "name": "X", "kind": "college", "super_user": {**PERSON, "pet": 1}}
        )
    assert [(v.field, v.code) for v in refused.value.violations] == [
        ("super_user.pet", "unknown-field")
    ]


def test_the_cli_answers_a_missing_detail_as_the_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    from lrs_keycloak.cli import main
    from lrs_keycloak.cli import users as cli_users

    class _Refusing:
        def create_user(self, actor: Any, org: str, details: UserDetails, *rest: Any) -> Any:
            errors, _ = validate_details(details, policy=POLICY)
            raise RuleViolation(errors)

    # The CLI's reading of its options, then the use case's check (the domain's), without
    # Keycloak: the option left out reaches the domain as a blank value.
    monkeypatch.setattr(cli_users, "_service", lambda realm: _Refusing())
    args = ["users", "create", "--org", "anytown-college", "--role", "LRBOnlineUser"]
    args += ["--given-name", "Ada", "--family-name", "Lovelace", "--verification", "HR 12"]
    result = CliRunner().invoke(main, args)
    expected = DETAILS["title"].missing()
    assert result.exit_code == 3, result.output
    assert f"Refused: {expected.message} ({expected.rule}; field title)" in result.output


def test_a_user_is_made_json_one_way_whatever_the_use_case_answered() -> None:
    created = {"username": "ada.lovelace", "roles": ["LRBOnlineUser"], "status": "active"}
    created |= {f.name: None for f in DETAIL_FIELDS}
    made = c.user_json(created)
    assert list(made) == list(c.User.model_fields)
    assert (made["enabled"], made["locked"], made["created_at_ms"]) == (True, False, None)
    assert json.loads(json.dumps(made)) == made


def test_an_import_takes_a_csv_file_as_its_body() -> None:
    body = SPEC["paths"]["/api/v1/organisations/{org}/imports"]["post"]["requestBody"]
    assert list(body["content"]) == ["text/csv"] and body["required"] is True
