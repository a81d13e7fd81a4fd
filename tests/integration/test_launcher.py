"""The launcher against the running server: idempotent start, status for scripts."""

from __future__ import annotations

from click.testing import CliRunner

from lrs_keycloak.cli import main


def test_starting_again_says_it_is_already_running_and_succeeds() -> None:
    result = CliRunner().invoke(main, ["keycloak", "start"])
    assert result.exit_code == 0, result.output
    assert "already" in result.output


def test_status_exits_0_when_keycloak_is_ready_and_prints_the_log_path() -> None:
    result = CliRunner().invoke(main, ["keycloak", "status"])
    assert result.exit_code == 0
    assert "is ready" in result.output
    assert "keycloak.log" in result.output
