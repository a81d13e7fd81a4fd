"""Reading an onboarding file (guide §2.1): its columns, and the rows that could not be
recognised again on a second run."""

from __future__ import annotations

from lrs_keycloak.domain.bulk_import import COLUMNS, MAX_ROWS, read_rows
from lrs_keycloak.domain.users import DETAIL_FIELDS

HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles"


def test_the_columns_are_the_recorded_details_and_the_roles() -> None:
    assert (*(f.name for f in DETAIL_FIELDS), "roles") == COLUMNS


def test_a_row_becomes_a_person_with_roles() -> None:
    text = f"{HEADER}\nMs,Ada,Lovelace,HR ref 1,ada@example.org,,LRBOnlineUser; LRBBatchUser\n"
    rows, problems = read_rows(text)
    assert problems == []
    [row] = rows
    assert (row.number, row.details.given_name, row.details.email) == (2, "Ada", "ada@example.org")
    assert row.roles == ("LRBOnlineUser", "LRBBatchUser")
    assert row.details.staff_id is None and row.details.preferred_language == "en"


def test_a_spreadsheets_byte_order_mark_and_blank_lines_are_ignored() -> None:
    text = f"\ufeff{HEADER}\n\nMr,Bo,Brown,ref,,S-1,LRBOnlineUser\n,,,,,,\n"
    rows, problems = read_rows(text)
    assert problems == [] and [r.details.staff_id for r in rows] == ["S-1"]


def test_an_unknown_or_missing_column_refuses_the_file_naming_it() -> None:
    rows, problems = read_rows("title,given_name,family_name,department,roles\n")
    found = {(p.row, p.violation.field, p.violation.code) for p in problems}
    assert (1, "department", "unknown-column") in found
    assert (1, "verification_provided", "missing-column") in found
    assert rows == []


def test_a_person_needs_an_email_or_staff_id_so_a_rerun_recognises_them() -> None:
    rows, problems = read_rows(f"{HEADER}\nMs,Ada,Lovelace,ref,,,LRBOnlineUser\n")
    assert rows == []
    assert [(p.row, p.violation.code) for p in problems] == [(2, "unidentified")]


def test_the_same_person_twice_in_one_file_is_a_problem_of_the_later_row() -> None:
    text = (
        f"{HEADER}\nMs,Ada,Lovelace,ref,ada@example.org,,LRBOnlineUser\n"
        "Ms,ADA,lovelace,ref,ADA@example.org,,LRBBatchUser\n"
    )
    rows, problems = read_rows(text)
    assert [r.number for r in rows] == [2]
    assert [(p.row, p.violation.code) for p in problems] == [(3, "same-person-twice")]
    assert "row 2" in problems[0].violation.message


def test_a_row_with_more_cells_than_columns_is_refused() -> None:
    rows, problems = read_rows(
        f"{HEADER}\nMs,Ada,Lovelace,ref,a@example.org,,LRBOnlineUser,extra\n"
    )
    assert rows == [] and [p.violation.code for p in problems] == ["extra-cells"]


def test_a_file_larger_than_the_limit_is_refused_whole() -> None:
    line = "Ms,Ada,Lovelace{i},ref,,S{i},LRBOnlineUser"
    text = HEADER + "\n" + "\n".join(line.format(i=i) for i in range(MAX_ROWS + 1))
    rows, problems = read_rows(text)
    assert rows == [] and [p.violation.code for p in problems] == ["too-many-rows"]


def test_a_file_with_no_people_is_refused_whole() -> None:
    rows, problems = read_rows(f"{HEADER}\n\n,,,,,,\n")
    assert rows == [] and [(p.row, p.violation.code) for p in problems] == [(0, "no-people")]
