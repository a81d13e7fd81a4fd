"""`lrs-keycloak organisations register` and `lrs-keycloak users …` against the real Keycloak.

Click's CliRunner drives the real command (`lrs_keycloak.cli.main`) on a throwaway realm;
the audit log goes to a SQLite file of this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lrs_keycloak.cli import main
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.signatories import SignatoryStore
from tests.support.oidc import log_on

ORG = "lakeside-college"
PERSON = ["--title", "Ms", "--verification", "HR file 3"]


@pytest.fixture(scope="module")
def database(tmp_path_factory: Any) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'audit.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LRS_DATABASE_URL", url)
        yield url


@pytest.fixture(scope="module")
def run(realm_name: str, synced_gateway: KeycloakGateway, database: str) -> Any:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--realm", realm_name, "--actor", "it-operator"])

    return invoke


@pytest.fixture(scope="module")
def super_user(run: Any) -> str:
    result = run(
        "organisations", "register", "--id", ORG, "--name", "Lakeside College",
        "--kind", "college", "--entitlement", "plr",
        "--given-name", "Sue", "--family-name", "Super", *PERSON, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    username: str = json.loads(result.stdout)["user"]["username"]
    return username


def _create(run: Any, given: str, family: str, *roles: str) -> str:
    role_args = [a for r in roles for a in ("--role", r)]
    result = run(
        "users", "create", "--org", ORG, "--given-name", given, "--family-name", family,
        *PERSON, *role_args, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    username: str = json.loads(result.stdout)["user"]["username"]
    return username


def test_register_organisation_creates_group_and_initial_super_user(
    super_user: str, synced_gateway: KeycloakGateway, database: str
) -> None:
    directory = UserDirectory(synced_gateway)
    group = directory.find_organisation(ORG)
    assert group is not None and group.organisation.entitlements == frozenset({"plr"})
    user = directory.find_user(super_user)
    assert user is not None and user.roles == frozenset({"LRBSuperUser"})
    [event] = AuditLog(make_engine(database)).events(ORG, action="organisation_registered")
    assert event.actor == "operator:it-operator"


def test_create_user_json_output_parses_with_generated_username_and_warnings(
    run: Any, super_user: str
) -> None:
    result = run(
        "users", "create", "--org", ORG, "--given-name", "Siobhán", "--family-name", "O'Neill",
        *PERSON, "--role", "LRBOnlineUser", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["user"]["username"] == "siobhan.oneill"
    assert body["user"]["roles"] == ["LRBOnlineUser"]
    assert [w["code"] for w in body["warnings"]] == ["email-missing"]
    assert isinstance(body["event_id"], int)


def test_create_user_human_output_names_the_account(run: Any, super_user: str) -> None:
    result = run(
        "users", "create", "--org", ORG, "--given-name", "Huw", "--family-name", "Jones",
        *PERSON, "--role", "LRBViewOnlyUser",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created huw.jones in lakeside-college with LRBViewOnlyUser." in result.stdout
    assert "Warning:" in result.stdout


def test_generic_name_exits_3_with_the_rule(run: Any, super_user: str) -> None:
    result = run(
        "users", "create", "--org", ORG, "--given-name", "Reception", "--family-name", "Desk",
        *PERSON, "--role", "LRBOnlineUser",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "Refused:" in result.stderr and "§4.2" in result.stderr
    assert result.stdout == ""


def test_role_the_organisation_is_not_entitled_to_exits_3(run: Any, super_user: str) -> None:
    result = run(
        "users", "create", "--org", ORG, "--given-name", "Ravi", "--family-name", "Shah",
        *PERSON, "--role", "LearnerPlanUser",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "LearnerPlanUser" in result.stderr and "§10.4" in result.stderr


def test_unknown_organisation_exits_1(run: Any, super_user: str) -> None:
    result = run(
        "users", "create", "--org", "no-such-org", "--given-name", "Ann", "--family-name", "Lee",
        *PERSON, "--role", "LRBOnlineUser",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no-such-org" in result.stderr


def test_list_json_shows_users_and_the_deputies_warning(run: Any, super_user: str) -> None:
    username = _create(run, "Lara", "Listed", "LRBOnlineUser")
    result = run("users", "list", "--org", ORG, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    listed = {u["username"]: u for u in body["users"]}
    assert {super_user, username} <= listed.keys()
    assert listed[username]["status"] == "active"
    assert "too-few-super-users" in {w["code"] for w in body["warnings"]}
    human = run("users", "list", "--org", ORG, "--search", "lara")
    assert human.exit_code == 0 and username in human.stdout and super_user not in human.stdout


def test_update_changes_only_the_given_details(run: Any, super_user: str) -> None:
    username = _create(run, "Uma", "Updated", "LRBOnlineUser")
    result = run("users", "update", username, "--org", ORG, "--telephone", "01632 960 123")
    assert result.exit_code == 0, result.output
    shown = json.loads(run("users", "list", "--org", ORG, "--search", username, "--json").stdout)
    [user] = shown["users"]
    assert (user["telephone"], user["given_name"]) == ("01632 960 123", "Uma")


def test_update_with_nothing_to_change_is_a_usage_error(run: Any, super_user: str) -> None:
    assert run("users", "update", super_user, "--org", ORG).exit_code == 4


def test_roles_change_giving_more_access_needs_a_reference(run: Any, super_user: str) -> None:
    username = _create(run, "Rhys", "Roles", "LRBOnlineUser")
    more = ["--role", "LRBOnlineUser", "--role", "LRBViewOnlyUser"]
    refused = run("users", "roles", username, "--org", ORG, *more)
    assert refused.exit_code == 3 and "authorisation" in refused.stderr
    done = run("users", "roles", username, "--org", ORG, *more, "--reference", "CHG-7", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["user"]["roles"] == ["LRBOnlineUser", "LRBViewOnlyUser"]


def test_suspend_reinstate_remove(run: Any, super_user: str, database: str) -> None:
    username = _create(run, "Sian", "Cycle", "LRBOnlineUser")
    suspended = run("users", "suspend", username, "--org", ORG, "--reason", "long leave")
    assert suspended.exit_code == 0, suspended.output
    listed = json.loads(
        run("users", "list", "--org", ORG, "--status", "suspended", "--json").stdout
    )
    assert username in {u["username"] for u in listed["users"]}
    reinstated = run("users", "reinstate", username, "--org", ORG, "--reason", "back", "--json")
    assert reinstated.exit_code == 0, reinstated.output
    assert json.loads(reinstated.stdout)["user"]["status"] == "active"
    removed = run("users", "remove", username, "--org", ORG, "--reason", "left")
    assert removed.exit_code == 0, removed.output
    events = AuditLog(make_engine(database)).events(ORG, target=username)
    assert [e.action for e in events] == [
        "user_removed",
        "user_reinstated",
        "user_suspended",
        "user_created",
    ]


def test_reset_second_factor_deletes_the_authenticator_recorded_with_the_check(
    run: Any, super_user: str, synced_gateway: KeycloakGateway, database: str
) -> None:
    username = _create(run, "Dev", "Deputy", "LRBSuperUser")
    directory = UserDirectory(synced_gateway)
    user = directory.find_user(username)
    assert user is not None
    synced_gateway.call(
        "PUT",
        f"/users/{user.id}/reset-password",
        {"type": "password", "value": "a long enough passphrase 42", "temporary": False},
    )
    assert log_on(synced_gateway.realm, username, "a long enough passphrase 42").factor_set_up
    assert directory.second_factors(user.id)

    reason = ["--reason", "lost phone; identity checked by a call back"]
    result = run("users", "reset-second-factor", username, "--org", ORG, *reason)
    assert result.exit_code == 0, result.output
    assert "set up a new authenticator app" in result.stdout
    assert directory.second_factors(user.id) == []
    (event,) = AuditLog(make_engine(database)).events(ORG, action="second_factor_reset")
    assert (event.actor, event.target) == ("operator:it-operator", username)
    assert event.reason == "lost phone; identity checked by a call back"

    again = run("users", "reset-second-factor", username, "--org", ORG, *reason)
    assert again.exit_code == 3
    assert "no authenticator app set up" in again.stderr


def test_suspending_the_last_super_user_exits_3(run: Any, super_user: str) -> None:
    result = run("users", "suspend", super_user, "--org", ORG, "--reason", "test")
    assert result.exit_code == 3
    assert "only active super user" in result.stderr and "guide §3" in result.stderr


def test_suspend_without_reason_is_a_usage_error(run: Any, super_user: str) -> None:
    assert run("users", "suspend", super_user, "--org", ORG).exit_code == 4


def test_registering_an_existing_organisation_exits_3(run: Any, super_user: str) -> None:
    result = run(
        "organisations", "register", "--id", ORG, "--name", "Again", "--kind", "college",
        "--given-name", "Ann", "--family-name", "Other", *PERSON,
    )  # fmt: skip
    assert result.exit_code == 3
    assert "already registered" in result.stderr


def test_register_with_the_agreement_signatory_records_them_audited(
    run: Any, synced_gateway: KeycloakGateway, database: str
) -> None:
    result = run(
        "organisations", "register", "--id", "signed-sixth-form", "--name", "Signed Sixth Form",
        "--kind", "college", "--given-name", "Sal", "--family-name", "Signer", *PERSON,
        "--signatory-name", "Pat Principal", "--signatory-email", "pat@signed.example.org",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no-signatory-recorded" not in result.stdout
    recorded = SignatoryStore(make_engine(database)).get("signed-sixth-form")
    assert recorded is not None and recorded.signatory.email == "pat@signed.example.org"
    assert recorded.recorded_by == "operator:it-operator"
    [event] = AuditLog(make_engine(database)).events(
        "signed-sixth-form", action="organisation_signatory_recorded"
    )
    assert event.details["at_registration"] is True


def test_register_with_a_bad_signatory_email_creates_nothing(
    run: Any, synced_gateway: KeycloakGateway
) -> None:
    result = run(
        "organisations", "register", "--id", "unsigned-sixth-form", "--name", "Unsigned Form",
        "--kind", "college", "--given-name", "Uma", "--family-name", "Unsigned", *PERSON,
        "--signatory-name", "Pat Principal", "--signatory-email", "not-an-address",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "signatory_email" in result.stderr
    assert UserDirectory(synced_gateway).find_organisation("unsigned-sixth-form") is None


def test_register_without_a_signatory_warns_that_recovery_is_paper_only(run: Any) -> None:
    result = run(
        "organisations", "register", "--id", "unsigned-college", "--name", "Unsigned College",
        "--kind", "college", "--given-name", "Una", "--family-name", "Nosign", *PERSON, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no-signatory-recorded" in [w["code"] for w in json.loads(result.stdout)["warnings"]]
