"""`lrs-keycloak db …`: the companion app's database schema, changed only when asked.

No other command migrates a database (a shared one must not change as a side effect): the app
and the commands refuse a schema that is behind and name `lrs-keycloak db upgrade`.
"""

from __future__ import annotations

import sys

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary

database_url_option = click.option(
    "--database-url",
    default=None,
    help="A SQLAlchemy URL (default: LRS_DATABASE_URL, else the SQLite file in the cache folder).",
)


def _where(database_url: str | None) -> str:
    """The database, as it may be printed (no password)."""
    from sqlalchemy.engine import make_url

    from lrs_keycloak.settings import load_settings

    url = database_url or load_settings().database()
    return make_url(url).render_as_string(hide_password=True)


def upgrade(database_url: str | None = None) -> str:
    """Bring the schema to this version's; returns a line saying what was done."""
    from lrs_keycloak.composition import upgrade_database

    before, now = upgrade_database(database_url=database_url)
    where = _where(database_url)
    if before == now:
        return f"The database {where} is at revision {now} already; nothing to upgrade."
    return f"Upgraded the database {where} from revision {before or 'none'} to {now}."


@click.group()
def db() -> None:
    """The companion app's database: its schema, brought up to date by migrations."""


@db.command("upgrade")
@database_url_option
def db_upgrade(database_url: str | None) -> None:
    """Bring the schema to this version's (before starting a new version; safe to repeat)."""
    with error_boundary():
        click.echo(upgrade(database_url))


@db.command("current")
@database_url_option
def db_current(database_url: str | None) -> None:
    """Print the schema's revision: exit 0 when it is this version's, 1 when it needs
    `lrs-keycloak db upgrade`."""
    from lrs_keycloak.composition import database_revision

    code = EXIT_ERROR
    with error_boundary():
        revision, head = database_revision(database_url=database_url)
        where = _where(database_url)
        if revision == head:
            click.echo(f"The database {where} is at revision {head}, this version's.")
            code = 0
        else:
            click.echo(
                f"The database {where} is at revision {revision or 'none'}; this version needs "
                f"{head}: run `lrs-keycloak db upgrade`."
            )
    sys.exit(code)
