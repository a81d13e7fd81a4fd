"""The name rules Keycloak applies through the extension are the Python rules (guide §4.1, §4.2).

Two files in keycloak-extension/src/test/resources/uk/gov/miap/lrs/keycloak/profile/ are shared
with the extension's JUnit tests (PersonNameRulesTest):
- ``person-name-cases.json``: names → the username made from them and the refusals (field:code).
  Python must decide each case as the table says here, and Java must in JUnit, so the two agree.
- ``validator-config.json``: the validators' configuration as sync writes it from
  realm-config/ (generic-names.yaml, roles.yaml); JUnit runs the Java rules with it.
Regenerate both after changing the rules or the word lists (then read the diff):
``LRS_REGENERATE=1 .venv/bin/python -m pytest tests/unit/domain/test_keycloak_names.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.config.policy import load_policy
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.generic_names import check_person_name
from lrs_keycloak.domain.keycloak_names import (
    NAME_ATTRIBUTES,
    NO_ASCII_KEY,
    NOT_GENERATED_KEY,
    NOT_IN_KEYCLOAK,
    PAGE_SUFFIX,
    keycloak_messages,
    message_key,
    person_name_validator_config,
    username_validator_config,
)
from lrs_keycloak.domain.usernames import NOT_GENERATED, base_username

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT / "keycloak-extension/src/test/resources/uk/gov/miap/lrs/keycloak/profile"
CASES = SHARED / "person-name-cases.json"
CONFIG = SHARED / "validator-config.json"
REGENERATE = os.environ.get("LRS_REGENERATE") == "1"


@pytest.fixture(scope="module")
def realm_policy() -> RealmPolicy:
    return load_policy(ROOT / "realm-config")


def _config(policy: RealmPolicy) -> dict[str, Any]:
    configs: dict[str, Any] = {
        attribute: person_name_validator_config(attribute, policy.generic_names, policy.roles.names)
        for attribute in NAME_ATTRIBUTES
    }
    configs["username"] = username_validator_config()
    return configs


def _decide(policy: RealmPolicy, given: str, family: str) -> dict[str, Any]:
    refusals = check_person_name(
        given, family, policy=policy.generic_names, role_names=policy.roles.names
    )
    try:
        username: str | None = base_username(given, family)
    except RuleViolation:
        username = None
    return {
        "given": given,
        "family": family,
        "username": username,
        "refusals": [f"{v.field}:{v.code}" for v in refusals],
    }


def _write_or_compare(path: Path, generated: str) -> None:
    if REGENERATE:
        path.write_text(generated, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == generated, (
        f"{path.name} is out of date; regenerate it (see this module's docstring)"
    )


def test_the_validators_configuration_shared_with_junit_is_the_one_sync_writes(
    realm_policy: RealmPolicy,
) -> None:
    _write_or_compare(CONFIG, json.dumps(_config(realm_policy), indent=1, sort_keys=True) + "\n")


def test_python_decides_the_shared_name_cases_as_the_table_says(
    realm_policy: RealmPolicy,
) -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    decided = [_decide(realm_policy, c["given"], c["family"]) for c in cases]
    _write_or_compare(CASES, json.dumps(decided, ensure_ascii=False, indent=1) + "\n")


def test_the_shared_table_covers_every_refusal_keycloak_can_make() -> None:
    cases = json.loads(CASES.read_text(encoding="utf-8"))
    codes = {r.split(":")[1] for c in cases for r in c["refusals"]}
    console_keys = {k for k in keycloak_messages() if not k.endswith(PAGE_SUFFIX)}
    assert {key for key in console_keys if key.startswith("lrsName")} - {NO_ASCII_KEY} <= {
        message_key(code) for code in codes
    } | {message_key(code, together=True) for code in codes}
    assert any(c["username"] is None for c in cases)
    assert any(not c["refusals"] and c["username"] for c in cases)


def _format(pattern: str, *params: str) -> str:
    """The admin console's interpolation of a realm text with an error's params ({{n}})."""
    return re.sub(r"\{\{(\d)\}\}", lambda m: params[int(m.group(1))], pattern)


def _format_page(pattern: str, *params: str) -> str:
    """java.text.MessageFormat, as Keycloak's login pages apply it ({n} and '' for ')."""
    return re.sub(r"\{(\d)\}", lambda m: params[int(m.group(1))], pattern).replace("''", "'")


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Guest", "Smith"),
        ("Jane", "Finance"),
        ("User 1", "Smith"),
        ("Anne!", "Smith"),
        ("Help", "Desk"),
    ],
)
def test_keycloak_shows_the_python_rules_own_words(
    realm_policy: RealmPolicy, given: str, family: str
) -> None:
    (refusal, *_) = check_person_name(
        given, family, policy=realm_policy.generic_names, role_names=realm_policy.roles.names
    )
    together = refusal.message.startswith("The name is refused")
    label = "given name" if refusal.field == "given_name" else "family name"
    typed = f"{given} {family}" if together else given if label == "given name" else family
    name = repr(typed)
    found = re.search(r"\((.*)\), not a|contains (.*);", refusal.message)
    detail = next((g for g in found.groups() if g), "") if found else ""
    key = message_key(refusal.code, together=together)
    params = ("firstName", label, name, detail)
    expected = f"{refusal.message} ({refusal.rule})"
    assert _format(keycloak_messages()[key], *params) == expected
    assert _format_page(keycloak_messages()[key + PAGE_SUFFIX], *params) == expected


def test_every_refusal_keycloak_makes_has_a_message() -> None:
    messages = keycloak_messages()
    assert NOT_GENERATED_KEY in messages and NO_ASCII_KEY in messages
    assert _format(messages[NOT_GENERATED_KEY], "username", "ann.lee").startswith(
        NOT_GENERATED.format(username="ann.lee")
    )
    assert not any(message_key(code) in messages for code in NOT_IN_KEYCLOAK)
    for key, text in messages.items():
        assert "guide §4." in text
        if key.endswith(PAGE_SUFFIX):  # MessageFormat: a lone quote would hide what follows
            assert "'" not in text.replace("''", "") and "{{" not in text
        else:
            assert not re.search(r"(?<!\{)\{\w+\}(?!\})", text), "a placeholder unfilled"
