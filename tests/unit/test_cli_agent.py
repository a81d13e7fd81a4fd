"""Issue 9 §1: through the CLI, the help desk agent is the person the credentials belong to;
a self-declared ``--agent`` only on the local development server."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lrs_keycloak.cli.recovery import acting_agent


def test_the_agent_is_the_owner_of_the_credentials() -> None:
    assert acting_agent(None, ("lrs", "hal.desk"), "lrs", local_development=False) == "hal.desk"
    assert acting_agent("HAL.desk", ("lrs", "hal.desk"), "lrs", False) == "hal.desk"


def test_naming_another_agent_is_refused_even_on_the_local_server() -> None:
    with pytest.raises(click.UsageError, match="names someone else"):
        acting_agent("ida.second", ("lrs", "hal.desk"), "lrs", local_development=True)


def test_a_declared_agent_is_refused_on_any_other_server() -> None:
    for owner in [("master", "admin"), None, ("lrs", "service-account-lrs-admin")]:
        with pytest.raises(click.UsageError, match="only by the local development server"):
            acting_agent("hal.desk", owner, "lrs", local_development=False)


def test_a_declared_agent_is_accepted_on_the_local_development_server() -> None:
    assert acting_agent("hal.desk", ("master", "admin"), "lrs", True) == "hal.desk"


def test_credentials_of_no_agent_and_no_declared_agent_say_how_to_act() -> None:
    with pytest.raises(click.UsageError, match="LRS_ADMIN_REALM=lrs"):
        acting_agent(None, ("master", "admin"), "lrs", local_development=False)


def test_a_form_file_that_is_not_yaml_is_refused_without_a_traceback(tmp_path: Path) -> None:
    from lrs_keycloak.cli import main

    for name, content in [("bad.yaml", b"a: [unclosed"), ("latin.yaml", b"caf\xe9: 1")]:
        path = tmp_path / name
        path.write_bytes(content)
        result = CliRunner().invoke(main, ["recovery", "open", "--form", str(path)])
        assert result.exit_code == 4, result.output  # a usage error (2 is sync's drift)
        assert "is not a YAML or JSON form" in result.output
        assert "Traceback" not in result.output
