"""Issue 11, served like a service: ``/healthz`` reports the database and Keycloak honestly."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from flask import Flask

from lrs_keycloak.web import create_app, health

REALM = "lrs-unit"
REALM_URL = f"http://127.0.0.1:8080/realms/{REALM}"


def _app(database: str = "sqlite://") -> Flask:
    return create_app({"TESTING": True, "LRS_REALM": REALM, "LRS_DATABASE_URL": database})


def keycloak_answers(status: int = 200) -> None:
    responses.add(responses.GET, REALM_URL, status=status, json={"realm": REALM})


@responses.activate
def test_healthz_is_200_with_each_dependency_up_when_both_answer() -> None:
    keycloak_answers()
    answer = _app().test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json is not None
    assert answer.json["status"] == "UP"
    assert answer.json["checks"] == {"database": {"status": "UP"}, "keycloak": {"status": "UP"}}


@responses.activate
def test_healthz_is_503_naming_keycloak_when_it_cannot_be_reached() -> None:
    responses.add(responses.GET, REALM_URL, body=requests.ConnectionError("refused"))
    answer = _app().test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json is not None
    assert answer.json["checks"]["keycloak"] == {"status": "DOWN", "error": "unreachable"}
    assert answer.json["checks"]["database"] == {"status": "UP"}


@responses.activate
def test_healthz_is_503_when_keycloak_does_not_have_the_realm() -> None:
    keycloak_answers(404)
    answer = _app().test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json is not None
    assert "404" in answer.json["checks"]["keycloak"]["error"]


@responses.activate
def test_healthz_is_503_naming_the_database_when_it_is_unavailable(tmp_path: Path) -> None:
    keycloak_answers()
    # A folder that does not exist: SQLite cannot open the file, as a stopped server refuses.
    answer = _app(f"sqlite:///{tmp_path / 'gone' / 'lrs.sqlite'}").test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json is not None
    assert answer.json["status"] == "DOWN"
    assert answer.json["checks"]["database"] == {"status": "DOWN", "error": "OperationalError"}
    assert answer.json["checks"]["keycloak"] == {"status": "UP"}
    assert b"Traceback" not in answer.data and b"sqlite" not in answer.data


def test_healthz_answers_in_bounded_time_when_a_dependency_hangs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def hangs(_app: Any) -> None:
        time.sleep(3)

    monkeypatch.setattr(health, "CHECK_SECONDS", 0.2)
    monkeypatch.setattr(health, "CHECKS", {"database": hangs, "keycloak": lambda _app: None})
    started = time.monotonic()
    answer = _app().test_client().get("/healthz")
    assert time.monotonic() - started < 2
    assert answer.status_code == 503
    assert answer.json is not None
    assert answer.json["checks"]["database"]["error"].startswith("no answer within")
