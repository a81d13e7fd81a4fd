"""Sync against the live Keycloak: the realm the guide needs, idempotent, drift repaired."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs_keycloak.cli import main
from lrs_keycloak.config import ConfigError, RealmPolicy, load_organisations, load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import PROJECT_ROOT, config_dir

from .conftest import gateway_for, new_realm_name

DEMO = PROJECT_ROOT / "realm-config" / "demo" / "organisations.yaml"


def _org_groups(gw: KeycloakGateway) -> dict[str, dict]:
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    assert parent is not None
    return {g["name"]: g for g in gw.list_children(parent["id"])}


def test_after_sync_the_lrs_portal_client_carries_the_eight_guide_roles(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    client = synced_gateway.find_client("lrs-portal")
    assert client is not None
    assert client["publicClient"] is True
    assert client["directAccessGrantsEnabled"] is False
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    roles = {r["name"]: r for r in synced_gateway.list_client_roles(client["id"])}
    assert set(roles) == set(GUIDE_ROLE_NAMES)
    assert all(roles[name]["description"] for name in GUIDE_ROLE_NAMES)


def test_after_sync_accounts_lock_permanently_after_repeated_failed_passwords(
    synced_gateway: KeycloakGateway,
) -> None:
    realm = synced_gateway.get_realm()
    assert realm["bruteForceProtected"] is True
    assert realm["permanentLockout"] is True
    assert realm["failureFactor"] == 5
    assert realm["resetPasswordAllowed"] is True
    assert realm["registrationAllowed"] is False
    assert "length(12)" in realm["passwordPolicy"]
    assert realm["smtpServer"]["host"]


def test_after_sync_login_and_admin_events_are_stored(synced_gateway: KeycloakGateway) -> None:
    events = synced_gateway.get_events_config()
    assert events["eventsEnabled"] is True
    assert events["adminEventsEnabled"] is True
    assert events["adminEventsDetailsEnabled"] is True


def test_after_sync_the_user_profile_records_the_guide_details(
    synced_gateway: KeycloakGateway,
) -> None:
    profile = {a["name"]: a for a in synced_gateway.get_user_profile()["attributes"]}
    for name in (
        "title",
        "firstName",
        "lastName",
        "telephone",
        "mobile",
        "email",
        "preferredLanguage",
        "verificationProvided",
        "staffId",
    ):
        assert name in profile, name
    assert profile["verificationProvided"]["required"]["roles"] == ["admin"]
    assert "required" not in profile["email"]  # recommended, not required (guide §4.2)
    assert profile["preferredLanguage"]["validations"]["options"]["options"] == ["en"]
    assert "lrs-generated-username" in profile["username"]["validations"]
    assert "lrs-person-name" in profile["firstName"]["validations"]
    assert "lrs-person-name" in profile["lastName"]["validations"]


def test_after_sync_the_help_desk_realm_role_and_organisations_group_exist(
    synced_gateway: KeycloakGateway,
) -> None:
    assert "lrs-helpdesk" in {r["name"] for r in synced_gateway.list_realm_roles()}
    assert synced_gateway.find_top_group(ORGANISATIONS_GROUP) is not None


@pytest.mark.parametrize("username", ["User 1", "AdminDepartment", "guest", "reception.desk"])
def test_keycloak_itself_refuses_a_generic_username(
    synced_gateway: KeycloakGateway, username: str
) -> None:
    with pytest.raises(Rejected) as refused:
        synced_gateway.call(
            "POST",
            "/users",
            {
                "username": username,
                "firstName": "Some",
                "lastName": "Body",
                "attributes": {"title": ["Ms"], "verificationProvided": ["HR check"]},
            },
        )
    assert any(d["field"] == "username" for d in refused.value.details)


def test_keycloak_accepts_a_username_made_from_a_persons_names(
    synced_gateway: KeycloakGateway,
) -> None:
    synced_gateway.call(
        "POST",
        "/users",
        {
            "username": "mary-ann.smith-jones",
            "firstName": "Mary Ann",
            "lastName": "Smith-Jones",
            "attributes": {"title": ["Ms"], "verificationProvided": ["HR check"]},
        },
    )
    found = synced_gateway.call("GET", "/users", params={"username": "mary-ann.smith-jones"})
    assert [u["username"] for u in found] == ["mary-ann.smith-jones"]


def test_a_second_sync_writes_nothing(synced_gateway: KeycloakGateway, policy: RealmPolicy) -> None:
    gw = gateway_for(policy.realm)
    before = gw.count_admin_events()
    again = plan(gw, policy)
    assert again.empty, again.describe()
    assert apply(gw, again) == 0
    assert gw.writes == 0
    assert gw.count_admin_events() == before


def test_check_exits_0_when_keycloak_matches(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    result = CliRunner().invoke(main, ["sync", "--check", "--realm", policy.realm])
    assert result.exit_code == 0, result.output


def test_drift_made_by_hand_is_shown_by_plan_and_put_back_by_sync(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    gw = synced_gateway
    client = gw.find_client("lrs-portal")
    gw.call("DELETE", f"/clients/{client['id']}/roles/LRBBatchUser")
    gw.update_realm({"bruteForceProtected": False})

    runner = CliRunner()
    checked = runner.invoke(main, ["sync", "--check", "--realm", policy.realm])
    assert checked.exit_code == 2
    shown = runner.invoke(main, ["sync", "--plan", "--realm", policy.realm])
    assert "create client-role lrs-portal/LRBBatchUser" in shown.output
    assert "bruteForceProtected: False -> True" in shown.output

    repaired = runner.invoke(main, ["sync", "--realm", policy.realm])
    assert repaired.exit_code == 0, repaired.output
    assert gw.get_realm()["bruteForceProtected"] is True
    assert "LRBBatchUser" in {r["name"] for r in gw.list_client_roles(client["id"])}
    assert runner.invoke(main, ["sync", "--check", "--realm", policy.realm]).exit_code == 0


def test_organisations_become_groups_with_their_kind_and_entitlements(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    gw = synced_gateway
    orgs = load_organisations(DEMO, policy)
    apply(gw, plan(gw, policy, orgs))
    groups = _org_groups(gw)
    awarding = groups["fenwick-awards"]["attributes"]
    assert awarding["lrsOrgKind"] == ["awarding-body"]
    assert awarding["lrsEntitlements"] == ["awarding-body"]
    assert groups["hmp-learning-partners"]["attributes"]["lrsEntitlements"] == ["olass"]
    assert plan(gw, policy, orgs).empty


def test_sync_renames_and_removes_only_the_organisations_it_created(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    gw = synced_gateway
    parent = gw.find_top_group(ORGANISATIONS_GROUP)
    gw.create_child_group(parent["id"], {"name": "made-by-hand"})
    orgs = [
        Organisation("alpha-college", "Alpha College", "college", frozenset()),
        Organisation("beta-training", "Beta Training", "training-provider", frozenset()),
    ]
    apply(gw, plan(gw, policy, orgs))
    renamed = [Organisation("alpha-college", "Alpha College Group", "college", frozenset({"plr"}))]
    changes = plan(gw, policy, renamed)
    described = changes.describe()
    assert "update group /organisations/alpha-college" in described
    assert "delete group /organisations/beta-training" in described
    assert "made-by-hand" not in described
    apply(gw, changes)
    groups = _org_groups(gw)
    assert groups["alpha-college"]["attributes"]["lrsOrgName"] == ["Alpha College Group"]
    assert "beta-training" not in groups
    assert "made-by-hand" in groups  # never deletes what it did not create


def test_a_bad_policy_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    broken = tmp_path / "realm-config"
    shutil.copytree(config_dir(), broken)
    roles = broken / "roles.yaml"
    roles.write_text(roles.read_text().replace("  LRBBatchUser:", "  LRBBatchUsr:"))
    realm = new_realm_name()
    with pytest.raises(ConfigError) as refused:
        load_policy(broken, realm=realm)
    assert any(p.file == "roles.yaml" and p.path == "roles" for p in refused.value.problems)

    result = CliRunner().invoke(main, ["sync", "--realm", realm, "--config", str(broken)])
    assert result.exit_code == 1
    assert "roles.yaml: roles:" in result.output
    assert gateway_for(realm).get_realm() is None


def test_after_sync_the_every_logon_agreement_is_a_default_action_and_t_and_c_is_off(
    synced_gateway: KeycloakGateway, policy: RealmPolicy
) -> None:
    actions = {a["alias"]: a for a in synced_gateway.list_required_actions()}
    assert actions["lrs-user-agreement"]["enabled"] is True
    assert actions["lrs-user-agreement"]["defaultAction"] is True
    assert not actions.get("TERMS_AND_CONDITIONS", {}).get("enabled")
    attributes = synced_gateway.get_realm()["attributes"]
    assert attributes["lrsAgreementVersion"] == policy.agreement.current
    assert attributes["lrsAgreementMode"] == "every-logon"
    assert "lrs-webhook" in synced_gateway.get_events_config()["eventsListeners"]


def test_publishing_an_agreement_syncs_the_new_version_and_moves_nothing_else(
    tmp_path: Path,
) -> None:
    """`agreement publish` re-syncs the policy as `sync` reads it (the companion app's client
    completed from the settings), so the realm is left exactly as `sync --check` wants it."""
    realm = new_realm_name()
    config = tmp_path / "realm-config"
    shutil.copytree(config_dir(), config)
    runner = CliRunner()
    try:
        synced = runner.invoke(main, ["sync", "--yes", "--realm", realm, "--config", str(config)])
        assert synced.exit_code == 0, synced.output
        text = tmp_path / "v9.md"
        text.write_text("# LRS User Agreement\n\nThe ninth edition.\n")
        publish = ["agreement", "publish", str(text), "--version", "9", "--realm", realm]
        published = runner.invoke(main, [*publish, "--config", str(config)])
        assert published.exit_code == 0, published.output
        attributes = gateway_for(realm).get_realm()["attributes"]  # type: ignore[index]
        assert attributes["lrsAgreementVersion"] == "9"
        check = runner.invoke(main, ["sync", "--check", "--realm", realm, "--config", str(config)])
        assert check.exit_code == 0, check.output
    finally:
        gateway_for(realm).delete_realm()
