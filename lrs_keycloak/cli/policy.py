"""`lrs-keycloak init DIR`: an editable copy of the default policy (ADR 8), and where the demo
organisations are found."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.settings import config_dir, default_config_dir


@click.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into DIR even when it is not empty.")
def init(directory: Path, force: bool) -> None:
    """Write an editable copy of the default policy (realm-config/) to DIR.

    Use it with LRS_CONFIG_DIR=DIR (or --config DIR). --force overwrites the default policy's
    files there and leaves any others.
    """
    with error_boundary():
        if directory.exists() and any(directory.iterdir()) and not force:
            click.echo(
                f"Error: {directory} is not empty; nothing was written (--force overwrites the "
                "default policy's files there).",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        shutil.copytree(default_config_dir(), directory, dirs_exist_ok=True)
        click.echo(
            f"Wrote the default policy to {directory}; edit it, then use it with "
            f"LRS_CONFIG_DIR={directory} (or --config {directory})."
        )


def demo_organisations() -> Path:
    """The demo organisations of the policy in use, else those shipped with the default one."""
    chosen = config_dir() / "demo" / "organisations.yaml"
    return chosen if chosen.is_file() else default_config_dir() / "demo" / "organisations.yaml"
