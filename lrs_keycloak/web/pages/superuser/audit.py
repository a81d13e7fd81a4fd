"""The organisation's audit trail (guide §8): filtered by person, action, user and date, paged
(newest first), and exported as CSV with the same filters (formula-safe cells)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, render_template, request, url_for

from lrs_keycloak.domain.audit import EVENTS
from lrs_keycloak.domain.csv_cells import csv_text
from lrs_keycloak.web.pages.superuser.blueprint import admin, bp, caller
from lrs_keycloak.web.signin.guards import super_user_of_org

PER_PAGE = 50
#: The most events one export holds (the newest, with the filters applied).
MAX_EXPORT = 10_000
ACTIONS: dict[str, str] = {str(e.name): e.description for e in EVENTS}
CSV_HEAD = ("When (UTC)", "Who", "Action", "User", "Reason", "Reference", "Details")


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None
    action: str | None
    target: str | None
    since: date | None
    until: date | None
    #: Why a date was not understood, by field: shown, and that filter left out.
    errors: dict[str, str]

    def args(self) -> dict[str, Any]:
        given = {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in given.items() if v}

    def query(self) -> dict[str, Any]:
        """As ``audit_page`` takes them: from the start of ``since`` to the end of ``until``."""

        def start(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)

        return {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "since": start(self.since) if self.since else None,
            "before": start(self.until) + timedelta(days=1) if self.until else None,
        }


def _day(name: str, label: str, errors: dict[str, str]) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"Enter the {label} as a date, for example 2026-03-27."
        return None


def filters_from_args() -> AuditFilters:
    errors: dict[str, str] = {}
    action = request.args.get("action") or None
    return AuditFilters(
        actor=(request.args.get("actor") or "").strip() or None,
        action=action if action in ACTIONS else None,
        target=(request.args.get("target") or "").strip() or None,
        since=_day("from", "first day", errors),
        until=_day("to", "last day", errors),
        errors=errors,
    )


def _page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def _events(org: str, f: AuditFilters, limit: int, offset: int = 0) -> list[Any]:
    return admin().views.audit_page(caller(), org, limit=limit, offset=offset, **f.query())


@bp.get("/audit")
@super_user_of_org
def audit(org: str) -> Any:
    f = filters_from_args()
    page = _page()
    # One more than a page: whether there is a next page, without counting the whole trail.
    found = _events(org, f, PER_PAGE + 1, (page - 1) * PER_PAGE)
    events, more = found[:PER_PAGE], len(found) > PER_PAGE
    return render_template(
        "superuser/audit.html",
        org=org,
        organisation=admin().views.organisation(caller(), org),
        f=f,
        errors=f.errors,
        actions=[("", "Any action"), *ACTIONS.items()],
        events=events,
        page=page,
        previous_href=url_for("superuser.audit", org=org, **f.args(), page=page - 1)
        if page > 1
        else None,
        next_href=url_for("superuser.audit", org=org, **f.args(), page=page + 1) if more else None,
        csv_href=url_for("superuser.audit_csv", org=org, **f.args()),
    )


def csv_row(e: Any) -> list[object]:
    """One audit event (``store.audit.AuditEvent``) as a row of the export."""
    return [
        e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "",
        e.actor,
        e.action,
        e.target,
        e.reason,
        e.reference,
        json.dumps(e.details, sort_keys=True) if e.details else "",
    ]


@bp.get("/audit.csv")
@super_user_of_org
def audit_csv(org: str) -> Any:
    f = filters_from_args()
    events = _events(org, f, MAX_EXPORT)
    body = csv_text(CSV_HEAD, (csv_row(e) for e in events))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{org}-audit-{stamp}.csv"'},
    )
