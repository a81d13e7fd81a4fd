"""The webhook the Keycloak extension posts events to, signed with a shared secret.

The signature is HMAC-SHA256 over "<timestamp>.<body>" (keycloak-extension/README.md). A
delivery is refused when the signature does not match (tampered), when its timestamp is more
than five minutes away (replayed or badly delayed), or when the same signature was already
accepted (replayed within the window).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from typing import Any

from flask import Blueprint, current_app, jsonify, request

TOLERANCE_SECONDS = 300
log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class ReplayGuard:
    """Signatures accepted within the tolerance window; a second delivery of one is refused."""

    def __init__(self, limit: int = 10_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, signature: str, now: float) -> bool:
        with self._lock:
            while self._seen and (
                len(self._seen) >= self._limit
                or next(iter(self._seen.values())) < now - 2 * TOLERANCE_SECONDS
            ):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """None when the delivery is genuine and fresh, else the reason it is refused."""
    if not timestamp or not signature:
        return "missing signature headers"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now - sent) > TOLERANCE_SECONDS:
        return "timestamp outside the accepted window (replayed or delayed)"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "signature does not match"
    return None


@bp.post("/keycloak")
def keycloak_event() -> Any:
    secret: str = current_app.config["LRS_WEBHOOK_SECRET"]
    body = request.get_data()
    now = time.time()
    signature = request.headers.get("X-LRS-Signature")
    reason = verify(secret, request.headers.get("X-LRS-Timestamp"), signature, body, now)
    guard: ReplayGuard = current_app.extensions["lrs_replay_guard"]
    if reason is None and not guard.first_time(str(signature), now):
        reason = "delivery already received (replayed)"
    if reason is not None:
        log.warning("Refused a webhook delivery: %s", reason)
        return jsonify(error=reason), 401
    try:
        event = json.loads(body)
    except ValueError:
        return jsonify(error="body is not JSON"), 400
    received: deque[dict[str, Any]] = current_app.extensions["lrs_events"]
    received.append(event)
    for handler in current_app.extensions.get("lrs_event_handlers", []):
        handler(event)
    return "", 204
