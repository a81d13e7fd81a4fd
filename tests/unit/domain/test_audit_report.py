"""The audit of the user community (guide §8): which users a report keeps, and how it reads."""

from __future__ import annotations

from dataclasses import replace

from lrs_keycloak.domain.audit_report import (
    COLUMNS,
    DAY_MS,
    ReportFilter,
    ReportRow,
    cells,
    check_filter,
    header,
    kept,
    table,
)
from lrs_keycloak.domain.csv_cells import csv_lines

NOW = 1_800_000_000_000
ROLES = ("LRBOnlineUser", "LRBSuperUser")

ROW = ReportRow(
    organisation_id="anytown-college",
    username="jane.doe",
    given_name="Jane",
    family_name="Doe",
    email="jane@example.org",
    staff_id="S-1",
    roles=("LRBOnlineUser",),
    status="active",
    created_at_ms=NOW - 400 * DAY_MS,
    last_logon_ms=NOW - 10 * DAY_MS,
    agreement_version="2026-01",
    agreement_accepted_at="2026-11-20T09:00:00Z",
    open_flags=(),
)


def keeps(row: ReportRow, **flt: object) -> bool:
    return kept(row, ReportFilter(**flt), NOW, "2026-01")  # type: ignore[arg-type]


def test_an_empty_filter_keeps_everyone() -> None:
    assert keeps(ROW)


def test_role_filter_keeps_only_holders_of_the_role() -> None:
    assert keeps(ROW, role="LRBOnlineUser")
    assert not keeps(ROW, role="LRBSuperUser")


def test_status_filter_keeps_only_that_status() -> None:
    assert keeps(ROW, status="active")
    assert not keeps(ROW, status="suspended")


def test_not_logged_on_for_n_days_counts_from_the_last_logon() -> None:
    assert keeps(ROW, inactive_days=10)
    assert not keeps(ROW, inactive_days=11)


def test_a_never_used_account_is_idle_since_its_creation() -> None:
    never = replace(ROW, last_logon_ms=None)
    assert keeps(never, inactive_days=400)
    assert not keeps(never, inactive_days=401)


def test_never_logged_on_keeps_only_accounts_without_a_logon() -> None:
    assert not keeps(ROW, never_logged_on=True)
    assert keeps(replace(ROW, last_logon_ms=None), never_logged_on=True)


def test_not_accepted_keeps_users_without_the_current_agreement() -> None:
    assert not keeps(ROW, not_accepted_current=True)
    assert keeps(replace(ROW, agreement_version="2025-01"), not_accepted_current=True)
    assert keeps(replace(ROW, agreement_version=None), not_accepted_current=True)


def test_filters_combine_as_and() -> None:
    idle_online = replace(ROW, last_logon_ms=NOW - 100 * DAY_MS)
    assert keeps(idle_online, role="LRBOnlineUser", inactive_days=90)
    assert not keeps(idle_online, role="LRBSuperUser", inactive_days=90)


def test_a_bad_filter_is_refused_naming_each_field() -> None:
    problems = check_filter(ReportFilter(role="Boss", status="asleep", inactive_days=0), ROLES)
    assert [(p.field, p.code) for p in problems] == [
        ("role", "unknown-role"),
        ("status", "unknown-status"),
        ("inactive_days", "out-of-range"),
    ]
    assert all(p.rule == "guide §8" for p in problems)
    assert check_filter(ReportFilter(role="LRBSuperUser", inactive_days=90), ROLES) == []


def test_times_read_as_iso_8601_and_lists_as_words() -> None:
    row = replace(ROW, roles=("LRBOnlineUser", "LRBSuperUser"), open_flags=("generic-name",))
    by_column = dict(zip(header(), cells(row), strict=True))
    assert by_column["last_logon"] == "2027-01-05T08:00:00Z"
    assert by_column["roles"] == "LRBOnlineUser LRBSuperUser"
    assert by_column["open_flags"] == "generic-name"
    assert cells(replace(ROW, last_logon_ms=None, email=None))[COLUMNS.index("email")] == ""


def test_every_column_is_a_field_of_the_row() -> None:
    assert set(ROW.as_dict()) == set(COLUMNS)
    assert len(header()) == len(COLUMNS)


def test_csv_cells_cannot_start_a_spreadsheet_formula() -> None:
    """A name typed as a formula must not run when the export is opened (OWASP)."""
    lines = list(csv_lines(table([replace(ROW, given_name="=HYPERLINK(1)")])))
    assert lines[0].startswith("organisation_id,username,")
    assert ",'=HYPERLINK(1)," in lines[1]
