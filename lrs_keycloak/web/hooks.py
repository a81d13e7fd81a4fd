"""The webhook the Keycloak extension posts events to, signed with a shared secret.

The signature is HMAC-SHA256 over "<timestamp>.<body>" (keycloak-extension/README.md). A
delivery is refused when the signature does not match (tampered), when its timestamp is more
than five minutes away (replayed or badly delayed), or when the same signature was already
accepted (replayed within the window) by any of the app's processes: the accepted signatures
are kept in the app's database (``store.deliveries``), not in one process's memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import deque
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from lrs_keycloak.store.deliveries import DeliveryLog
from lrs_keycloak.web import context

TOLERANCE_SECONDS = 300
log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def replay_guard(app: Flask) -> DeliveryLog:
    """The deliveries accepted so far, in the app's database (shared by its processes)."""
    keep = timedelta(seconds=2 * TOLERANCE_SECONDS)
    return context.delivery_log(app, keep)


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
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if reason is None and not replay_guard(app).first_time(str(signature), now):
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
