"""The audit of the user community (guide §8): one row per user, and which rows a report keeps.

"From time to time it is recommended that you take an audit of your user community to check if
the users are still using the system and if they have the right level of access." A row says
who the user is, what access they hold, whether they can use it, and whether they do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Literal, get_args

from lrs_keycloak.domain.errors import Violation

DAY_MS = 24 * 60 * 60 * 1000
#: The statuses a row may have: locked after repeated failed passwords (§6.2), suspended (§7).
Status = Literal["active", "suspended", "locked"]
STATUSES: tuple[str, ...] = get_args(Status)
#: The output formats of `lrs-keycloak audit report` and the API.
FORMATS: tuple[str, ...] = ("table", "json", "csv")
#: The longest inactivity period a filter may name (ten years).
MAX_INACTIVE_DAYS = 3650
RULE = "guide §8"


@dataclass(frozen=True)
class ReportRow:
    """One user as the audit shows them. Times are epoch milliseconds; None when not known."""

    organisation_id: str
    username: str
    given_name: str
    family_name: str
    email: str | None
    staff_id: str | None
    roles: tuple[str, ...]
    status: str
    created_at_ms: int | None
    last_logon_ms: int | None
    agreement_version: str | None
    agreement_accepted_at: str | None
    open_flags: tuple[str, ...]

    def idle_since_ms(self) -> int | None:
        """Counted from the last logon, or from creation when the account was never used."""
        return self.last_logon_ms if self.last_logon_ms is not None else self.created_at_ms

    def as_dict(self) -> dict[str, object]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


#: The report's columns, in order: the row's fields, declared once.
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ReportRow))


#: The columns a terminal table shows (CSV and JSON carry them all).
TERMINAL_COLUMNS: tuple[str, ...] = (
    "organisation_id",
    "username",
    "staff_id",
    "roles",
    "status",
    "last_logon_ms",
    "agreement_version",
)


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class ReportFilter:
    """Which users a report keeps; every field left empty keeps everyone."""

    role: str | None = None
    status: str | None = None
    #: Keep users not logged on for at least this many days (never used: since creation).
    inactive_days: int | None = None
    never_logged_on: bool = False
    #: Keep users who have not accepted the agreement's current version (§4.3).
    not_accepted_current: bool = False


def check_filter(flt: ReportFilter, roles: Iterable[str]) -> list[Violation]:
    """What is wrong with a filter, each naming its field."""
    problems: list[Violation] = []
    known = sorted(roles)
    if flt.role is not None and flt.role not in known:
        problems.append(
            Violation("role", "unknown-role", f"must be one of {', '.join(known)}", RULE)
        )
    if flt.status is not None and flt.status not in STATUSES:
        problems.append(
            Violation("status", "unknown-status", f"must be one of {', '.join(STATUSES)}", RULE)
        )
    if flt.inactive_days is not None and not 1 <= flt.inactive_days <= MAX_INACTIVE_DAYS:
        problems.append(
            Violation(
                "inactive_days",
                "out-of-range",
                f"must be a whole number of days from 1 to {MAX_INACTIVE_DAYS}",
                RULE,
            )
        )
    return problems


def kept(row: ReportRow, flt: ReportFilter, now_ms: int, current_version: str | None) -> bool:
    """Whether ``row`` passes every filter that is set."""
    if flt.role is not None and flt.role not in row.roles:
        return False
    if flt.status is not None and row.status != flt.status:
        return False
    if flt.never_logged_on and row.last_logon_ms is not None:
        return False
    if flt.inactive_days is not None:
        since = row.idle_since_ms()
        if since is not None and now_ms - since < flt.inactive_days * DAY_MS:
            return False
    accepted = current_version is None or row.agreement_version == current_version
    return not (flt.not_accepted_current and accepted)


def iso(ms: int | None) -> str:
    """An epoch-ms time as ISO 8601 UTC to the second; empty when unknown."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(row: ReportRow) -> list[str]:
    """A row as text cells in COLUMNS order: times in ISO 8601, lists joined with spaces."""
    out: list[str] = []
    for name in COLUMNS:
        value = getattr(row, name)
        if name.endswith("_ms"):
            out.append(iso(value))
        elif isinstance(value, tuple):
            out.append(" ".join(value))
        else:
            out.append("" if value is None else str(value))
    return out


def header() -> list[str]:
    """Column titles: the field names, with the epoch-ms suffix dropped (the cells are ISO)."""
    return [name.removesuffix("_ms") for name in COLUMNS]


def table(rows: Iterable[ReportRow]) -> Iterator[list[str]]:
    """The header, then each row's cells (CSV quoting is ``csv_cells``' business)."""
    yield header()
    for row in rows:
        yield cells(row)
