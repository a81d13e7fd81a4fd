"""The two-node cluster of `lrs-keycloak cluster start` (docs/adr/0022), started once for the
tests of a module and stopped at its end, so its JVMs do not sit through the rest of the suite
(unless it was already running: then it is left as found, so a developer's cluster survives a
test run).

Every test here works on a throwaway realm synced through node 1. A client pins itself to a node
by sending the proxy's sticky cookie (`LRS_NODE=node2`), exactly as a browser that was sent there
would; the admin gateways and the CLI call a node's own port.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests

from lrs_keycloak import local_cluster
from lrs_keycloak.composition import build_policy
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import config_dir, keycloak_settings

NODES = local_cluster.nodes(2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[local_cluster.Node]]:
    healthy, _ = local_cluster.status()
    started_here = not healthy
    if started_here:
        local_cluster.stop()  # whatever is left of an earlier, broken run
        began = time.monotonic()
        print(local_cluster.start(len(NODES)))
        print(f"cluster started in {time.monotonic() - began:.0f}s")
    config = tmp_path_factory.mktemp("cluster") / "realm-config"
    shutil.copytree(config_dir(), config)
    with pytest.MonkeyPatch.context() as patch:
        # Everything of the product (settings, the logon helper) addresses the proxy; the
        # policy is a copy, since these tests publish an agreement into it.
        patch.setenv("LRS_KEYCLOAK_URL", local_cluster.PUBLIC_URL)
        patch.setenv("LRS_ENV", "development")
        patch.setenv("LRS_ADMIN_USERNAME", "admin")
        patch.setenv("LRS_ADMIN_PASSWORD", "admin")
        # A realm made on a cold node, with the other suites' load on the same 2 cores, can
        # take far longer than the 10 s default: a timed-out POST retried gives a 409.
        patch.setenv("LRS_KEYCLOAK_TIMEOUT", "120")
        patch.setenv("LRS_CONFIG_DIR", str(config))
        patch.setenv("LRS_DATABASE_URL", f"sqlite:///{config.parent / 'lrs.sqlite'}")
        yield NODES
    if started_here:
        print(local_cluster.stop())


def node_gateway(node: local_cluster.Node, realm: str) -> KeycloakGateway:
    """The admin gateway on one node's own port."""
    return KeycloakGateway(replace(keycloak_settings(realm), url=node.url))


def pinned(node: local_cluster.Node) -> requests.Session:
    """A browser the proxy sends to `node`: it carries the proxy's sticky cookie."""
    session = requests.Session()
    session.cookies.set(local_cluster.NODE_COOKIE, node.name, domain="127.0.0.1", path="/")
    return session


@pytest.fixture(scope="module")
def realm(cluster: list[local_cluster.Node]) -> Iterator[str]:
    """A realm synced through node 1 from the (copied) policy files; deleted at the end."""
    name = f"lrs-cl-{uuid.uuid4().hex[:10]}"
    gw = node_gateway(cluster[0], name)
    apply(gw, plan(gw, build_policy(name)))
    yield name
    # Through the proxy: a node may have been stopped by a test.
    gw = KeycloakGateway(keycloak_settings(name))
    if gw.get_realm() is not None:
        gw.delete_realm()
