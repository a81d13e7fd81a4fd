"""The console guard's texts in the Java extension are the domain's (docs/adr/0012).

The guard refuses in the admin console with the companion app's own message and rule. Java
cannot import Python, so GuardTexts.java holds copies; this test reads that file and fails when a
copy differs from what the Python rule produces, or a shared name differs from names.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrs_keycloak.composition import build_policy
from lrs_keycloak.domain.policies import (
    LAST_SUPER_USER_ACTIONS,
    SUPER_USER,
    Member,
    check_last_super_user,
    password_set_by_super_user,
)
from lrs_keycloak.keycloak.names import GUARD_LISTENER, ORGANISATIONS_GROUP

GUARD_TEXTS = (
    Path(__file__).resolve().parents[2]
    / "keycloak-extension/src/main/java/uk/gov/miap/lrs/keycloak/guard/GuardTexts.java"
)
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _java_string(name: str) -> str:
    """The value of `public static final String <name> = "…" + "…";` in GuardTexts.java."""
    source = GUARD_TEXTS.read_text(encoding="utf-8")
    # Only plain literals joined with +, then the semicolon: anything else is not a copy.
    found = re.search(rf'static final String {name}\s*=((?:\s*"(?:[^"\\]|\\.)*"\s*\+?)+);', source)
    assert found, f"{name} is not a plain string constant in {GUARD_TEXTS}"
    pieces = _LITERAL.findall(found.group(1))
    return "".join(p.encode().decode("unicode_escape").encode("latin-1").decode() for p in pieces)


def _java_verbs() -> dict[str, str]:
    source = GUARD_TEXTS.read_text(encoding="utf-8")
    found = re.search(r"VERBS = Map\.of\((.*?)\);", source, re.S)
    assert found
    literals = _LITERAL.findall(found.group(1))
    return dict(zip(literals[::2], literals[1::2], strict=True))


def _java_format(template: str, *args: str) -> str:
    # Java's %1$s, %2$s positional placeholders, the only ones GuardTexts uses.
    return re.sub(r"%(\d)\$s", lambda m: args[int(m.group(1)) - 1], template)


@pytest.mark.parametrize("action", sorted(LAST_SUPER_USER_ACTIONS))
def test_the_guard_refuses_the_last_super_user_in_the_domain_rules_words(action: str) -> None:
    sue = Member("sue.alder", "alder-college", frozenset({SUPER_USER}), enabled=True)
    violation = check_last_super_user([sue], "sue.alder", action)
    assert violation is not None
    verb = _java_verbs()[action]
    java = _java_format(_java_string("LAST_SUPER_USER_MESSAGE"), "sue.alder", verb)
    assert java == violation.message
    assert _java_string("LAST_SUPER_USER_RULE") == violation.rule


def test_the_guard_knows_exactly_the_domain_rules_actions() -> None:
    assert set(_java_verbs()) == LAST_SUPER_USER_ACTIONS


def test_the_guard_refuses_a_password_in_the_domain_rules_words() -> None:
    violation = password_set_by_super_user()
    assert _java_string("PASSWORD_MESSAGE") == violation.message
    assert _java_string("PASSWORD_RULE") == violation.rule


def test_the_guard_shares_the_projects_names() -> None:
    assert _java_string("LISTENER_ID") == GUARD_LISTENER
    assert _java_string("ORGANISATIONS_GROUP") == ORGANISATIONS_GROUP
    assert _java_string("SUPER_USER_ROLE") == SUPER_USER


def test_lrs_realms_list_the_guard_so_sync_switches_it_on() -> None:
    assert GUARD_LISTENER in build_policy("lrs").events["eventsListeners"]
