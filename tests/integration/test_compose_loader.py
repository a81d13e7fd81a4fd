"""docker-compose.yml as Docker Compose itself reads it: loaded by compose-go (the library
Compose uses) through docker/compose-check, with .env.example's values filled in, since no Docker
engine runs here. Then Keycloak's healthcheck command, as compose hands it to the container, is
run against the real Keycloak the integration tests use (its management port is 9000 there too).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "docker" / "compose-check"


def load(env_file: Path) -> subprocess.CompletedProcess[str]:
    go = shutil.which("go")
    if go is None:
        pytest.fail("No `go` on PATH: docker/compose-check needs the Go toolchain", pytrace=False)
    return subprocess.run(
        # No version-control stamp: nothing needs it, and it would need git to read the clone.
        [
            go,
            "-C",
            str(CHECKER),
            "run",
            "-buildvcs=false",
            ".",
            str(ROOT / "docker-compose.yml"),
            str(env_file),
        ],
        capture_output=True,
        text=True,
        timeout=600,  # the first run downloads compose-go and builds it
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The project compose would run with every empty value of .env.example filled in."""
    example = (ROOT / ".env.example").read_text()
    filled = re.sub(r"^([A-Z0-9_]+)=$", r"\1=test-\1", example, flags=re.MULTILINE)
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text(filled)
    done = load(env_file)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_compose_loads_it_and_every_lrs_service_gets_the_same_settings(
    project: dict[str, Any],
) -> None:
    services = project["services"]
    assert set(services) == {
        "postgres",
        "mailpit",
        "keycloak",
        "keycloak-2",
        "proxy",
        "migrate",
        "sync",
        "companion",
        "worker",
    }
    keycloak = services["keycloak"]["environment"]
    app = services["companion"]["environment"]
    assert keycloak["KC_HOSTNAME"] == app["LRS_KEYCLOAK_PUBLIC_URL"] == "http://127.0.0.1:8080"
    assert keycloak["KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__SECRET"] == app["LRS_WEBHOOK_SECRET"]
    assert app["LRS_DATABASE_URL"] == (
        "postgresql+psycopg://lrs:test-LRS_DB_PASSWORD@postgres:5432/lrs"
    )
    # Two nodes alike (one cluster), reached by the app through the proxy (docs/adr/0022).
    assert services["keycloak-2"]["environment"] == keycloak
    assert app["LRS_KEYCLOAK_URL"] == "http://proxy:8080"
    assert [p["published"] for p in services["proxy"]["ports"]] == ["8080"]
    assert services["postgres"]["environment"]["LRS_DB_PASSWORD"] == "test-LRS_DB_PASSWORD"
    assert services["migrate"]["environment"] == services["sync"]["environment"] == app
    assert services["worker"]["environment"] == app


def test_keycloak_healthcheck_passes_on_a_ready_keycloak(project: dict[str, Any]) -> None:
    test = project["services"]["keycloak"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "bash", "-c"]
    ready = subprocess.run(test[1:], capture_output=True, timeout=10, check=False)
    assert ready.returncode == 0, ready.stderr
    # And it fails on an answer other than 200 (a path the management port does not serve).
    missing = test[3].replace("/health/ready", "/health/none")
    assert subprocess.run(["bash", "-c", missing], timeout=10, check=False).returncode != 0


def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())  # as shipped: secrets empty
    done = load(env_file)
    assert done.returncode == 1
    assert "required variable LRS_SECRET_KEY is missing a value" in done.stderr
