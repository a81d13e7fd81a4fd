"""The CLI's exit codes and its one error boundary, shared by every command module.

Its own module so that every command module imports it and none imports another for it (they
used to reach back into the root command's module lazily: an import cycle).

Exit codes: 0 done, 1 error, 2 drift (`sync --check`), 3 refused by a rule of the guide,
4 usage error (Click's own is 2, which would read as drift to a script running `sync --check`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from lrs_keycloak.config import ConfigError
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.local_keycloak import LauncherError
from lrs_keycloak.services.errors import GatewayError
from lrs_keycloak.settings import SettingsError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2
EXIT_REFUSED = 3
EXIT_USAGE = 4


@contextmanager
def error_boundary() -> Iterator[None]:
    """A clear message and an exit code, never a stack trace."""
    try:
        yield
    except ConfigError as error:
        click.echo("The policy files are not valid; nothing was written:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(EXIT_ERROR)
    except RuleViolation as error:
        for violation in error.violations:
            # Every refusal names its field (the option is the field with dashes).
            where = f"; field {violation.field}" if violation.field else ""
            click.echo(f"Refused: {violation.message} ({violation.rule}{where})", err=True)
        sys.exit(EXIT_REFUSED)
    except click.ClickException:
        raise  # a usage error: click prints it with the command's usage (exit 4, see Group)
    except click.Abort:
        raise  # Ctrl-C or end of input at a prompt: click prints "Aborted!" (exit 1)
    except Exception as error:  # the last line of defence: a message, not a stack trace
        if _says_what_to_do(error):
            click.echo(f"Error: {error}", err=True)
        else:
            click.echo(f"Unexpected error ({type(error).__name__}): {error}", err=True)
        sys.exit(EXIT_ERROR)


def _says_what_to_do(error: Exception) -> bool:
    """Errors whose message tells the operator what to do (start Keycloak, set a variable, run
    `lrs-keycloak db upgrade`, …): printed as they are."""
    # Imported only now: the store (Alembic) would add a second to every command's start, `-h`
    # included, and a command that raised SchemaOutOfDate has imported it already.
    from lrs_keycloak.store.db import SchemaOutOfDate

    return isinstance(error, GatewayError | LauncherError | SettingsError | SchemaOutOfDate)


class Group(click.Group):
    """The root command group: Click's usage errors exit 4 instead of 2.

    Click raises them while parsing (``make_context``, for this group and, from ``invoke``, for
    each subcommand) and from inside commands; both pass through here on their way to Click's
    standalone handler, which prints them and exits with their ``exit_code``.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            _exit_4(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            _exit_4(error)
            raise


def _exit_4(error: click.UsageError) -> None:
    # Click declares exit_code on the class (ClassVar) and reads it from the instance: setting
    # it on this one instance changes this error only, its message and usage text stay Click's.
    error.exit_code = EXIT_USAGE  # type: ignore[misc]
