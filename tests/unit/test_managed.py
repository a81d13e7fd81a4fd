"""docs/MANAGED.md says what sync owns, creates and deletes: it must be the planners' own
declarations, and each planner must plan exactly the kinds of change it declares."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.names import (
    AGREEMENT_ACTION,
    BUILT_IN_TERMS,
    FINGERPRINT,
    MANAGED_BY,
    org_super_users_policy,
)
from lrs_keycloak.keycloak.sync import PLANNERS, managed_table
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.settings import PROJECT_ROOT, config_dir

POLICY = load_policy(config_dir())
ORGS = [Organisation("alder-college", "Alder College", "college", frozenset({"plr"}))]
BEGIN, END = "<!-- generated: begin -->\n", "<!-- generated: end -->"


class DriftedRealm:
    """An existing realm where every planner finds something to create, change and delete."""

    settings = type("S", (), {"url": "http://kc.test"})()

    def get_localization(self, locale: str) -> dict[str, str]:
        return {}

    def get_user_profile(self) -> dict[str, Any]:
        return {"attributes": []}

    def get_events_config(self) -> dict[str, Any]:
        return {}

    def list_realm_roles(self) -> list[dict[str, Any]]:
        return []

    def list_required_actions(self) -> list[dict[str, Any]]:
        return [
            {"alias": AGREEMENT_ACTION, "enabled": False, "defaultAction": False},
            {"alias": BUILT_IN_TERMS, "enabled": True, "defaultAction": True},
        ]

    def find_client(self, client_id: str) -> dict[str, Any]:
        return {
            "id": f"{client_id}-id",
            "clientId": client_id,
            "defaultClientScopes": ["offline_access"],
        }

    def list_client_roles(self, client_uuid: str) -> list[dict[str, Any]]:
        return []

    def find_top_group(self, name: str) -> dict[str, Any]:
        return {"id": "parent", "name": name}

    def list_children(self, parent_id: str, brief: bool = False) -> list[dict[str, Any]]:
        return [{"id": "gone", "name": "gone-college", "attributes": {MANAGED_BY: ["sync"]}}]

    def call(self, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        return []  # no authentication flow of ours

    def paged(self, path: str, params: Any = None, page: int = 100) -> list[dict[str, Any]]:
        if path.endswith("/policy"):
            stale = org_super_users_policy("gone-college")
            return [{"id": "p", "name": stale, "type": "user", "description": FINGERPRINT + "0"}]
        return []


def _planned() -> dict[str, list[tuple[str, str]]]:
    """(action, kind) of every change each planner plans, for a new realm and a drifted one."""
    planned: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for live in (
        Live(DriftedRealm(), POLICY, ORGS, None),  # type: ignore[arg-type]
        Live(DriftedRealm(), POLICY, ORGS, {"adminPermissionsEnabled": True}),  # type: ignore[arg-type]
    ):
        for planner in PLANNERS:
            planned[planner.resource] += [(c.action, c.resource) for c in planner.plan(live)]
    return planned


def test_docs_managed_md_is_the_table_of_the_planners_declarations() -> None:
    text = (PROJECT_ROOT / "docs" / "MANAGED.md").read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert generated == managed_table(), (
        "docs/MANAGED.md is out of date; regenerate its table (see the file)"
    )


def test_the_table_has_one_row_per_planner_in_the_order_they_run() -> None:
    rows = managed_table().splitlines()[2:]
    assert [row.split(" | ")[1] for row in rows] == [p.resource for p in PLANNERS]
    assert len({p.resource for p in PLANNERS}) == len(PLANNERS)


def test_each_planner_plans_exactly_the_kinds_of_change_it_declares() -> None:
    planned = _planned()
    for planner in PLANNERS:
        kinds = {kind for _, kind in planned[planner.resource]}
        assert kinds == set(planner.kinds), planner.resource


def test_a_planner_that_declares_it_deletes_nothing_plans_no_deletion() -> None:
    planned = _planned()
    for planner in PLANNERS:
        deletes = any(action == "delete" for action, _ in planned[planner.resource])
        assert deletes == (not planner.deletes.startswith("nothing")), planner.resource
