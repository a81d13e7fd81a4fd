"""`lrs-keycloak serve` (the app under gunicorn) and `lrs-keycloak run` (the whole product on
this machine: Keycloak, the app and the worker). docs/operations.md says how to run them.

Both serve through gunicorn: no development server, since `run` is meant to behave as the
deployed service does (several worker processes, the worker apart, JSON logs, metrics). The
settings are LRS_BIND, LRS_WORKERS, LRS_THREADS, LRS_REQUEST_TIMEOUT (docs/settings.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from lrs_keycloak import local_keycloak
from lrs_keycloak.cli.db import upgrade
from lrs_keycloak.cli.errors import error_boundary
from lrs_keycloak.cli.keycloak import database_option
from lrs_keycloak.cli.policy import demo_organisations
from lrs_keycloak.cli.sync import run_sync, yes_option
from lrs_keycloak.settings import Settings, load_settings

host_option = click.option("--host", default=None, help="Listen on this host [LRS_BIND's].")
port_option = click.option("--port", default=None, type=int, help="…and port [LRS_BIND's].")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's name for it


@click.command()
@host_option
@port_option
@database_option
@yes_option
def run(host: str | None, port: int | None, database: str, yes: bool) -> None:
    """Everything: Keycloak with the extension, the store's schema upgraded, the realm synced
    with the demo organisations and their demo accounts, the worker, the app."""
    from lrs_keycloak.cli.demo import demo_accounts
    from lrs_keycloak.dev_mail import start_if_needed

    settings = load_settings()
    bind = bind_address(settings, host, port)
    with error_boundary():
        click.echo(local_keycloak.start(database=database))
        click.echo(upgrade())
        code = run_sync(None, demo_organisations(), "apply", None, yes)
        if code != 0:
            sys.exit(code)
        # The catcher first: the demo accounts' set-password emails go to it.
        catcher = start_if_needed(local_keycloak.paths().run / "mail.log")
        if catcher:
            click.echo(catcher)
        accounts = demo_accounts(settings)
    click.echo(f"Keycloak admin console: {settings.keycloak_url}/admin/ (realm {settings.realm})")
    click.echo(f"Account console: {settings.keycloak_url}/realms/{settings.realm}/account/")
    for line in accounts:
        click.echo(line)
    with worker_process():
        serve_app(settings, bind)


@contextmanager
def worker_process() -> Iterator[None]:
    """`lrs-keycloak worker` as a child process, stopped when the block ends (`run`)."""
    worker = subprocess.Popen([sys.executable, "-m", "lrs_keycloak.cli", "worker"])
    click.echo(f"Worker (pid {worker.pid}): polls Keycloak's events, sweeps the grace period")
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@click.command()
@host_option
@port_option
def serve(host: str | None, port: int | None) -> None:
    """Serve the companion app under gunicorn (Keycloak must be running, the schema upgraded:
    see `lrs-keycloak db upgrade`; run `lrs-keycloak worker` beside it)."""
    settings = load_settings()
    serve_app(settings, bind_address(settings, host, port))


def bind_address(settings: Settings, host: str | None, port: int | None) -> str:
    """LRS_BIND, with --host or --port in place of its parts."""
    default_host, _, default_port = settings.bind.rpartition(":")
    return f"{host or default_host or '127.0.0.1'}:{port or default_port}"


def metrics_folder(settings: Settings) -> Path:
    """Where gunicorn's workers keep their metrics (PROMETHEUS_MULTIPROC_DIR), emptied at each
    start: files left by an earlier run's processes would be added to this run's."""
    folder = settings.cache_path() / "run" / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def gunicorn_options(settings: Settings, bind: str, metrics: Path) -> dict[str, Any]:
    """gunicorn's settings for the app: its threaded workers, logging as JSON lines."""
    return {
        "bind": [bind],
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        "timeout": settings.request_timeout,
        "graceful_timeout": 30,
        # The app writes one JSON line a request, with its request id (web/operations.py).
        "accesslog": None,
        # The app is built once, before the workers are forked: a refused setting or a schema
        # behind stops `serve` at once with a message, instead of every worker dying in turn.
        "preload_app": True,
        # Set by gunicorn before it builds the app: prometheus_client reads it when imported.
        "raw_env": [f"{MULTIPROC_ENV}={metrics}"],
        "logconfig_dict": LOGGING,
        "post_fork": _post_fork,
        "child_exit": _child_exit,
        # Forwarded headers are the app's business (LRS_TRUSTED_PROXIES, ProxyFix).
        "forwarded_allow_ips": "",
    }


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "lrs_keycloak.web.logs.JsonFormatter"}},
    "filters": {"redact": {"()": "lrs_keycloak.web.logs.RedactApprovalTokens"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        "alembic": {"level": "WARNING"},  # its start-up chatter when the schema is checked
    },
}


def _post_fork(_server: Any, _worker: Any) -> None:
    # The engine was made before the fork: each worker opens its own connections, never one of
    # its parent's (SQLAlchemy's advice for forking servers).
    app = _APP.get("app")
    if app is not None:
        from lrs_keycloak.web import context

        context.engine(app).dispose(close=False)


def _child_exit(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


_APP: dict[str, Any] = {}


def serve_app(settings: Settings, bind: str) -> None:
    from gunicorn.app.base import BaseApplication

    metrics = metrics_folder(settings)

    def load() -> Any:
        from lrs_keycloak.web import create_app

        with error_boundary():  # refused settings, or a schema behind: a message, not a trace
            _APP["app"] = create_app(settings, {"LRS_METRICS_DIR": str(metrics)})
        click.echo(f"Companion app at http://{bind}/ (Ctrl-C to stop)")
        return _APP["app"]

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return load()

    Gunicorn(gunicorn_options(settings, bind, metrics)).run()
