"""Onboarding from a file on the super user's pages (guide §2.1; docs/adr/0019): the GOV.UK
file upload, then the job's progress page, which refreshes itself until the worker is done.

The same service as ``POST /api/v1/organisations/{org}/imports``: the file is checked at once
(a refused file is shown with every problem by row and column, and nothing is queued), and an
accepted one is imported by the worker as the signed-in person.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for

from lrs_keycloak.domain.bulk_import import COLUMNS, MAX_ROWS, RowProblem
from lrs_keycloak.services.import_jobs import ImportJobs
from lrs_keycloak.services.user_admin import ImportRefused
from lrs_keycloak.web import context
from lrs_keycloak.web.pages.superuser.blueprint import bp, caller
from lrs_keycloak.web.signin.guards import current_person, super_user_of_org

#: Seconds between the progress page's refreshes while the job waits or runs.
REFRESH_SECONDS = 3


def jobs() -> ImportJobs:
    return context.root(current_app._get_current_object()).import_jobs()  # type: ignore[attr-defined]


def _form(
    org: str, errors: dict[str, str], problems: list[RowProblem], reference: str = ""
) -> tuple[str, int]:
    page = render_template(
        "superuser/import.html",
        org=org,
        errors=errors,
        problems=problems,
        reference=reference,
        columns=COLUMNS,
        max_rows=MAX_ROWS,
    )
    return page, 422 if errors else 200


@bp.get("/imports/new")
@super_user_of_org
def import_form(org: str) -> Any:
    caller()  # the service's own check, as on every page
    return _form(org, {}, [])


@bp.post("/imports/new")
@super_user_of_org
def import_upload(org: str) -> Any:
    reference = request.form.get("reference", "").strip()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _form(org, {"file": "Select a CSV file of the people to add."}, [], reference)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "The file must be saved as CSV UTF-8; save it again and upload it."
        return _form(org, {"file": message}, [], reference)
    person = current_person()
    try:
        job = jobs().submit(
            caller(),
            org,
            text,
            reference or None,
            skip_invalid=request.form.get("skip_invalid") == "yes",
            subject=person.user_id if person else None,
        )
    except ImportRefused as refused:
        count = len(refused.problems)
        message = f"The file has {count} problem{'s' if count != 1 else ''}: nothing was added."
        return _form(org, {"file": message}, refused.problems, reference)
    return redirect(url_for("superuser.import_job", org=org, job_id=job.id))


@bp.get("/imports/<job_id>")
@super_user_of_org
def import_job(org: str, job_id: str) -> Any:
    job = jobs().status(caller(), org, job_id)
    return render_template(
        "superuser/import_job.html",
        org=org,
        job=job,
        refresh=REFRESH_SECONDS if job.state in ("queued", "running") else None,
    )


__all__ = ["REFRESH_SECONDS", "import_form", "import_job", "import_upload"]
