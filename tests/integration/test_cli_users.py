"""`lrs-keycloak organisations register` and `lrs-keycloak users …` against the real Keycloak.

Click's CliRunner drives the real command (`lrs_keycloak.cli.main`) on a throwaway realm;
the audit log goes to a SQLite file of this module.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from lrs_keycloak.cli import main
from lrs_keycloak.keycloak.contacts import OrganisationContacts
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
    # The organisation keeps one super user for the last-super-user tests that follow.
    assert run("users", "remove", username, "--org", ORG, "--reason", "test done").exit_code == 0


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


def test_audit_report_csv_lists_every_user_with_roles_and_status(run: Any, super_user: str) -> None:
    """Guide §8: the audit of the user community, as a spreadsheet."""
    result = run("audit", "report", "--org", ORG, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_name = {r["username"]: r for r in rows}
    assert by_name[super_user]["roles"].split() == ["LRBSuperUser"]
    assert by_name[super_user]["status"] == "active"
    assert by_name[super_user]["organisation_id"] == ORG
    assert by_name[super_user]["created_at"].endswith("Z")


def test_audit_report_filters_and_json(run: Any, super_user: str) -> None:
    result = run("audit", "report", "--org", ORG, "--never-logged-on", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert super_user in {r["username"] for r in rows}
    assert all(r["last_logon_ms"] is None for r in rows)
    only_super = run("audit", "report", "--org", ORG, "--role", "LRBSuperUser", "--format", "json")
    assert {r["username"] for r in json.loads(only_super.stdout)} == {super_user}


def test_audit_report_table_for_a_person(run: Any, super_user: str) -> None:
    result = run("audit", "report", "--org", ORG)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:3] == ["organisation_id", "username", "staff_id"]
    assert super_user in result.stdout
    assert result.stdout.rstrip().endswith("users")


def test_audit_report_with_an_unknown_role_exits_3_naming_the_field(
    run: Any, super_user: str
) -> None:
    result = run("audit", "report", "--org", ORG, "--role", "Boss")
    assert result.exit_code == 3
    assert "field role" in result.stderr and "guide §8" in result.stderr


def test_audit_report_of_an_unknown_organisation_exits_1(run: Any, super_user: str) -> None:
    result = run("audit", "report", "--org", "no-such-college")
    assert result.exit_code == 1
    assert "no-such-college" in result.stderr


IMPORT_HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"
IMPORT_ROWS = (
    "Ms,Imogen,Importer,HR batch 7,,ST-76,LRBOnlineUser\n"
    "Mr,Ivor,Importer,HR batch 7,,ST-77,LRBOnlineUser;LRBViewOnlyUser\n"
)


def test_import_creates_each_person_and_a_rerun_creates_no_duplicates(
    run: Any, super_user: str, synced_gateway: KeycloakGateway, tmp_path: Any
) -> None:
    """Guide §2.1: onboarding from the HR file, through the rules of a single creation."""
    path = tmp_path / "people.csv"
    path.write_text(IMPORT_HEADER + IMPORT_ROWS)
    first = run("users", "import", str(path), "--org", ORG, "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert (report["created"], report["existing"]) == (2, 0)
    again = run("users", "import", str(path), "--org", ORG, "--json")
    assert (json.loads(again.stdout)["created"], json.loads(again.stdout)["existing"]) == (0, 2)
    directory = UserDirectory(synced_gateway)
    assert directory.usernames_starting("imogen.importer") == {"imogen.importer"}
    ivor = directory.find_user("ivor.importer")
    assert ivor is not None and ivor.roles == {"LRBOnlineUser", "LRBViewOnlyUser"}


def test_import_with_a_bad_row_writes_nothing_and_names_row_and_field(
    run: Any, super_user: str, synced_gateway: KeycloakGateway, tmp_path: Any
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        IMPORT_HEADER
        + "Ms,Nora,Newcomer,HR batch 8,,ST-80,LRBOnlineUser\n"
        + "Ms,Reception,Desk,HR batch 8,desk@example.org,,LRBOnlineUser\n"
    )
    result = run("users", "import", str(path), "--org", ORG)
    assert result.exit_code == 3
    assert "row 3, field given_name" in result.stderr and "nothing was imported" in result.stderr
    assert UserDirectory(synced_gateway).find_user("nora.newcomer") is None


def test_end_date_and_a_dry_run_of_the_lifecycle(
    run: Any, super_user: str, realm_name: str
) -> None:
    """Guide §4.1: temporary staff; `lifecycle run --dry-run` lists without changing."""

    def lifecycle(*args: str) -> Result:  # it acts as the operator `lifecycle`: no --actor
        return CliRunner().invoke(main, ["lifecycle", "run", *args, "--realm", realm_name])

    made = run(
        "users", "end-date", "--org", ORG, super_user, "--date", "2000-01-01", "--reason", "x"
    )
    assert made.exit_code == 0, made.output
    listed = lifecycle("--org", ORG, "--dry-run", "--json")
    assert listed.exit_code == 0, listed.output
    [step] = [a for a in json.loads(listed.stdout) if a["username"] == super_user]
    assert (step["step"], step["done"], step["note"]) == ("suspend-end-date", False, "dry run")
    cleared = run("users", "end-date", "--org", ORG, super_user, "--clear", "--reason", "kept on")
    assert cleared.exit_code == 0 and "taken off" in cleared.stdout
    again = lifecycle("--org", ORG, "--dry-run", "--json")
    assert super_user not in {a["username"] for a in json.loads(again.stdout)}


def test_end_date_needs_a_date_or_clear(run: Any, super_user: str) -> None:
    result = run("users", "end-date", "--org", ORG, super_user, "--reason", "x")
    assert result.exit_code == 4 and "--date" in result.output


def test_leavers_are_removed_by_staff_id_and_unknown_ids_reported(
    run: Any, super_user: str, synced_gateway: KeycloakGateway, tmp_path: Any
) -> None:
    """Guide §2.1, §7: the HR feed of leavers; removed as lifecycle.yaml says, each audited."""
    feed = tmp_path / "people.csv"
    feed.write_text(IMPORT_HEADER + "Mr,Lenny,Leaver,HR batch 9,,ST-90,LRBOnlineUser\n")
    assert run("users", "import", str(feed), "--org", ORG).exit_code == 0
    left = tmp_path / "leavers.csv"
    left.write_text("staff_id,reason\nst-90,end of contract\nST-404,\n")
    tried = run("users", "leavers", str(left), "--org", ORG, "--dry-run", "--json")
    assert json.loads(tried.stdout)["accounts"][0]["note"] == "dry run"
    assert UserDirectory(synced_gateway).find_user("lenny.leaver") is not None
    result = run("users", "leavers", str(left), "--org", ORG, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["action"] == "remove" and report["unmatched_staff_ids"] == ["ST-404"]
    assert [(a["username"], a["done"]) for a in report["accounts"]] == [("lenny.leaver", True)]
    assert UserDirectory(synced_gateway).find_user("lenny.leaver") is None


def test_the_initial_super_user_is_recorded_as_the_primary_contact(
    run: Any, super_user: str, synced_gateway: KeycloakGateway
) -> None:
    """Guide §9: the initial Super User of the application form is MIAP's primary contact."""
    group = UserDirectory(synced_gateway).find_organisation(ORG)
    assert group is not None
    assert OrganisationContacts(synced_gateway).primary_contact(group.group_id) == super_user
