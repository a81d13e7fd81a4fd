"""`lrs-keycloak cluster …`: Keycloak in its production shape on this machine (docs/adr/0022).

`kc.sh build` for PostgreSQL and a clustered cache, then N nodes started with `start --optimized`
on loopback behind Debian's haproxy. A separate copy of the distribution from `keycloak start`
(start-dev on 8080, which the tests use), so both can run side by side.
"""

from __future__ import annotations

import sys

import click

from lrs_keycloak import local_cluster
from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary


@click.group()
def cluster() -> None:
    """Run Keycloak in production mode: N clustered nodes on PostgreSQL behind haproxy."""


@cluster.command("start")
@click.option(
    "--nodes",
    "count",
    type=click.IntRange(1, local_cluster.MAX_NODES),
    default=2,
    show_default=True,
    help=f"How many Keycloak nodes: node i answers on {local_cluster.HTTP_PORT}+i (health on "
    f"{local_cluster.MANAGEMENT_PORT}+i); clients use the proxy at {local_cluster.PUBLIC_URL}.",
)
def cluster_start(count: int) -> None:
    """Build (when needed) and start the nodes and the proxy; returns once all are ready."""
    with error_boundary():
        click.echo(local_cluster.start(count))


@cluster.command("stop")
def cluster_stop() -> None:
    """Stop every node and the proxy this command started (by their recorded pids)."""
    with error_boundary():
        click.echo(local_cluster.stop())


@cluster.command("status")
def cluster_status() -> None:
    """Exit 0 when every node is ready and the proxy runs, 1 otherwise."""
    healthy, message = local_cluster.status()
    click.echo(message)
    sys.exit(0 if healthy else EXIT_ERROR)
