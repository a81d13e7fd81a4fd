"""What the app and its server log must not hold: the senior manager's approval token.

The approval link ``/recovery/approve/<token>`` is a credential (whoever has it approves or
rejects a new Super User), so the access log (Werkzeug's ``werkzeug`` logger, which the
development server writes one line a request to) and the app's own messages name only the
route, never the token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: The token runs to the end of the path segment (stopping at spaces, a query, quotes and the
#: escape codes Werkzeug colours its lines with).
_APPROVAL = re.compile(r"(/recovery/approve/)[^\s/?#\"'\x1b]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _APPROVAL.sub(rf"\g<1>{REDACTED}", text)


def _scrub(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactApprovalTokens(logging.Filter):
    """Rewrites a record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrub(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _scrub(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_scrub(v) for v in record.args)
        return True


def install(*loggers: logging.Logger) -> None:
    """Add the filter to each logger once (a filter on a logger sees only records logged on
    that very logger, not its children's, hence the explicit list)."""
    for logger in loggers:
        if not any(isinstance(f, RedactApprovalTokens) for f in logger.filters):
            logger.addFilter(RedactApprovalTokens())
