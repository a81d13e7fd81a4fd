"""Processes the launchers start in the background and find again by a pid file: each in its
own session (so a stop ends its children too), its output appended to a log file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

#: The processes this interpreter started, kept so that they are polled (and reaped) by their
#: Popen, rather than collected while they run (a ResourceWarning) when start() is called from
#: a long-lived process such as the test session.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn(command: list[str], pid_file: Path, log_file: Path, **options: Any) -> int:
    """Start `command` in its own session, output to `log_file`, its pid into `pid_file`."""
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop ends its children too
            **options,
        )
    _CHILDREN[process.pid] = process
    pid_file.write_text(str(process.pid))
    return process.pid


def alive(pid_file: Path) -> int | None:
    """The recorded pid while its process runs, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return pid
        del _CHILDREN[pid]
        return None
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap our own exited child, or kill(0) sees a zombie
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def stop_pid(pid_file: Path, wait_seconds: float) -> int | None:
    """SIGTERM to the process group, SIGKILL after `wait_seconds`; the pid it stopped, if any."""
    pid = alive(pid_file)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline and alive(pid_file) is not None:
            time.sleep(0.5)
        if alive(pid_file) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid
