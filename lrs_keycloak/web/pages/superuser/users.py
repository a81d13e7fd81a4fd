"""The organisation's users, searched, filtered, sorted and paged on the server (guide §8), and
one user's page: details, roles, status with the suspension's reason, the User Agreement
accepted and the user's own audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, render_template, request, stream_with_context, url_for

from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.audit_report import STATUSES, ReportFilter, table
from lrs_keycloak.domain.csv_cells import csv_lines
from lrs_keycloak.domain.users import DETAIL_FIELDS
from lrs_keycloak.services.user_admin.paging import (
    DEFAULT_INACTIVE_DAYS,
    LOGON_FILTERS,
    SORTS,
    UserQuery,
)
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.superuser import console_reasons
from lrs_keycloak.web.pages.superuser.blueprint import admin, bp, caller
from lrs_keycloak.web.signin.guards import super_user_of_org

#: What the filters' choices read as.
STATUS_TEXT = {"active": "Active", "suspended": "Suspended", "locked": "Locked"}
LOGON_TEXT = {
    "": "Any",
    "recent": "Logged in within the period",
    "inactive": "Not logged in within the period",
    "never": "No logon recorded",
}
SORT_TEXT = {"username": "Username", "name": "Name", "status": "Status", "last_logon": "Last logon"}
#: How many of the user's own audit events their page shows.
TRAIL = 50


def _int(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else default


def query_from_args() -> UserQuery:
    return UserQuery(
        search=request.args.get("search"),
        role=request.args.get("role") or None,
        status=request.args.get("status") or None,
        logon=request.args.get("logon", ""),
        days=_int("days", DEFAULT_INACTIVE_DAYS),
        sort=request.args.get("sort", "username"),
        descending=request.args.get("order") == "desc",
        page=_int("page", 1),
    ).normalised()


def when(ms: int | None) -> str:
    if ms is None:
        return "No logon recorded"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d %B %Y %H:%M UTC")


def _args(q: UserQuery, **changed: Any) -> dict[str, Any]:
    """The query string of ``q`` with ``changed``, without the defaults (short, stable URLs)."""
    args: dict[str, Any] = {
        "search": q.search,
        "role": q.role,
        "status": q.status,
        "logon": q.logon or None,
        "days": q.days if q.days != DEFAULT_INACTIVE_DAYS else None,
        "sort": q.sort if q.sort != "username" else None,
        "order": "desc" if q.descending else None,
        "page": q.page if q.page != 1 else None,
    }
    args.update(changed)
    return {k: v for k, v in args.items() if v is not None}


@bp.get("/users")
@super_user_of_org
def users(org: str) -> Any:
    service = admin()
    me = caller()
    q = query_from_args()
    page = service.views.page_users(me, org, q)

    def page_url(n: int) -> str:
        return url_for("superuser.users", org=org, **_args(q, page=n if n != 1 else None))

    def sort_url(key: str) -> str:
        descending = q.sort == key and not q.descending
        return url_for(
            "superuser.users",
            org=org,
            **_args(q, sort=key, order="desc" if descending else None, page=None),
        )

    return render_template(
        "superuser/users.html",
        org=org,
        organisation=page.organisation or service.views.organisation(me, org),
        q=q,
        page=page,
        role_options=[(name, name) for name in service.policy.roles.names],
        statuses=[(s, STATUS_TEXT[s]) for s in STATUSES],
        logons=[(v, LOGON_TEXT[v]) for v in LOGON_FILTERS],
        sorts=[(s, SORT_TEXT[s]) for s in SORTS],
        previous_href=page_url(page.page - 1) if page.page > 1 else None,
        next_href=page_url(page.page + 1) if page.page < page.pages else None,
        sort_url=sort_url,
        when=when,
        status_text=STATUS_TEXT,
        csv_href=url_for("superuser.users_csv", org=org, **_args(q, search=None, page=None)),
    )


def report_filter(q: UserQuery) -> ReportFilter:
    """The audit report's filter for the users page's role, status and last-logon choices (the
    report has no free-text search: it is the audit of everyone they select)."""
    return ReportFilter(
        role=q.role,
        status=q.status,
        inactive_days=q.days if q.logon == "inactive" else None,
        never_logged_on=q.logon == "never",
    )


@bp.get("/users.csv")
@super_user_of_org
def users_csv(org: str) -> Any:
    """Guide §8: the audit of the user community as a spreadsheet, streamed."""
    rows = admin().audit_report(
        caller(), org, report_filter(query_from_args()), context.flags(current_app)
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        stream_with_context(csv_lines(table(rows))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{org}-users-{stamp}.csv"'},
    )


@bp.get("/users/<username>")
@super_user_of_org
def user(org: str, username: str) -> Any:
    service = admin()
    me = caller()
    found = service.get_user(me, org, username).user or {}
    trail = service.views.user_events(me, org, found["username"], limit=TRAIL)
    # The reason is the latest suspension's, in the trail (Keycloak keeps none).
    suspended = found["status"] == "suspended"
    suspension = next((e for e in trail if e.action == AuditKind.USER_SUSPENDED), None)
    standing = service.views.user_standing(me, org, found["username"])
    roles = {r.name: r.description for r in service.policy.roles.roles}
    return render_template(
        "superuser/user.html",
        org=org,
        organisation=service.views.organisation(me, org),
        user=found,
        details=[(f.label[:1].upper() + f.label[1:], found.get(f.name)) for f in DETAIL_FIELDS],
        roles=roles,
        suspension=suspension if suspended else None,
        agreement=standing["agreement"],
        last_logon=when(standing["last_login_ms"]),
        trail=trail,
        status_text=STATUS_TEXT,
        when=when,
        is_self=found["username"] == me.username,
        owed=[c for c in console_reasons.owed(org) or [] if c.target == found["username"]],
        console_what=console_reasons.WHAT,
    )
