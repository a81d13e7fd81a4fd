"""ADR 0013: an integrating system reads its organisation's users and audit trail, nothing else."""

from __future__ import annotations

import pytest

from lrs_keycloak.domain.api_clients import (
    API_CLIENT_ACTIONS,
    READ_ONLY,
    READ_ONLY_RULE,
    ApiClient,
    check_api_client_action,
    client_id_for,
    identity,
    organisation_of,
    service_account_name,
)
from lrs_keycloak.domain.policies import ACTIONS, UserPolicy

ORG = "anytown-college"


def test_an_integration_is_named_api_client_org_in_the_audit_log() -> None:
    client = ApiClient.of(ORG)
    assert client.username == identity(ORG) == "api-client:anytown-college"
    assert client.organisation_id == ORG


def test_an_integration_holds_no_role_and_is_neither_super_user_nor_help_desk() -> None:
    client = ApiClient.of(ORG)
    assert client.roles == frozenset() and client.realm_roles == frozenset()
    assert not client.is_super_user_of(ORG) and not client.is_helpdesk
    # Wherever a person's powers are checked, it has none.
    assert not any(UserPolicy(client, ORG).may(a) for a in ACTIONS)


@pytest.mark.parametrize("action", sorted(API_CLIENT_ACTIONS))
def test_an_integration_may_read_its_organisation(action: str) -> None:
    assert check_api_client_action(ApiClient.of(ORG), ORG, action) is None


@pytest.mark.parametrize("action", sorted(set(ACTIONS) - API_CLIENT_ACTIONS))
def test_an_integration_may_change_no_access(action: str) -> None:
    refused = check_api_client_action(ApiClient.of(ORG), ORG, action)
    assert refused is not None
    assert refused.code == READ_ONLY and refused.rule == READ_ONLY_RULE
    assert action.replace("_", " ") in refused.message and "super user" in refused.message


def test_an_integration_reads_only_view_and_the_audit_trail() -> None:
    assert {"view", "view_audit"} == API_CLIENT_ACTIONS


def test_another_organisation_is_not_the_rules_to_answer() -> None:
    with pytest.raises(ValueError, match="another organisation"):
        check_api_client_action(ApiClient.of(ORG), "other-college", "view")


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        check_api_client_action(ApiClient.of(ORG), ORG, "teleport")


def test_the_client_id_names_the_organisation() -> None:
    assert client_id_for(ORG) == "lrs-api-anytown-college"
    assert organisation_of("lrs-api-anytown-college") == ORG
    assert service_account_name(ORG) == "service-account-lrs-api-anytown-college"


@pytest.mark.parametrize("azp", ["lrs-portal", "lrs-api-", "lrs-companion", None, 7, "xlrs-api-a"])
def test_other_clients_are_no_organisations_integration(azp: object) -> None:
    assert organisation_of(azp) is None
