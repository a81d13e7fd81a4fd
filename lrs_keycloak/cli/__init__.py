"""`lrs-keycloak`: the operator's command. Thin: parse, call, print, choose the exit code.

One module per command group; each gets its collaborators from the composition root
(`lrs_keycloak.composition`) and shares only the error boundary (`errors`). Exit codes: 0 done,
1 error, 2 drift (`sync --check`), 3 refused by a rule of the guide, 4 usage error.
"""

from __future__ import annotations

import click

from lrs_keycloak import __version__

# The modules, not their commands, are bound here: several commands share their module's name
# (`sync`, `users`, …), and binding a command would hide the module from `lrs_keycloak.cli.X`.
from lrs_keycloak.cli import (
    agreement,
    api_clients,
    audit,
    cluster,
    console_changes,
    db,
    errors,
    keycloak,
    lifecycle,
    policy,
    recovery,
    reviews,
    serve,
    sync,
    users,
    worker,
)


@click.group(cls=errors.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="lrs-keycloak")
def main() -> None:
    """Identity and user administration for the Learner Registration Service, on Keycloak."""


for _command in (
    keycloak.keycloak,
    cluster.cluster,
    sync.sync,
    policy.init,
    agreement.agreement,
    audit.audit,
    users.organisations,
    users.users,
    lifecycle.lifecycle,
    recovery.recovery,
    reviews.reviews,
    db.db,
    serve.run,
    serve.serve,
    worker.worker,
):
    main.add_command(_command)
users.organisations.add_command(api_clients.api_client)  # organisations api-client …
users.users.add_command(lifecycle.end_date)  # users end-date …
users.users.add_command(lifecycle.leavers)  # users leavers …
users.users.add_command(console_changes.needs_reason)  # users needs-reason (issue 12)
users.users.add_command(console_changes.add_reason)  # users add-reason

__all__ = ["main"]
