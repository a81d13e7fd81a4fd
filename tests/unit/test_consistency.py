"""docker-compose.yml describes the same system as the launcher: same version, ports, realm."""

from __future__ import annotations

import yaml

from lrs_keycloak.settings import KEYCLOAK_VERSION, PROJECT_ROOT


def test_docker_compose_pins_the_launchers_keycloak_version_ports_and_realm() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"] == f"quay.io/keycloak/keycloak:{KEYCLOAK_VERSION}"
    assert "--http-port=8080" in keycloak["command"]
    assert "--http-management-port=9000" in keycloak["command"]
    assert compose["services"]["companion"]["environment"]["LRS_REALM"] == "lrs"
    assert "5000:5000" in compose["services"]["companion"]["ports"]
