"""Integration tests run against the real Keycloak that `scripts/test` starts.

Each test module gets a throwaway realm (`lrs-it-…`), synced from the real policy files, and
deletes it afterwards, so tests never touch the demo `lrs` realm nor each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from lrs_keycloak import local_keycloak
from lrs_keycloak.composition import build_policy, upgrade_database
from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import keycloak_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _keycloak_is_running() -> None:
    if not local_keycloak.is_ready():
        pytest.fail(
            "No Keycloak answers on 127.0.0.1:8080. Run the tests with scripts/test, "
            "or start it first with `lrs-keycloak keycloak start`.",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _the_default_store_is_upgraded() -> None:
    """The store the CLI and the app use when a test names none (the cache folder's SQLite
    file), brought to this version's schema first, explicitly, as `lrs-keycloak db upgrade`
    does: nothing else migrates a database that already has a schema."""
    upgrade_database()


def new_realm_name() -> str:
    return f"lrs-it-{uuid.uuid4().hex[:10]}"


def gateway_for(realm: str) -> KeycloakGateway:
    return KeycloakGateway(keycloak_settings(realm))


@pytest.fixture(scope="module")
def realm_name() -> Iterator[str]:
    name = new_realm_name()
    yield name
    gw = gateway_for(name)
    if gw.get_realm() is not None:
        gw.delete_realm()


@pytest.fixture(scope="module")
def policy(realm_name: str) -> RealmPolicy:
    """The policy as the CLI and the app read it (the companion client completed from the
    settings), so a realm synced from it is what `sync --check` expects."""
    return build_policy(realm_name)


@pytest.fixture(scope="module")
def synced_gateway(realm_name: str, policy: RealmPolicy) -> KeycloakGateway:
    """A gateway on a realm that sync has just created from the real policy files."""
    gw = gateway_for(realm_name)
    apply(gw, plan(gw, policy))
    return gw
