"""Plan computation without a server: what changes, in which order, and what is never touched."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.names import AGREEMENT_ACTION, BUILT_IN_TERMS
from lrs_keycloak.keycloak.sync import plan
from lrs_keycloak.keycloak.sync.groups import organisation_attributes
from lrs_keycloak.keycloak.sync.live import diff
from lrs_keycloak.keycloak.sync.localization import desired_messages
from lrs_keycloak.keycloak.sync.realm import MASKED_SECRET, desired_realm
from lrs_keycloak.keycloak.sync.required_actions import MissingProvider
from lrs_keycloak.keycloak.sync.user_profile import desired_profile_attributes
from lrs_keycloak.settings import config_dir

# Admin-console scoping and the second factor have their own tests against the live server
# (test_scoped_admin.py, test_second_factor.py).
POLICY = dataclasses.replace(
    load_policy(config_dir()), admin_console_scoped=False, second_factor=None
)


class FakeGateway:
    """The read side of the gateway over in-memory state (what a synced realm returns)."""

    def __init__(self, realm: dict[str, Any] | None, children: list[dict[str, Any]] | None = None):
        self.realm = realm
        self.children = children or []
        self.required_actions = [
            {
                "alias": AGREEMENT_ACTION,
                "providerId": AGREEMENT_ACTION,
                "enabled": True,
                "defaultAction": True,
            },
            {
                "alias": BUILT_IN_TERMS,
                "providerId": BUILT_IN_TERMS,
                "enabled": False,
                "defaultAction": False,
            },
        ]
        self.unregistered: list[dict[str, Any]] = []
        self.settings = type("S", (), {"url": "http://kc.test"})()

    def list_required_actions(self) -> list[dict[str, Any]]:
        return self.required_actions

    def list_unregistered_required_actions(self) -> list[dict[str, Any]]:
        return self.unregistered

    def get_realm(self) -> dict[str, Any] | None:
        return self.realm

    def get_localization(self, locale: str) -> dict[str, str]:
        return desired_messages(POLICY)

    def get_user_profile(self) -> dict[str, Any]:
        return {
            "unmanagedAttributePolicy": POLICY.user_profile["unmanagedAttributePolicy"],
            "attributes": desired_profile_attributes(POLICY),
        }

    def get_events_config(self) -> dict[str, Any]:
        return dict(POLICY.events)

    def list_realm_roles(self) -> list[dict[str, Any]]:
        return [{"name": n, "description": d} for n, d in POLICY.realm_roles.items()]

    def find_client(self, client_id: str) -> dict[str, Any]:
        if client_id == POLICY.companion_client.get("clientId"):
            return {"id": "c2", **POLICY.companion_client}  # the companion app's own client
        return {"id": "c1", **POLICY.client}

    def list_client_roles(self, client_uuid: str) -> list[dict[str, Any]]:
        return [{"name": r.name, "description": r.description} for r in POLICY.roles.roles]

    def find_top_group(self, name: str) -> dict[str, Any]:
        return {"id": "g1", "name": name, "path": f"/{name}"}

    def list_children(self, parent_id: str) -> list[dict[str, Any]]:
        return self.children


def _matching_realm() -> dict[str, Any]:
    realm = desired_realm(POLICY)
    realm["smtpServer"] = dict(realm["smtpServer"])
    return realm


def test_a_missing_realm_is_created_first_then_its_parts_in_dependency_order() -> None:
    changes = plan(FakeGateway(None), POLICY).changes  # type: ignore[arg-type]
    gw_empty = [c.resource for c in changes]
    assert gw_empty[0] == "realm"
    assert gw_empty.index("client") < gw_empty.index("client-role")
    assert all(c.action == "create" for c in changes if c.resource != "events")


def test_a_realm_that_matches_plans_nothing() -> None:
    assert plan(FakeGateway(_matching_realm()), POLICY).empty  # type: ignore[arg-type]


def test_a_stored_smtp_password_keycloak_hides_is_not_drift() -> None:
    policy = dataclasses.replace(POLICY, smtp=dict(POLICY.smtp))
    policy.smtp["password"] = "secret"
    realm = desired_realm(policy)
    realm["smtpServer"] = {**realm["smtpServer"], "password": MASKED_SECRET}
    assert not [c for c in plan(FakeGateway(realm), policy).changes if c.resource == "realm"]  # type: ignore[arg-type]


def test_lockout_switched_off_by_hand_is_planned_back_on() -> None:
    realm = _matching_realm()
    realm["permanentLockout"] = False
    (change,) = plan(FakeGateway(realm), POLICY).changes  # type: ignore[arg-type]
    assert change.action == "update"
    assert change.fields == {"permanentLockout": (False, True)}


def test_sets_compare_without_order() -> None:
    assert diff({"redirectUris": ["b", "a"]}, {"redirectUris": ["a", "b"]}) == {}
    assert diff({"x": ["b", "a"]}, {"x": ["a", "b"]}) != {}


def test_only_organisation_groups_that_sync_created_are_planned_for_deletion() -> None:
    gone = Organisation("gone-college", "Gone College", "college", frozenset())
    children = [
        {"id": "1", "name": "gone-college", "attributes": organisation_attributes(gone)},
        {"id": "2", "name": "hand-made", "attributes": {}},
    ]
    changes = plan(FakeGateway(_matching_realm(), children), POLICY, []).changes  # type: ignore[arg-type]
    assert [(c.action, c.name) for c in changes] == [("delete", "/organisations/gone-college")]


def test_without_organisation_data_no_organisation_group_is_touched() -> None:
    children = [{"id": "1", "name": "whatever", "attributes": {"lrsManagedBy": ["sync"]}}]
    assert plan(FakeGateway(_matching_realm(), children), POLICY, None).empty  # type: ignore[arg-type]


def test_the_extensions_name_validators_are_configured_from_the_generic_words() -> None:
    attributes = {a["name"]: a for a in desired_profile_attributes(POLICY)}
    assert "pattern" not in attributes["username"]["validations"]
    assert attributes["username"]["validations"]["lrs-generated-username"] == {"max-length": 60}
    given = attributes["firstName"]["validations"]["lrs-person-name"]
    assert given["field"] == "given_name" and given["label"] == "given name"
    assert "guest" in given["generic-words"] and "finance" in given["departments"]
    assert "superuser" in given["role-names"]
    assert attributes["lastName"]["validations"]["lrs-person-name"]["field"] == "family_name"


def test_keycloaks_own_terms_and_conditions_are_switched_off_so_users_see_one_agreement() -> None:
    gw = FakeGateway(_matching_realm())
    gw.required_actions[1]["enabled"] = True
    (change,) = plan(gw, POLICY).changes  # type: ignore[arg-type]
    assert (change.resource, change.name, change.fields) == (
        "required-action",
        BUILT_IN_TERMS,
        {"enabled": (True, False)},
    )


def test_the_agreement_action_is_registered_when_keycloak_has_the_extension() -> None:
    gw = FakeGateway(_matching_realm())
    gw.required_actions = gw.required_actions[1:]
    gw.unregistered = [{"providerId": AGREEMENT_ACTION, "name": "LRS User Agreement"}]
    (change,) = plan(gw, POLICY).changes  # type: ignore[arg-type]
    assert (change.action, change.name) == ("create", AGREEMENT_ACTION)


def test_a_keycloak_without_the_extension_is_named_as_the_problem() -> None:
    gw = FakeGateway(_matching_realm())
    gw.required_actions = gw.required_actions[1:]
    with pytest.raises(MissingProvider, match="deploy keycloak-extension"):
        plan(gw, POLICY)  # type: ignore[arg-type]


def test_a_keycloak_without_the_name_validators_is_named_as_the_problem() -> None:
    class OldExtension(FakeGateway):
        settings = type("S", (), {"url": "http://kc.test"})()

        def get_user_profile(self) -> dict[str, Any]:
            return {"attributes": []}

        def put_user_profile(self, profile: dict[str, Any]) -> None:
            # Keycloak 26.7.3's answer, seen live, when the jar lacks the validator
            raise Rejected(
                "PUT /users/profile: 400 [Validator 'lrs-person-name' defined for attribute "
                "'firstName' doesn't exist]",
                400,
            )

    gw = OldExtension(_matching_realm())
    the_plan = plan(gw, POLICY)  # type: ignore[arg-type]
    (change,) = [c for c in the_plan.changes if c.resource == "user-profile"]
    assert change.run is not None
    with pytest.raises(MissingProvider, match=r"no LRS name validators.*deploy keycloak-extension"):
        change.run(gw, None)  # type: ignore[arg-type]


def test_plan_totals_count_the_objects_not_the_batch_steps_that_carry_them_out() -> None:
    gone = Organisation("gone-college", "Gone College", "college", frozenset())
    children = [{"id": "1", "name": "gone-college", "attributes": organisation_attributes(gone)}]
    new = [
        Organisation("alder-college", "Alder College", "college", frozenset()),
        Organisation("birch-college", "Birch College", "college", frozenset()),
    ]
    the_plan = plan(FakeGateway(_matching_realm(), children), POLICY, new)  # type: ignore[arg-type]
    assert [c.resource for c in the_plan.changes].count("group-batch") == 1
    assert the_plan.totals() == (2, 0, 1)
