"""docker-compose.yml describes the same system as the launcher: same version, ports, realm."""

from __future__ import annotations

import yaml

from lrs_keycloak.settings import KEYCLOAK_VERSION, PROJECT_ROOT


def test_docker_compose_pins_the_launchers_keycloak_version_ports_and_realm() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    keycloak = compose["services"]["keycloak"]
    # Built from quay.io/keycloak/keycloak with the extension (Dockerfile, target keycloak).
    assert keycloak["image"] == f"lrs-keycloak/keycloak:{KEYCLOAK_VERSION}"
    assert keycloak["build"]["args"]["KEYCLOAK_VERSION"] == KEYCLOAK_VERSION
    # The nodes are reached through the proxy, which alone publishes the launcher's port.
    assert "127.0.0.1:8080:8080" in compose["services"]["proxy"]["ports"]
    assert keycloak["environment"]["KC_HTTP_MANAGEMENT_PORT"] == "9000"
    assert compose["services"]["companion"]["environment"]["LRS_REALM"] == "lrs"
    assert "127.0.0.1:5000:5000" in compose["services"]["companion"]["ports"]


def test_realm_yaml_points_keycloaks_mail_at_the_same_smtp_server_as_the_settings() -> None:
    """Keycloak's own mail (set-password emails) and the companion app's (approval emails)
    default to the same local server, so one mail catcher receives both."""
    import re

    from lrs_keycloak.settings import ENV_PREFIX, Settings

    text = (PROJECT_ROOT / "realm-config" / "realm.yaml").read_text()
    found = dict(re.findall(r"\$\{(LRS_SMTP_[A-Z_]+):-([^}]*)\}", text))
    assert found, "realm.yaml names no LRS_SMTP_ variable"
    for variable, default in found.items():
        field = Settings.model_fields[variable.removeprefix(ENV_PREFIX).lower()]
        expected = field.default
        shown = str(expected).lower() if isinstance(expected, bool) else str(expected or "")
        assert default == shown, variable
