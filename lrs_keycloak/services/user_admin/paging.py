"""One page of an organisation's users (guide §8: "check if the users are still using the
system"), filtered and sorted on the server, so a page of an organisation of thousands sends
only its own rows. The filters are the API's (search, role, status) and the last logon."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs_keycloak.domain.audit_report import STATUSES
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.organisations import Organisation

#: Days without a logon after which a user counts as inactive, when nothing else is said.
DEFAULT_INACTIVE_DAYS = 90
DAY_MS = 24 * 60 * 60 * 1000
PER_PAGE = 50
MAX_PER_PAGE = 200

#: The last-logon filters: none, logged on within the period, not within it, no logon recorded.
LOGON_FILTERS: tuple[str, ...] = ("", "recent", "inactive", "never")


def _name(u: dict[str, Any]) -> str:
    return f"{u.get('family_name') or ''} {u.get('given_name') or ''}".casefold()


#: How each sort key orders rows; ties keep username order (the listing's own).
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "username": lambda u: u["username"],
    "name": _name,
    "status": lambda u: u["status"],
    # Never logged on sorts as the oldest logon.
    "last_logon": lambda u: u.get("last_login_ms") or 0,
}


@dataclass(frozen=True)
class UserQuery:
    """What the users page asks for. Unknown values fall back to the defaults (a hand-edited
    URL gets the first page, not an error)."""

    search: str | None = None
    role: str | None = None
    status: str | None = None
    logon: str = ""
    days: int = DEFAULT_INACTIVE_DAYS
    sort: str = "username"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def normalised(self) -> UserQuery:
        return UserQuery(
            search=(self.search or "").strip() or None,
            role=self.role or None,
            status=self.status if self.status in STATUSES else None,
            logon=self.logon if self.logon in LOGON_FILTERS else "",
            days=self.days if 1 <= self.days <= 3650 else DEFAULT_INACTIVE_DAYS,
            sort=self.sort if self.sort in SORTS else "username",
            descending=self.descending,
            page=max(1, self.page),
            per_page=self.per_page if 1 <= self.per_page <= MAX_PER_PAGE else PER_PAGE,
        )


@dataclass
class UserPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    warnings: list[Violation] = field(default_factory=list)
    #: The organisation the page is of (``Views.page_users`` sets it: the page shows its name).
    organisation: Organisation | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def logged_on_within(user: dict[str, Any], days: int, now_ms: int) -> bool:
    last = user.get("last_login_ms")
    return last is not None and now_ms - int(last) <= days * DAY_MS


def page_of(
    users: Sequence[dict[str, Any]], query: UserQuery, now_ms: int, warnings: list[Violation]
) -> UserPage:
    """The page ``query`` asks for of ``users`` (already searched and filtered by role and
    status); a page past the end is the last one."""
    q = query.normalised()
    shown = list(users)
    if q.logon == "recent":
        shown = [u for u in shown if logged_on_within(u, q.days, now_ms)]
    elif q.logon == "inactive":
        shown = [u for u in shown if not logged_on_within(u, q.days, now_ms)]
    elif q.logon == "never":
        shown = [u for u in shown if u.get("last_login_ms") is None]
    shown.sort(key=SORTS[q.sort], reverse=q.descending)
    pages = max(1, math.ceil(len(shown) / q.per_page))
    page = min(q.page, pages)
    start = (page - 1) * q.per_page
    return UserPage(shown[start : start + q.per_page], len(shown), page, q.per_page, warnings)
