"""Onboarding many people from one file (guide §2.1), through exactly the rules of a single
creation.

Every row is checked before anything is written; unless the caller skips invalid rows, one bad
row means nothing is created and every problem is reported (row, field, reason, rule). The
people are then made a chunk at a time in ADR 7's order (batch.py, docs/adr/0021), and a
person the organisation already has (same names and email or staff ID, same roles) is
answered with their account: so a run that was interrupted (Keycloak stopped, Ctrl-C, a
killed process) is completed by running the same file again, with nothing duplicated and
nothing half-made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lrs_keycloak.domain.bulk_import import ImportRow, RowProblem, read_rows
from lrs_keycloak.domain.errors import RuleViolation, Violation
from lrs_keycloak.domain.policies import SUPER_USER
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.user_admin.access import Access
from lrs_keycloak.services.user_admin.batch import BatchCreation, Outcome, RowOutcome
from lrs_keycloak.services.user_admin.callers import Caller
from lrs_keycloak.services.user_admin.creation import Creation

#: Called after each person with (done, total).
Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    """What a run did, row by row, and the rows it left out (with ``skip_invalid``)."""

    outcomes: list[RowOutcome] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.count("created"),
            "existing": self.count("existing"),
            "refused": self.count("refused"),
            "skipped_rows": sorted({p.row for p in self.skipped}),
            "rows": [o.as_dict() for o in self.outcomes],
            "problems": [p.as_dict() for p in self.skipped],
            "warnings": [w.__dict__ for w in self.warnings],
        }


class ImportRefused(Exception):
    """The file has problems and invalid rows were not to be skipped: nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problems; nothing was imported")
        self.problems = problems


class Checked(NamedTuple):
    """A file that may run: its organisation, the people to import, the rows left out."""

    group: OrgGroup
    rows: list[ImportRow]
    skipped: list[RowProblem]


class BulkImport:
    def __init__(self, access: Access, creation: Creation) -> None:
        self.access = access
        self.creation = creation

    def check(
        self,
        caller: Caller,
        org_id: str,
        text: str,
        reference: str | None = None,
        skip_invalid: bool = False,
    ) -> Checked:
        """Every row through the single-create rules, nothing written: the people to import
        and the problems of the rows left out; ``ImportRefused`` when the file cannot run."""
        return self._check(caller, org_id, text, reference, skip_invalid)[0]

    def _check(
        self,
        caller: Caller,
        org_id: str,
        text: str,
        reference: str | None,
        skip_invalid: bool,
    ) -> tuple[Checked, dict[int, list[Violation]]]:
        """``check``, and each good row's warnings (the run answers with them)."""
        group = self.access.organisation(caller, org_id, "create")
        rows, problems = read_rows(text)
        bad = {p.row for p in problems}
        warnings: dict[int, list[Violation]] = {}
        for row in rows:
            try:
                warnings[row.number] = self.creation.accounts.check_new_user(
                    group.organisation, row.details, row.roles, reference
                )
            except RuleViolation as refused:
                problems += [RowProblem(row.number, v) for v in refused.violations]
                bad.add(row.number)
        problems.sort(key=lambda p: p.row)
        if problems and (not skip_invalid or any(p.row <= 1 for p in problems)):
            raise ImportRefused(problems)  # a problem of the file itself is never skipped
        good = [row for row in rows if row.number not in bad]
        return Checked(group, good, problems), warnings

    def run(
        self,
        caller: Caller,
        org_id: str,
        text: str,
        reference: str | None = None,
        skip_invalid: bool = False,
        progress: Progress | None = None,
        workers: int = 4,
    ) -> ImportReport:
        checked, warnings = self._check(caller, org_id, text, reference, skip_invalid)
        group, good, problems = checked
        report = ImportReport(skipped=problems)
        # In chunks (docs/adr/0021): an exception (Keycloak stopped, Ctrl-C) leaves the chunk
        # under way made whole or disabled, and a re-run of the file completes the rest.
        batch = BatchCreation(self.creation.accounts, workers)
        outcomes = batch.run(caller, group, good, reference, warnings)
        for done, outcome in enumerate(outcomes, start=1):
            report.outcomes.append(outcome)
            if progress is not None:
                progress(done, len(good))
        if any(SUPER_USER in row.roles for row in good):
            report.warnings = self.access.deputy(group)
        return report
