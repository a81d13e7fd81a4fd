"""The proxy configuration `cluster start` writes is one Debian's haproxy accepts (three nodes, so
the configuration is not only ever checked for the two the other tests start)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lrs_keycloak import local_cluster


def test_haproxy_accepts_the_proxy_config(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "haproxy is not installed: run ./scripts/setup --cluster"
    config = tmp_path / "haproxy.cfg"
    config.write_text(local_cluster.proxy_config(local_cluster.nodes(3)))
    done = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
