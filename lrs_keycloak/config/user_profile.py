"""user-profile.yaml: Keycloak's user profile, each attribute's keys and validators checked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lrs_keycloak.config.problems import Problem
from lrs_keycloak.config.reader import Reader

#: The keys a user-profile attribute may have in user-profile.yaml (Keycloak's own names).
PROFILE_ATTRIBUTE_KEYS = {
    "name",
    "displayName",
    "required",
    "permissions",
    "validations",
    "annotations",
    "group",
    "multivalued",
}
UNMANAGED_POLICIES = {"ENABLED", "ADMIN_VIEW", "ADMIN_EDIT"}


def read_profile(
    file: Path, doc: Any, messages: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    r = Reader(file, problems)
    top = r.mapping(doc, "")
    policy = top.get("unmanaged_attribute_policy")
    if policy is not None and (not isinstance(policy, str) or policy not in UNMANAGED_POLICIES):
        r.problem("unmanaged_attribute_policy", f"must be one of {sorted(UNMANAGED_POLICIES)}")
    attributes: list[dict[str, Any]] = []
    seen: set[str] = set()
    raw_attributes = top.get("attributes")
    if not isinstance(raw_attributes, list):
        r.problem("attributes", "must be a list of attributes")
        raw_attributes = []
    for index, attribute in enumerate(raw_attributes):
        path = f"attributes[{index}]"
        attribute = r.mapping(attribute, path)
        name = attribute.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", name):
            r.problem(f"{path}.name", "is required: a Keycloak attribute name")
            continue
        if name in seen:
            r.problem(f"{path}.name", f"'{name}' appears twice")
        seen.add(name)
        for key in sorted(set(attribute) - PROFILE_ATTRIBUTE_KEYS, key=str):
            r.problem(f"{path}.{key}", "unknown attribute key")
        for validator, options in r.mapping(
            attribute.get("validations"), f"{path}.validations"
        ).items():
            options = r.mapping(options, f"{path}.validations.{validator}")
            message_key = options.get("error-message")
            if message_key is not None and (
                not isinstance(message_key, str) or message_key not in messages
            ):
                r.problem(
                    f"{path}.validations.{validator}.error-message",
                    f"message key '{message_key}' has no text in realm.yaml messages",
                )
            if validator == "pattern":
                try:
                    re.compile(str(options.get("pattern", "")))
                except (re.error, OverflowError, RecursionError) as error:
                    # re also refuses a pattern by OverflowError ("a{99999999999}") or by
                    # running out of stack on deep nesting.
                    r.problem(f"{path}.validations.pattern", f"not a valid pattern: {error}")
        attributes.append(attribute)
    for required in ("username", "email", "firstName", "lastName"):
        if required not in seen:
            r.problem("attributes", f"Keycloak needs the '{required}' attribute")
    return {"unmanagedAttributePolicy": policy, "attributes": attributes}
