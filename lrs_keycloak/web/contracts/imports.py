"""The import of a file of people through the API (guide §2.1): the upload's options and the
job's answers. The file itself is the request body, text/csv (``domain.bulk_import.COLUMNS``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lrs_keycloak.domain.bulk_import import COLUMNS, MAX_ROWS
from lrs_keycloak.domain.users import MAX_REFERENCE_LENGTH
from lrs_keycloak.web.contracts.common import Answer, Contract

#: What the request body is, for the document.
CSV_BODY = (
    f"The people, one row each under a header row: columns {', '.join(COLUMNS)} (roles "
    "separated by spaces, commas or semicolons; each person needs an email address or a staff "
    f"ID); at most {MAX_ROWS} people, UTF-8."
)


class ImportQuery(Contract):
    """The upload's options."""

    skip_invalid: bool = Field(
        False,
        description="Import the valid rows and report the others as skipped (a problem of the "
        "file as a whole, such as a missing column, still refuses it).",
    )
    reference: str | None = Field(
        None,
        max_length=MAX_REFERENCE_LENGTH,
        description="Authorisation reference, written on every account's audit event.",
    )


class RowProblem(Answer):
    row: int | None = Field(
        None,
        description="The file's line (1: the header; 0: the file as a whole); absent when the "
        "request itself is at fault (an option).",
    )
    field: str = Field(description="The column (or option) at fault; empty for the row or file.")
    code: str
    message: str
    rule: str | None = Field(None, description="The guide's rule that refused it.")


class RowOutcome(Answer):
    row: int
    outcome: Literal["created", "existing", "refused"]
    username: str | None
    messages: list[str]


class ImportReport(Answer):
    """What the import did (``services.user_admin.bulk.ImportReport``)."""

    created: int
    existing: int = Field(description="People who already had their account: nothing made.")
    refused: int = Field(description="Rows the rules refused when their turn came.")
    skipped_rows: list[int] = Field(description="Rows left out (skip_invalid).")
    rows: list[RowOutcome]
    problems: list[RowProblem] = Field(description="Why each skipped row was left out.")
    warnings: list[dict[str, Any]]


class ImportFailure(Answer):
    """What a failed job left: the problems found when it ran, if that was why."""

    problems: list[RowProblem] = Field(default_factory=list)


class ImportJob(Answer):
    id: str
    organisation_id: str
    state: Literal["queued", "running", "done", "failed"] = Field(
        description="queued (accepted, waiting for the worker), running, done (see report), "
        "failed (see error). A running job whose worker stopped is taken up again: the people "
        "already made are recognised, never made twice."
    )
    done: int = Field(description="People handled so far.")
    total: int = Field(description="People to handle.")
    submitted_by: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    finished_at: str | None = Field(None, json_schema_extra={"format": "date-time"})
    report: ImportReport | ImportFailure | None = Field(
        None, description="At the end: what was done, row by row."
    )
    error: str | None = None


class ImportRefusal(Answer):
    """A file that cannot be imported: every problem, by row and column; nothing was queued."""

    errors: list[RowProblem] = Field(min_length=1)


def job_json(job: Any) -> dict[str, Any]:
    """``store.import_jobs.ImportJob`` as the API answers it."""
    return {
        "id": job.id,
        "organisation_id": job.organisation_id,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "submitted_by": job.actor,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "report": job.report,
        "error": job.error,
    }
