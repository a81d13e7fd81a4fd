# ruff: noqa: F811 - test_api's fixtures, imported by name, are the tests' parameters
"""Onboarding from a file through the API (guide §2.1, issue 13): upload, then a job the worker
runs, against the real Keycloak with real tokens (the fixtures of test_api); every answer is
checked against the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from lrs_keycloak.cli.worker import import_round
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.store.import_jobs import STALE_AFTER, ImportJobRow
from lrs_keycloak.web.context import engine, root, user_admin
from tests.integration.test_api import (  # noqa: F401 - the fixtures this module shares
    ORG_A,
    Api,
    admin,
    app,
    as_user,
    people,
    realm_key,
    smtp,
    tok,
)

IMPORTS_A = f"/api/v1/organisations/{ORG_A.id}/imports"
HEADER = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"
CSV = {"Content-Type": "text/csv"}


def _family() -> str:
    """A family name of letters unique to the test, so each finds its own people."""
    return "Jobson" + uuid.uuid4().hex[:5].translate(str.maketrans("0123456789", "ghijklmnop"))


def _upload(api: Api, text: str, query: str = "") -> Any:
    return api("POST", IMPORTS_A + query, data=text.encode(), headers=CSV)


def _jobs(app: Flask) -> int:
    with engine(app).connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(ImportJobRow)) or 0)


def test_an_uploaded_file_is_a_job_the_worker_runs_to_done_with_its_report(
    app: Flask, as_user: Any, people: dict[str, str], synced_gateway: KeycloakGateway
) -> None:
    family = _family()
    sue = as_user(people["sue"])
    text = HEADER + (
        f"Ms,Imogen,{family},HR batch 9,,ST-{family}-1,LRBOnlineUser\n"
        f"Mr,Ivor,{family},HR batch 9,,ST-{family}-2,LRBOnlineUser;LRBViewOnlyUser\n"
    )
    accepted = _upload(sue, text, "?reference=HR-9")
    assert accepted.status_code == 202, accepted.get_json()
    job = accepted.get_json()
    assert (job["state"], job["done"], job["total"]) == ("queued", 0, 2)
    assert accepted.headers["Location"] == f"{IMPORTS_A}/{job['id']}"
    assert job["submitted_by"] == people["sue"]

    assert import_round(root(app))  # the worker's round

    finished = sue("GET", accepted.headers["Location"]).get_json()
    assert (finished["state"], finished["done"], finished["total"]) == ("done", 2, 2)
    report = finished["report"]
    assert (report["created"], report["existing"], report["refused"]) == (2, 0, 0)
    directory = UserDirectory(synced_gateway)
    ivor = directory.find_user(f"ivor.{family.lower()}")
    assert ivor is not None and ivor.roles == {"LRBOnlineUser", "LRBViewOnlyUser"}


def test_a_bad_file_is_422_listing_every_problem_by_row_and_field_and_queues_nothing(
    app: Flask, as_user: Any, people: dict[str, str], synced_gateway: KeycloakGateway
) -> None:
    family = _family()
    before = _jobs(app)
    text = HEADER + (
        f"Ms,Nora,{family},HR batch 8,,ST-{family},LRBOnlineUser\n"
        f"Ms,Reception,{family},HR batch 8,desk@example.org,,LRBOnlineUser\n"
        f"Mr,Tom,{family},HR batch 8,tom@example.org,,NoSuchRole\n"
    )
    refused = _upload(as_user(people["sue"]), text)
    assert refused.status_code == 422
    found = {(p["row"], p["field"]) for p in refused.get_json()["errors"]}
    assert {(3, "given_name"), (4, "roles")} <= found
    assert _jobs(app) == before
    assert import_round(root(app))
    assert UserDirectory(synced_gateway).find_user(f"nora.{family.lower()}") is None


def test_skip_invalid_imports_the_good_rows_and_reports_the_others(
    app: Flask, as_user: Any, people: dict[str, str]
) -> None:
    family = _family()
    sue = as_user(people["sue"])
    text = HEADER + (
        f"Ms,Gail,{family},HR batch 10,,ST-{family},LRBOnlineUser\n"
        f"Ms,Reception,{family},HR batch 10,desk@example.org,,LRBOnlineUser\n"
    )
    accepted = _upload(sue, text, "?skip_invalid=true")
    assert accepted.status_code == 202, accepted.get_json()
    assert accepted.get_json()["total"] == 1
    import_round(root(app))
    report = sue("GET", accepted.headers["Location"]).get_json()["report"]
    assert (report["created"], report["skipped_rows"]) == (1, [3])


def test_a_job_whose_worker_died_is_taken_up_again_and_makes_no_duplicates(
    app: Flask, as_user: Any, people: dict[str, str], synced_gateway: KeycloakGateway
) -> None:
    family = _family()
    sue = as_user(people["sue"])
    text = HEADER + f"Ms,Rita,{family},HR batch 11,,ST-{family},LRBOnlineUser\n"
    job_id = _upload(sue, text).get_json()["id"]
    # A first worker takes the job up, makes the person, and is killed before its report.
    assert root(app).import_jobs().store.claim() is not None
    first = user_admin(app).actor(people["sue"])
    assert first is not None
    user_admin(app).import_users(first, ORG_A.id, text)
    with engine(app).begin() as connection:
        connection.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id)
            .values(beat_at=datetime.now(UTC) - 2 * STALE_AFTER)
        )
    assert import_round(root(app))
    job = sue("GET", f"{IMPORTS_A}/{job_id}").get_json()
    assert job["state"] == "done"
    assert (job["report"]["created"], job["report"]["existing"]) == (0, 1)
    taken = UserDirectory(synced_gateway).usernames_starting(f"rita.{family.lower()}")
    assert taken == {f"rita.{family.lower()}"}


def test_a_running_job_with_a_live_worker_is_left_to_it(
    app: Flask, as_user: Any, people: dict[str, str]
) -> None:
    text = HEADER + f"Ms,Lena,{_family()},HR batch 12,,ST-{uuid.uuid4().hex[:6]},LRBOnlineUser\n"
    job_id = _upload(as_user(people["sue"]), text).get_json()["id"]
    with engine(app).begin() as connection:
        connection.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id)
            .values(state="running", beat_at=datetime.now(UTC) - timedelta(seconds=5))
        )
    import_round(root(app))
    assert as_user(people["sue"])("GET", f"{IMPORTS_A}/{job_id}").get_json()["state"] == "running"


def test_another_organisations_job_is_404_and_a_user_who_is_not_super_is_403(
    as_user: Any, people: dict[str, str]
) -> None:
    text = HEADER + f"Ms,Orla,{_family()},HR batch 13,,ST-{uuid.uuid4().hex[:6]},LRBOnlineUser\n"
    job_id = _upload(as_user(people["sue"]), text).get_json()["id"]
    bob = as_user(people["bob"])
    assert bob("GET", f"{IMPORTS_A}/{job_id}").status_code == 404
    other = f"/api/v1/organisations/bigcity-training/imports/{job_id}"
    assert bob("GET", other).status_code == 404
    assert _upload(as_user(people["olive"]), text).status_code == 403


def test_an_upload_that_is_not_csv_is_415_and_an_oversized_one_413(
    app: Flask, as_user: Any, people: dict[str, str]
) -> None:
    sue = as_user(people["sue"])
    assert sue("POST", IMPORTS_A, json={"rows": []}).status_code == 415
    too_big = HEADER + "x" * (app.config["LRS_MAX_IMPORT_BYTES"] + 1)
    assert _upload(sue, too_big).status_code == 413
    # The import's cap is its own: a file larger than a JSON body may be is read.
    bigger_than_json = HEADER + "\n" * app.config["LRS_MAX_BODY_BYTES"]
    assert _upload(sue, bigger_than_json).status_code == 422  # no people: refused, not 413
