"""Issue 10: one composition root. Only lrs_keycloak/composition.py constructs the gateway, the
stores and the services; the web app and the CLI ask it for them."""

from __future__ import annotations

import ast
from pathlib import Path

import lrs_keycloak

PACKAGE = Path(lrs_keycloak.__file__).parent
ROOT = PACKAGE / "composition.py"
BUILT_THERE = {
    "KeycloakGateway",
    "UserDirectory",
    "UserAdmin",
    "AuditLog",
    "RecoveryStore",
    "EnforcementStore",
    "SignatoryStore",
    "SignatoryBook",
    "RecoveryService",
    "Enforcer",
    "make_engine",
}


def _constructions(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in BUILT_THERE:
                found.append((node.lineno, str(name)))
    return found


def test_only_the_composition_root_constructs_the_services_and_stores() -> None:
    elsewhere = {
        str(path.relative_to(PACKAGE)): calls
        for path in PACKAGE.rglob("*.py")
        if path != ROOT and "migrations" not in path.parts
        if (calls := _constructions(path))
    }
    assert elsewhere == {}


def test_the_composition_root_builds_each_of_them() -> None:
    assert {name for _, name in _constructions(ROOT)} == BUILT_THERE
