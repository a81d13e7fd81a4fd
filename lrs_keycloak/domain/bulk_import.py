"""A spreadsheet of people to onboard (guide §2.1, the central model): its columns and what
makes a row readable. Whether a row may become an account is the single-create rules'
business (the service checks each row with them before anything is written).

One row per person: the details of guide §4.2 as the API names them, and their roles. Every row
must say who the person is beyond their names (an email address or a staff ID), so that running
the same file again recognises the accounts it made instead of making new ones.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.domain.users import DETAIL_FIELDS, UserDetails, identifies_person

ROLES_COLUMN = "roles"
#: The file's columns: the recorded details (domain.users.DETAIL_FIELDS), then the roles.
COLUMNS: tuple[str, ...] = (*(f.name for f in DETAIL_FIELDS), ROLES_COLUMN)
REQUIRED_COLUMNS: tuple[str, ...] = (
    *(f.name for f in DETAIL_FIELDS if f.required),
    ROLES_COLUMN,
)
#: The most rows one file may hold: a larger onboarding is split into files.
MAX_ROWS = 5000
#: Roles in one cell are separated by spaces, commas or semicolons.
_ROLE_SEPARATORS = re.compile(r"[\s,;]+")
RULE_FILE = "guide §2.1: onboarding an organisation's users from one file"
RULE_SAME_PERSON = "guide §4, §10.1: one account per person in each organisation"


@dataclass(frozen=True)
class ImportRow:
    """One person of the file; ``number`` is the file's line, the header being line 1."""

    number: int
    details: UserDetails
    roles: tuple[str, ...]


@dataclass(frozen=True)
class RowProblem:
    """Why a row (0: the file as a whole) cannot be imported: the field and the rule."""

    row: int
    violation: Violation

    def as_dict(self) -> dict[str, Any]:
        v = self.violation
        return {
            "row": self.row,
            "field": v.field,
            "code": v.code,
            "message": v.message,
            "rule": v.rule,
        }


def _blank_to_none(value: str | None) -> str | None:
    return None if value is None or not value.strip() else value.strip()


def read_rows(text: str) -> tuple[list[ImportRow], list[RowProblem]]:
    """The file's people and every problem of its shape (columns, row count, persons that
    cannot be recognised on a re-run, the same person twice). Rows with a problem are left
    out of the people."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems = _header_problems(header)
    if problems:
        return [], problems
    rows: list[ImportRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for index, raw in enumerate(reader):
        number = index + 2
        if index >= MAX_ROWS:
            message = f"A file holds at most {MAX_ROWS} people; split it and import each part."
            return [], [RowProblem(0, Violation("", "too-many-rows", message, RULE_FILE))]
        if None in raw:  # more cells than columns
            message = "This row has more cells than the header has columns."
            problems.append(RowProblem(number, Violation("", "extra-cells", message, RULE_FILE)))
            continue
        values = {k: _blank_to_none(v) for k, v in raw.items()}
        if not any(values.values()):
            continue  # a blank line between people
        row = _row(number, values)
        if not identifies_person(row.details):
            message = (
                "Give the person's email address or staff ID: with names alone a second run of "
                "this file could not tell the account it made from a new person's."
            )
            problems.append(
                RowProblem(number, Violation("email", "unidentified", message, RULE_SAME_PERSON))
            )
            continue
        key = _person_key(row.details)
        if key in seen:
            message = f"The same person as on row {seen[key]} (names and email or staff ID)."
            problems.append(
                RowProblem(number, Violation("", "same-person-twice", message, RULE_SAME_PERSON))
            )
            continue
        seen[key] = number
        rows.append(row)
    if not rows and not problems:
        message = "The file has no people: one row per person under the header row."
        problems.append(RowProblem(0, Violation("", "no-people", message, RULE_FILE)))
    return rows, problems


def _header_problems(header: list[str]) -> list[RowProblem]:
    problems = []
    for name in header:
        if name not in COLUMNS:
            message = f"Unknown column {name!r}; the columns are {', '.join(COLUMNS)}."
            problems.append(RowProblem(1, Violation(name, "unknown-column", message, RULE_FILE)))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            message = f"The file needs a {name!r} column (the columns are {', '.join(COLUMNS)})."
            problems.append(RowProblem(1, Violation(name, "missing-column", message, RULE_FILE)))
    return problems


def _row(number: int, values: dict[str, str | None]) -> ImportRow:
    given: dict[str, Any] = {f.name: values.get(f.name) for f in DETAIL_FIELDS}
    for f in DETAIL_FIELDS:
        if f.required and given[f.name] is None:
            given[f.name] = ""  # refused as missing by the single-create rules, by field
    if given["preferred_language"] is None:
        del given["preferred_language"]  # the details' own default
    cell = values.get(ROLES_COLUMN) or ""
    roles = tuple(r for r in _ROLE_SEPARATORS.split(cell) if r)
    return ImportRow(number, UserDetails(**given), roles)


def _person_key(details: UserDetails) -> tuple[str, ...]:
    names = (details.given_name.casefold(), details.family_name.casefold())
    if details.staff_id:
        return (*names, "staff", details.staff_id.casefold())
    return (*names, "email", (details.email or "").casefold())
