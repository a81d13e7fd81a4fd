"""Issue 14, "Tests on the two-node cluster": what one node does holds on the other, and the
proxy carries on when a node stops (docs/adr/0022). The tests run in this order; the last one
stops node 2.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from lrs_keycloak import local_cluster
from lrs_keycloak.cli import main
from lrs_keycloak.composition import upgrade_database
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.settings import keycloak_settings
from lrs_keycloak.web import create_app
from tests.cluster.conftest import node_gateway, pinned
from tests.support.oidc import LogonRefused, log_on, page_after_password
from tests.support.people import make_person

PASSWORD = "a long enough passphrase"
ORG = "cluster-college"
Nodes = list[local_cluster.Node]


def _cli(node: local_cluster.Node, *args: str) -> tuple[int, str]:
    """The real command, calling `node`'s own port."""
    result = CliRunner(env={"LRS_KEYCLOAK_URL": node.url}).invoke(main, list(args))
    return result.exit_code, result.output


def _refused(realm: str, username: str, password: str, node: local_cluster.Node) -> bool:
    try:
        log_on(realm, username, password, session=pinned(node))
    except LogonRefused:
        return True
    return False


def _node_for_a_new_browser(url: str) -> str:
    """Which node the proxy chose for a browser without its cookie (the cookie it set says)."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    return answer.cookies[local_cluster.NODE_COOKIE]


def test_the_proxy_spreads_new_browsers_over_both_nodes(cluster: Nodes, realm: str) -> None:
    url = f"{local_cluster.PUBLIC_URL}/realms/{realm}"
    assert {_node_for_a_new_browser(url) for _ in range(4)} == {n.name for n in cluster}


def test_the_nodes_form_one_cluster_found_through_the_database(cluster: Nodes) -> None:
    for node in cluster:
        lines = node.log_file.read_text(errors="replace").splitlines()
        # "ISPN000094: Received new cluster view for channel ISPN: [...] (n) [...]", the last one
        # of the log (appended to at every start) being the view this node is in now.
        views = [line for line in lines if "ISPN000094" in line]
        assert views and f"({len(cluster)})" in views[-1], views[-1:]
        assert any("with stack `jdbc-ping`" in line for line in lines)


def test_an_agreement_published_through_node_1_is_shown_at_the_next_logon_through_node_2(
    cluster: Nodes, realm: str, tmp_path: Path
) -> None:
    node1, node2 = cluster
    username, _ = make_person(node_gateway(node2, realm), "Ada", "Twonode", password=PASSWORD)
    # Node 2 has the realm (and its current agreement) in its cache from this first logon.
    assert "ninth edition" not in page_after_password(realm, username, PASSWORD, pinned(node2))
    text = tmp_path / "v9.md"
    text.write_text("# LRS User Agreement\n\nThe ninth edition, published on node 1.\n")
    code, output = _cli(
        node1, "agreement", "publish", str(text), "--version", "9", "--realm", realm
    )
    assert code == 0, output
    page = page_after_password(realm, username, PASSWORD, pinned(node2))
    assert "ninth edition, published on node 1" in page


def test_a_user_suspended_through_node_2_cannot_log_in_through_node_1(
    cluster: Nodes, realm: str
) -> None:
    node1, node2 = cluster
    code, output = _cli(
        node2, "organisations", "register", "--realm", realm, "--id", ORG,
        "--name", "Cluster College", "--kind", "college", "--entitlement", "plr",
        "--given-name", "Sam", "--family-name", "Super", "--title", "Ms",
        "--verification", "HR file 1", "--actor", "it-operator", "--json",
    )  # fmt: skip
    assert code == 0, output
    username, _ = make_person(
        node_gateway(node1, realm), "Bea", "Suspended", orgs=[ORG], password=PASSWORD
    )
    assert log_on(realm, username, PASSWORD, session=pinned(node1)).code
    code, output = _cli(
        node2, "users", "suspend", "--realm", realm, "--org", ORG, username,
        "--reason", "left the college", "--actor", "it-operator", "--json",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(output)["user"]["enabled"] is False
    assert _refused(realm, username, PASSWORD, node1)


def test_a_lockout_counted_on_node_1_holds_on_node_2(cluster: Nodes, realm: str) -> None:
    node1, node2 = cluster
    username, user_id = make_person(
        node_gateway(node1, realm), "Lou", "Lockedout", password=PASSWORD
    )
    for _ in range(5):
        assert _refused(realm, username, "not the password", node1)
        time.sleep(0.3)
    gw2 = node_gateway(node2, realm)
    deadline = time.monotonic() + 10
    status: dict[str, object] = {}
    while time.monotonic() < deadline and not status.get("disabled"):
        status = gw2.call("GET", f"/attack-detection/brute-force/users/{user_id}")
        time.sleep(0.3)
    assert status["disabled"] is True
    assert _refused(realm, username, PASSWORD, node2)


def test_sync_through_node_1_then_check_through_node_2_is_clean(cluster: Nodes, realm: str) -> None:
    node1, node2 = cluster
    code, output = _cli(node1, "sync", "--yes", "--realm", realm)
    assert code == 0, output
    code, output = _cli(node2, "sync", "--check", "--realm", realm)
    assert code == 0, output


def test_with_node_2_stopped_logons_and_the_app_carry_on_through_the_proxy(
    cluster: Nodes, realm: str, tmp_path: Path
) -> None:
    node1, node2 = cluster
    username, _ = make_person(node_gateway(node1, realm), "Nia", "Survivor", password=PASSWORD)
    # A browser that was on node 2 before it stopped, and new ones (round robin).
    assert log_on(realm, username, PASSWORD, session=pinned(node2)).code
    assert local_cluster.stop_node(node2)
    began = time.monotonic()
    for _ in range(4):
        assert log_on(realm, username, PASSWORD, session=pinned(node2)).code
        assert log_on(realm, username, PASSWORD).code
    # The app's gateway, through the proxy, still lists and changes users, and the app itself
    # reports Keycloak up.
    gw = KeycloakGateway(keycloak_settings(realm))
    made, _ = make_person(gw, "Oli", "Afterwards", password=PASSWORD)
    assert gw.call("GET", "/users", params={"username": made, "exact": "true"})
    database = f"sqlite:///{tmp_path / 'app.sqlite'}"
    upgrade_database(database_url=database)
    app = create_app({"TESTING": True, "LRS_REALM": realm, "LRS_DATABASE_URL": database})
    health = app.test_client().get("/healthz")
    assert health.status_code == 200, health.json
    assert health.json is not None and health.json["checks"]["keycloak"]["status"] == "UP"
    # No request waited for the stopped node: it was refused at once and sent to the other.
    assert time.monotonic() - began < 120
