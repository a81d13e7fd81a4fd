"""The secrets local development generates once, in files only this user can read."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def generated_secret(path: Path) -> str:
    """The secret kept in ``path``, generated there first if it is not yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together keep one secret, readable by this user only.
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip()
