"""The domain layer is pure: standard library and lrs_keycloak.domain only (architecture)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).parents[3] / "lrs_keycloak" / "domain"


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_only_the_standard_library_and_itself(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.append(node.module)
    outside = [
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and not (name + ".").startswith("lrs_keycloak.domain.")
        and name != "__future__"
    ]
    assert outside == []
