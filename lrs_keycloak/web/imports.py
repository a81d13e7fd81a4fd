"""Onboarding from a file through the API (guide §2.1; docs/adr/0019) under
``/api/v1/organisations/{org}/imports``, on the API's blueprint: its authentication, error shapes
and contracts (``web/api.py``). An accepted file becomes a job the worker runs."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request

from lrs_keycloak.domain.bulk_import import RULE_FILE, RowProblem
from lrs_keycloak.domain.errors import Violation
from lrs_keycloak.services.import_jobs import ImportJobs
from lrs_keycloak.services.user_admin import ImportRefused
from lrs_keycloak.web import context
from lrs_keycloak.web.api import _IN_ORG, _TAGS, actor, bp
from lrs_keycloak.web.contracts import imports as ic
from lrs_keycloak.web.contracts.common import Errors
from lrs_keycloak.web.contracts.operations import operation
from lrs_keycloak.web.errors import errors, problem


@operation(
    bp,
    "post",
    "/organisations/<org>/imports",
    operation_id="uploadImport",
    tags=_TAGS,
    summary="Onboard the people of a CSV file (guide §2.1), each through the rules of "
    "createUser. Every row is checked at once: a bad file is refused (422), every problem "
    "listed by row and column, and nothing is queued. An accepted file becomes a job the "
    "worker runs; follow it at the Location.",
    csv_body=ic.CSV_BODY,
    query=ic.ImportQuery,
    responses={
        202: (ic.ImportJob, "Accepted and queued.", {"Location": "The job's URL."}),
        **_IN_ORG,
        415: (Errors, "The body is not text/csv (unsupported-media-type)."),
        422: (
            ic.ImportRefusal,
            "The file cannot be imported: every problem, by row (the file's line) and column, "
            "citing the rule; nothing queued. A bad option or an unreadable body has the same "
            "shape.",
        ),
    },
)
def upload_import(org: str, query: ic.ImportQuery) -> Any:
    if request.mimetype != "text/csv":
        message = "Send the file as the request body with Content-Type: text/csv."
        return errors(415, [problem("", "unsupported-media-type", message)])
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused_import([RowProblem(0, _not_utf8())])
    try:
        job = _import_jobs().submit(
            actor(), org, text, query.reference, query.skip_invalid, g.get("lrs_subject")
        )
    except ImportRefused as refused:
        return _refused_import(refused.problems)
    response = jsonify(ic.job_json(job))
    response.headers["Location"] = f"{bp.url_prefix}/organisations/{org}/imports/{job.id}"
    return response, 202


@operation(
    bp,
    "get",
    "/organisations/<org>/imports/<job_id>",
    operation_id="getImport",
    tags=_TAGS,
    summary="An import job: its state, how many people it has handled of how many, and at the "
    "end its report (created, existing, refused, skipped rows).",
    responses={200: (ic.ImportJob, "The job."), **_IN_ORG},
)
def get_import(org: str, job_id: str) -> Any:
    return jsonify(ic.job_json(_import_jobs().status(actor(), org, job_id)))


def _import_jobs() -> ImportJobs:
    return context.root(current_app._get_current_object()).import_jobs()  # type: ignore[attr-defined]


def _not_utf8() -> Violation:
    return Violation("", "not-utf8", "Save the file as UTF-8 (CSV UTF-8) and send it again.",
                     RULE_FILE)  # fmt: skip


def _refused_import(problems: list[RowProblem]) -> tuple[Response, int]:
    return jsonify(errors=[p.as_dict() for p in problems]), 422
