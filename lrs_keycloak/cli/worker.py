"""`lrs-keycloak worker`: the app's background work, in a process of its own.

Every ``LRS_POLL_SECONDS`` it handles the admin events and permanent lockouts Keycloak stored
that nobody handled yet (what the webhook missed while the app was down: the cursor is in the
database, so nothing is handled twice), disables the users still flagged after the grace
period, reminds the help desk of recovery cases overdue for their form, and runs the import
jobs the API accepted (docs/adr/0019). One worker per deployment is enough; a second is safe
(for availability): each event is claimed before it is handled, and one whose worker died is
taken up once its lease runs out (docs/adr/0023); import jobs are claimed too. The web app
reacts to webhook deliveries only (lrs_keycloak/web/enforcement.py): gunicorn runs several web
workers and replaces them at will, so none of them polls or runs imports.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from types import FrameType

import click

from lrs_keycloak.cli.errors import EXIT_ERROR, error_boundary
from lrs_keycloak.composition import Root
from lrs_keycloak.settings import load_settings

log = logging.getLogger("lrs_keycloak.worker")


def one_round(root: Root) -> bool:
    """Poll, then sweep; False when it failed (logged: the next round tries again)."""
    try:
        enforcer = root.enforcer()
        handled = enforcer.poll()
        disabled = enforcer.sweep()
    except Exception:
        log.exception("The worker's round failed; it will try again")
        return False
    if handled or disabled:
        log.info(
            "Handled %d events, disabled %d users",
            handled,
            len(disabled),
            extra={"events_handled": handled, "users_disabled": len(disabled)},
        )
    return True


def reminder_round(root: Root) -> bool:
    """The help desk reminded, once per case, of recovery cases that waited too long for their
    form (realm-config/lifecycle.yaml, recovery.form_overdue_days); False when it failed."""
    days = root.policy().lifecycle.recovery_form_overdue_days
    if days is None:
        return True
    try:
        cases = root.recovery_store().all_awaiting_form()
        reminded = root.notices().overdue_forms(cases, days, datetime.now(UTC))
    except Exception:
        log.exception("The overdue-form reminders failed; the next round tries again")
        return False
    if reminded:
        log.info("Reminded the help desk of cases %s", reminded, extra={"reminded": reminded})
    return True


def lifecycle_round(root: Root) -> bool:
    """End dates and inactivity (`lifecycle run`); False when it failed (logged)."""
    try:
        actions = root.lifecycle().run()
    except Exception:
        log.exception("The lifecycle run failed; the next one tries again")
        return False
    if actions:
        log.info(
            "Lifecycle: %d steps taken of %d due",
            sum(a.done for a in actions),
            len(actions),
            extra={"lifecycle_steps": [a.as_dict() for a in actions]},
        )
    return True


def import_round(root: Root, stop: threading.Event | None = None) -> bool:
    """The import jobs the API accepted (docs/adr/0019), each run to its end, and any whose
    worker died taken up again; False when one failed (logged: it is taken up again once its
    heartbeat is stale)."""
    try:
        ran = root.import_jobs().run_all(stop.is_set if stop is not None else None)
    except Exception:
        log.exception("An import job failed; it will be taken up again")
        return False
    if ran:
        log.info("Ran %d import jobs", ran, extra={"import_jobs": ran})
    return True


def run_worker(
    root: Root,
    every: float,
    stop: threading.Event,
    rounds: int | None = None,
    lifecycle_every: float = 0,
) -> int:
    """Rounds every ``every`` seconds until ``stop`` is set (or ``rounds`` are done), with a
    lifecycle run every ``lifecycle_every`` seconds (0: none); returns how many rounds
    succeeded. Run until stopped, import jobs have a thread of their own (a file of thousands
    takes minutes, which must not hold up the events' poll); a counted run does them in turn."""
    done = succeeded = 0
    next_lifecycle = time.monotonic()
    imports = None
    while not stop.is_set():
        succeeded += one_round(root)
        reminder_round(root)
        if rounds is not None:
            import_round(root)
        elif imports is None:
            imports = threading.Thread(
                target=_import_loop, args=(root, every, stop), name="lrs-import-jobs", daemon=True
            )
            imports.start()
        if lifecycle_every > 0 and time.monotonic() >= next_lifecycle:
            lifecycle_round(root)
            next_lifecycle = time.monotonic() + lifecycle_every
        done += 1
        if (rounds is not None and done >= rounds) or stop.wait(every):
            break
    if imports is not None:
        # A job under way is given a moment; cut off, it is taken up again by the next worker
        # once stale, and its people already made are recognised (docs/adr/0019).
        imports.join(timeout=5)
    return succeeded


def _import_loop(root: Root, every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        import_round(root, stop)
        stop.wait(every)


@click.command()
@click.option("--once", is_flag=True, help="One poll and sweep, then exit (e.g. from cron).")
@click.option(
    "--every", type=float, default=None, help="Seconds between rounds [default: LRS_POLL_SECONDS]."
)
def worker(once: bool, every: float | None) -> None:
    """Run the background work: poll Keycloak's stored events, sweep the grace period.

    Needs Keycloak and the store's schema upgraded (`lrs-keycloak db upgrade`); while Keycloak
    cannot be reached each round fails, is logged and is tried again.
    """
    from lrs_keycloak.web.logs import configure

    configure()
    with error_boundary():  # refused settings, or a schema behind: a message, not a trace
        settings = load_settings()
        root = Root(realm=settings.realm, settings=settings)
        root.engine()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("Stopping on signal %d", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    seconds = every if every is not None else settings.poll_seconds
    log.info("Worker started: a round every %g s", seconds, extra={"realm": settings.realm})
    lifecycle_every = settings.lifecycle_minutes * 60
    succeeded = run_worker(
        root, seconds, stop, rounds=1 if once else None, lifecycle_every=lifecycle_every
    )
    if once and not succeeded:
        sys.exit(EXIT_ERROR)
