"""`lrs-keycloak cluster`: the production shape's commands, ports and proxy (docs/adr/0022).
The cluster itself runs in tests/cluster."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lrs_keycloak import local_cluster
from lrs_keycloak.cli import main
from lrs_keycloak.local_keycloak import LauncherError


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRS_CACHE_DIR", str(tmp_path / "cache"))


def test_each_node_has_its_own_ports_folder_and_log() -> None:
    first, second = local_cluster.nodes(2)
    assert (first.http_port, first.management_port, first.cluster_port) == (8380, 9380, 7800)
    assert (second.http_port, second.management_port, second.cluster_port) == (8381, 9381, 7801)
    assert first.log_file != second.log_file and first.home != second.home
    assert local_cluster.prod_home() != first.home.parent


def test_nodes_start_optimized_behind_the_proxy_with_its_hostname() -> None:
    node = local_cluster.nodes(2)[1]
    command = local_cluster.node_command(node, Path("/kc"), ["--db-url=jdbc:postgresql://x/y"])
    assert command[:3] == ["/kc/bin/kc.sh", "start", "--optimized"]
    assert f"--hostname={local_cluster.PUBLIC_URL}" in command
    assert "--proxy-headers=xforwarded" in command
    assert "--http-port=8381" in command and "--http-management-port=9381" in command
    assert "--cache-embedded-network-bind-port=7801" in command
    # Build-time options belong to kc.sh build: repeating one here is a mistake waiting.
    assert not {o.split("=")[0] for o in local_cluster.BUILD_OPTIONS} & {
        o.split("=")[0] for o in command
    }


def test_the_proxy_checks_each_node_on_its_management_port_and_pins_by_cookie() -> None:
    config = local_cluster.proxy_config(local_cluster.nodes(2))
    servers = re.findall(r"server (\S+) 127\.0\.0\.1:(\d+) check port (\d+).* cookie (\S+)", config)
    assert servers == [("node1", "8380", "9380", "node1"), ("node2", "8381", "9381", "node2")]
    assert f"bind 127.0.0.1:{local_cluster.PROXY_PORT}" in config
    assert f"cookie {local_cluster.NODE_COOKIE} insert" in config
    assert "option redispatch" in config and "X-Forwarded-Proto" in config


def test_a_node_count_out_of_range_is_refused_before_anything_starts() -> None:
    with pytest.raises(LauncherError, match="between 1 and 9"):
        local_cluster.start(0)
    result = CliRunner().invoke(main, ["cluster", "start", "--nodes", "10"])
    assert result.exit_code != 0 and "--nodes" in result.output
    assert not local_cluster.run_dir().exists()


def test_status_and_stop_with_no_cluster_say_so() -> None:
    assert local_cluster.status() == (False, "No cluster started by lrs-keycloak is running.")
    result = CliRunner().invoke(main, ["cluster", "status"])
    assert result.exit_code == 1
    assert CliRunner().invoke(main, ["cluster", "stop"]).output.startswith("No cluster")
