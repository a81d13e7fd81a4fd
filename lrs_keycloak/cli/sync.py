"""`lrs-keycloak sync`: make the realm match the policy. Plan, show it with its totals, ask
before deleting anything, apply with progress.

Only the plan's public shape is used here (its changes with their steps, its totals); planning
and applying are `keycloak.sync`'s.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lrs_keycloak import progress
from lrs_keycloak.cli.errors import EXIT_DRIFT, EXIT_ERROR, error_boundary
from lrs_keycloak.config import load_organisations

if TYPE_CHECKING:
    from lrs_keycloak.keycloak.sync import Plan


def totals(the_plan: Plan) -> str:
    """The plan in one line: "12 to create, 0 to change, 1 to delete"."""
    counted = the_plan.totals()
    return f"{counted.create} to create, {counted.update} to change, {counted.delete} to delete"


def tracked(the_plan: Plan, advance: progress.Advance) -> Plan:
    """The same plan, each of its steps advancing the progress bar once it has run."""

    def after(run: Callable[..., None]) -> Callable[..., None]:
        def run_then_advance(*args: Any) -> None:
            run(*args)
            advance()

        return run_then_advance

    return dataclasses.replace(
        the_plan,
        changes=[
            change if change.run is None else dataclasses.replace(change, run=after(change.run))
            for change in the_plan.changes
        ],
    )


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def deletions_confirmed(the_plan: Plan, yes: bool) -> bool:
    """Whether the plan may be applied: nothing to delete, --yes, or the operator said so.

    Nobody can answer on a stdin that is not a terminal: refused there (exit 4), naming --yes,
    rather than deleting unasked or hanging on a prompt.
    """
    count = the_plan.totals().delete
    if count == 0 or yes:
        return True
    if not stdin_is_terminal():
        raise click.UsageError(
            f"The plan deletes {count} object(s) and nobody can be asked (stdin is not a "
            "terminal); nothing was written. Pass --yes to apply it without asking."
        )
    return click.confirm(f"Delete the {count} object(s) listed above?", default=False, err=True)


def run_sync(
    realm: str | None,
    organisations: Path | None,
    mode: str,
    config: Path | None,
    yes: bool = False,
) -> int:
    """Plan, and show, check or apply; returns the exit code."""
    from lrs_keycloak.composition import Root
    from lrs_keycloak.keycloak.sync import apply, plan

    root = Root(realm=realm, config=config)
    policy = root.policy()
    orgs = load_organisations(organisations, policy) if organisations else None
    the_plan = plan(root.gateway(), policy, orgs)
    if mode in ("plan", "check"):
        _show(the_plan)
        return EXIT_DRIFT if mode == "check" and not the_plan.empty else 0
    if the_plan.empty:
        click.echo(f"Realm {policy.realm} already matches the policy; nothing written.")
        return 0
    _show(the_plan)
    if not deletions_confirmed(the_plan, yes):
        click.echo("Nothing was written.")
        return EXIT_ERROR
    steps = sum(1 for change in the_plan.changes if change.run is not None)
    with progress.steps(f"Applying to realm {policy.realm}", steps) as advance:
        applied = apply(root.gateway(), tracked(the_plan, advance))
    click.echo(f"Applied {applied} changes to realm {policy.realm}.")
    return 0


def _show(the_plan: Plan) -> None:
    click.echo(the_plan.describe())
    if not the_plan.empty:
        click.echo(f"Plan: {totals(the_plan)}.")


yes_option = click.option(
    "--yes", is_flag=True, help="Apply deletions without asking (needed when stdin is no terminal)."
)


@click.command()
@click.option("--plan", "mode", flag_value="plan", help="Print what would change; write nothing.")
@click.option("--check", "mode", flag_value="check", help="Exit 0 if Keycloak matches, 2 if not.")
@click.option("--realm", default=None, help="Realm name (default: realm.yaml, or LRS_REALM).")
@click.option(
    "--organisations",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Organisation data file; without it, organisation groups are left as they are.",
)
@click.option("--config", type=click.Path(file_okay=False, path_type=Path), help="Policy folder.")
@yes_option
def sync(
    mode: str | None,
    realm: str | None,
    organisations: Path | None,
    config: Path | None,
    yes: bool,
) -> None:
    """Make the Keycloak realm match realm-config/ (plan, then apply).

    Applying asks before deleting anything (only what sync itself created is ever deleted).
    """
    code = EXIT_ERROR
    with error_boundary():
        code = run_sync(realm, organisations, mode or "apply", config, yes)
    sys.exit(code)
