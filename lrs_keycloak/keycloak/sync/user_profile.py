"""The user profile (user-profile.yaml): the declared attributes, replaced one by one, and the
unmanaged-attribute policy; the extension's name and username validators are added, configured
from generic-names.yaml and roles.yaml (domain/keycloak_names.py)."""

from __future__ import annotations

import copy
from typing import Any

from lrs_keycloak.config import PROFILE_ATTRIBUTE_KEYS, RealmPolicy
from lrs_keycloak.domain.keycloak_names import (
    NAME_ATTRIBUTES,
    PERSON_NAME_VALIDATOR,
    USERNAME_VALIDATOR,
    person_name_validator_config,
    username_validator_config,
)
from lrs_keycloak.keycloak.errors import Rejected
from lrs_keycloak.keycloak.gateway import Json, KeycloakGateway
from lrs_keycloak.keycloak.sync.changes import Change, Context
from lrs_keycloak.keycloak.sync.live import Live
from lrs_keycloak.keycloak.sync.planner import Planner
from lrs_keycloak.keycloak.sync.required_actions import MissingProvider

# What sync compares of a profile attribute: every key the policy may set but its name.
_PROFILE_KEYS = tuple(sorted(PROFILE_ATTRIBUTE_KEYS - {"name"}))


def desired_profile_attributes(policy: RealmPolicy) -> list[dict[str, Any]]:
    attributes = copy.deepcopy(policy.user_profile["attributes"])
    for attribute in attributes:
        name = attribute["name"]
        if name == "username":
            attribute.setdefault("validations", {})[USERNAME_VALIDATOR] = (
                username_validator_config()
            )
        elif name in NAME_ATTRIBUTES:
            attribute.setdefault("validations", {})[PERSON_NAME_VALIDATOR] = (
                person_name_validator_config(name, policy.generic_names, policy.roles.names)
            )
    return attributes


def _profile_attribute_key(attribute: dict[str, Any]) -> dict[str, Any]:
    """Only the keys we manage, with Keycloak's defaults made explicit, for an exact compare."""
    normal: dict[str, Any] = {}
    for key in _PROFILE_KEYS:
        value = attribute.get(key)
        if key == "multivalued":
            value = bool(value)
        elif value in ({}, []):
            value = None
        normal[key] = value
    return normal


def plan_user_profile(live: Live) -> list[Change]:
    policy = live.policy
    want = desired_profile_attributes(policy)
    unmanaged = policy.user_profile.get("unmanagedAttributePolicy")

    def build(current: Json) -> Json:
        profile = copy.deepcopy(current)
        by_name = {a["name"]: i for i, a in enumerate(profile.get("attributes", []))}
        for attribute in want:
            if attribute["name"] in by_name:
                profile["attributes"][by_name[attribute["name"]]] = attribute
            else:
                profile.setdefault("attributes", []).append(attribute)
        if unmanaged:
            profile["unmanagedAttributePolicy"] = unmanaged
        else:
            profile.pop("unmanagedAttributePolicy", None)
        return profile

    def run(g: KeycloakGateway, c: Context) -> None:
        # Re-read at apply time: a new realm starts with Keycloak's default profile and groups.
        try:
            g.put_user_profile(build(g.get_user_profile()))
        except Rejected as refused:
            # Keycloak without our jar: "Validator 'lrs-person-name' defined for attribute
            # 'firstName' doesn't exist" (seen live); say what to do instead.
            if not any(
                f"'{v}'" in str(refused) for v in (PERSON_NAME_VALIDATOR, USERNAME_VALIDATOR)
            ):
                raise
            raise MissingProvider(
                f"Keycloak at {g.settings.url} has no LRS name validators ({refused}): deploy "
                "keycloak-extension/target/lrs-keycloak-extension.jar into its providers/ "
                "and restart it, then sync again"
            ) from refused

    if not live.exists:
        return [
            Change(
                "create", "user-profile", policy.realm, {a["name"]: (None, a) for a in want}, run
            )
        ]
    current = live.gw.get_user_profile()
    have = {a["name"]: a for a in current.get("attributes", [])}
    fields: dict[str, tuple[Any, Any]] = {}
    for attribute in want:
        old = have.get(attribute["name"])
        if old is None or _profile_attribute_key(old) != _profile_attribute_key(attribute):
            fields[attribute["name"]] = (old, attribute)
    if current.get("unmanagedAttributePolicy") != unmanaged:
        fields["unmanagedAttributePolicy"] = (current.get("unmanagedAttributePolicy"), unmanaged)
    if not fields:
        return []
    return [Change("update", "user-profile", policy.realm, fields, run)]


PLANNER = Planner(
    resource="user profile",
    kinds=("user-profile",),
    owns="each attribute user-profile.yaml declares (replaced whole; the extension's "
    "`lrs-generated-username` and `lrs-person-name` validators are added to the username and "
    "names, configured from generic-names.yaml and roles.yaml) and `unmanagedAttributePolicy` "
    "(removed when not set); attributes it does not declare are kept",
    creates="each declared attribute that is missing",
    deletes="nothing (no attribute is ever removed)",
    plan=plan_user_profile,
)
