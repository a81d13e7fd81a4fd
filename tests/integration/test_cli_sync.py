"""`lrs-keycloak sync` against the live Keycloak: the totals, and a deletion only with --yes."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from lrs_keycloak.cli import main


def _organisations(path: Path, *ids: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"organisations": [{"id": i, "name": i.title(), "kind": "college"} for i in ids]}
        )
    )
    return path


def test_removing_an_organisation_needs_yes_when_nobody_can_be_asked(
    realm_name: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    both = _organisations(tmp_path / "both.yaml", "alpha-college", "beta-college")
    created = runner.invoke(main, ["sync", "--realm", realm_name, "--organisations", str(both)])
    assert created.exit_code == 0, created.output  # nothing to delete: no question
    assert " to create, " in created.output and ", 0 to delete." in created.output

    one = _organisations(tmp_path / "one.yaml", "alpha-college")
    args = ["sync", "--realm", realm_name, "--organisations", str(one)]
    refused = runner.invoke(main, args)
    assert refused.exit_code == 4, refused.output
    assert "Plan: 0 to create, 0 to change, 1 to delete." in refused.output
    assert "Pass --yes" in refused.output
    assert runner.invoke(main, [*args, "--check"]).exit_code == 2  # nothing was deleted

    done = runner.invoke(main, [*args, "--yes"])
    assert done.exit_code == 0, done.output
    assert "delete group /organisations/beta-college" in done.output
    assert runner.invoke(main, [*args, "--check"]).exit_code == 0
