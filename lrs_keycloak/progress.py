"""Progress for long operations, on stderr, and only when stderr is a terminal.

Piped or captured (scripts, CI, tests) nothing of it is written, so stdout carries only the
commands' answers and stderr only their errors. Used by the CLI (sync apply) and the launcher
(fetching and unpacking Keycloak); a module of its own so that neither imports the other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Advance = Callable[[], None]


def shown() -> bool:
    """Progress is drawn only for a person watching a terminal."""
    return sys.stderr.isatty()


def _nothing() -> None:
    return None


@contextmanager
def steps(description: str, total: int) -> Iterator[Advance]:
    """A bar of ``total`` steps; call what it yields once per step done."""
    if not shown() or total <= 0:
        yield _nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,  # the bar goes once done; the command's own answer stays
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


Counted = Callable[[int, int], None]


def _uncounted(done: int, total: int) -> None:
    return None


@contextmanager
def counted(description: str) -> Iterator[Counted]:
    """A bar for work whose size the worker learns: call what it yields with (done, total)."""
    if not shown():
        yield _uncounted
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def waiting(description: str) -> Iterator[None]:
    """A spinner while something of unknown length runs (mvn downloading, building).

    Not on a terminal the description is written once to stderr instead: a wait of minutes
    with no word at all would look like a hang to whoever reads the log.
    """
    if not shown():
        print(description, file=sys.stderr, flush=True)
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(description):
        yield
