"""Issue 10: one composition root. Only lrs_keycloak/composition.py constructs the gateway, the
stores and the services; the web app and the CLI ask it for them."""

from __future__ import annotations

import ast
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import lrs_keycloak
from lrs_keycloak import composition
from lrs_keycloak.composition import Root
from lrs_keycloak.keycloak.errors import KeycloakUnavailable
from lrs_keycloak.settings import load_settings
from lrs_keycloak.web import context, create_app

PACKAGE = Path(lrs_keycloak.__file__).parent
ROOT = PACKAGE / "composition.py"
#: Not services: the webhook's latest deliveries and the handlers each delivery is given to.
EVENTS = {"lrs_events", "lrs_event_handlers", "lrs_enforcer"}
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


# --- the root's parts: built once, shared, replaceable, and a Keycloak outage remembered -------


def test_each_part_is_built_once_even_under_threads() -> None:
    root = Root(settings=load_settings())
    built: list[int] = []

    def build() -> object:
        time.sleep(0.05)
        built.append(1)
        return object()

    with ThreadPoolExecutor(8) as pool:
        parts = set(pool.map(lambda _: id(root.part("thing", build)), range(8)))
    assert len(parts) == 1 and built == [1]


def test_a_keycloak_outage_is_answered_at_once_until_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(composition.time, "monotonic", lambda: clock[0])
    root = Root(settings=load_settings())
    calls: list[int] = []

    def unreachable() -> object:
        calls.append(1)
        raise KeycloakUnavailable("no answer from http://kc.test")

    for _ in range(3):
        with pytest.raises(KeycloakUnavailable, match=r"kc\.test"):
            root.part("gateway", unreachable)
    assert calls == [1]  # the later callers did not wait out a timeout of their own
    clock[0] += composition.RETRY_AFTER
    assert root.part("gateway", lambda: "reached") == "reached"


def test_a_provided_part_is_used_instead_of_building_one() -> None:
    root = Root(settings=load_settings())
    fake = object()
    root.provide(user_admin=fake)
    assert root.user_admin() is fake


def test_the_app_keeps_one_typed_root_not_a_bag_of_services() -> None:
    app = create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})
    assert isinstance(context.root(app), Root)
    assert context.settings(app).realm == "lrs-unit"
    assert not [key for key in app.extensions if key.startswith("lrs_") and key not in EVENTS]
    assert context.engine(app) is context.engine(app)
