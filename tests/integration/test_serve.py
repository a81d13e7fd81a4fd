"""Issue 11, served like a service: `lrs-keycloak serve` under gunicorn with two workers, on a
free port, against the real Keycloak: /healthz reports both dependencies, /metrics adds up the
workers' counts, every log line is JSON."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from lrs_keycloak.composition import upgrade_database
from lrs_keycloak.keycloak.gateway import KeycloakGateway


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


@pytest.fixture
def served(synced_gateway: KeycloakGateway, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    database = f"sqlite:///{tmp_path / 'served.sqlite'}"
    upgrade_database(database_url=database)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "LRS_REALM": synced_gateway.realm,
        "LRS_DATABASE_URL": database,
        "LRS_CACHE_DIR": str(tmp_path / "cache"),
        "LRS_WORKERS": "2",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lrs_keycloak.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        yield base, process.pid, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)


def test_serve_runs_gunicorn_with_two_workers_and_reports_health_and_metrics(
    served: tuple[str, int, Path],
) -> None:
    base, pid, log = served
    assert len(children(pid)) == 2
    answer = requests.get(f"{base}/healthz", headers={"X-Request-Id": "it-1"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"database": {"status": "UP"}, "keycloak": {"status": "UP"}}
    assert answer.headers["X-Request-Id"] == "it-1"
    for _ in range(6):  # spread over both workers: /metrics must add them up
        requests.get(f"{base}/healthz", timeout=10)
    metrics = requests.get(f"{base}/metrics", timeout=10)
    assert metrics.status_code == 200
    line = next(
        line
        for line in metrics.text.splitlines()
        if line.startswith('lrs_http_requests_total{endpoint="/healthz",method="GET",status="200"}')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 7
    time.sleep(0.5)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(r.get("request_id") == "it-1" and r.get("path") == "/healthz" for r in records)
    # Every line gunicorn and the app wrote is JSON (the banner `serve` echoes aside).
    others = [line for line in log.read_text().splitlines() if not line.startswith("{")]
    assert all(line.startswith("Companion app at") for line in others), others


def test_serve_answers_503_when_the_realm_is_gone(
    served: tuple[str, int, Path], synced_gateway: KeycloakGateway
) -> None:
    base, _, _ = served
    synced_gateway.delete_realm()
    answer = requests.get(f"{base}/healthz", timeout=10)
    assert answer.status_code == 503
    assert answer.json()["checks"]["keycloak"]["status"] == "DOWN"
    assert answer.json()["checks"]["database"] == {"status": "UP"}
