"""What the app and its server log must not hold: the senior manager's approval token.

The approval link ``/recovery/approve/<token>`` is a credential (whoever has it approves or
rejects a new Super User), so the access log (Werkzeug's ``werkzeug`` logger, which the
development server writes one line a request to) and the app's own messages name only the
route, never the token.

Served (`lrs-keycloak serve`, `worker`), every line is one JSON object (`JsonFormatter`) that
names the request it was logged for (`request_id`), redacted the same way.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
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


# --- structured logs: one JSON object a line, each naming the request it was logged for ------

#: An ``X-Request-Id`` a proxy or a client sent is kept when it is this short and plain (it is
#: echoed in a header and written to the logs: never a way to inject either); else one is made.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_ID_HEADER = "X-Request-Id"
_current_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
#: The record's attributes every record has; anything else was passed as ``extra=`` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id(given: str | None) -> str:
    """``given`` when it is sane, else a new random id."""
    return given if given and _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    return _current_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _current_id.reset(token)


def current_request_id() -> str | None:
    return _current_id.get()


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time, level, logger, message, the request id, any
    ``extra=`` fields and the traceback; every string redacted (`redact`) whatever logged it."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or current_request_id()
        if rid:
            line["request_id"] = rid
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: _scrub(v) for k, v in line.items()}, default=str)


def configure(level: int | str = logging.INFO) -> None:
    """Every log record of this process to stderr as JSON lines (`serve`, `worker`, `run`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactApprovalTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
