"""Which console changes take an organisation's last active super user away (issue 12)."""

from __future__ import annotations

import json
from typing import Any

from lrs_keycloak.domain.console_changes import RESTORE_DEMOTE, RESTORE_DISABLE
from lrs_keycloak.keycloak.users import UserRecord
from lrs_keycloak.services.last_super_user import what_was_taken

PATH = "users/0b6c3d0e-1111-4a4a-9b9b-000000000001"


def _user(enabled: bool, roles: set[str]) -> UserRecord:
    return UserRecord("u1", "sam.oak", "Sam", "Oak", None, enabled, roles=frozenset(roles))


def _event(kind: str, operation: str, rep: Any, path: str = PATH) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "operationType": operation,
        "resourcePath": path,
        "representation": json.dumps(rep),
    }


def test_a_disable_of_an_account_holding_super_user_is_put_back_by_enabling() -> None:
    event = _event("USER", "UPDATE", {"enabled": False})
    assert what_was_taken(event, _user(False, {"LRBSuperUser"})) == RESTORE_DISABLE


def test_an_edit_of_a_disabled_super_user_that_sent_no_disable_is_left_alone() -> None:
    event = _event("USER", "UPDATE", {"lastName": "Oakes"})
    assert what_was_taken(event, _user(False, {"LRBSuperUser"})) is None


def test_taking_super_user_away_is_put_back_by_giving_it_again() -> None:
    roles = f"{PATH}/role-mappings/clients/c"
    event = _event("CLIENT_ROLE_MAPPING", "DELETE", [{"name": "LRBSuperUser"}], roles)
    assert what_was_taken(event, _user(True, {"LRBOnlineUser"})) == RESTORE_DEMOTE


def test_taking_another_role_away_or_a_state_already_mended_changes_nothing() -> None:
    roles = f"{PATH}/role-mappings/clients/c"
    other = _event("CLIENT_ROLE_MAPPING", "DELETE", [{"name": "LRBBatchUser"}], roles)
    assert what_was_taken(other, _user(True, {"LRBOnlineUser"})) is None
    again = _event("USER", "UPDATE", {"enabled": False})  # the webhook put it back already
    assert what_was_taken(again, _user(True, {"LRBSuperUser"})) is None
    assert what_was_taken(again, None) is None  # deleted since: the help desk's recovery
