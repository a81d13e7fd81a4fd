"""Issue 9 §2: a retry of the same creation with the same Idempotency-Key gets the first
answer, never a second account (ada.lovelace2), also when nothing else identifies the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.idempotency import (
    STALE_CLAIM,
    Answered,
    Claimed,
    IdempotencyKeys,
    InProgress,
    Mismatch,
    fingerprint,
)
from lrs_keycloak.web import context
from tests.unit.services.fake_directory import FakeDirectory
from tests.unit.services.test_boundaries import USERS, _client


@pytest.fixture
def api(admin: UserAdmin, directory: FakeDirectory) -> FlaskClient:
    client = _client(admin, directory)
    engine = make_engine("sqlite://")
    context.provide(client.application, idempotency_keys=IdempotencyKeys(engine))
    return client


def _provided_by_the_fixture() -> IdempotencyKeys:
    raise AssertionError("the api fixture provides the app's idempotency keys")


# Names only: no email and no staff ID, so only the key can tell a retry from a namesake.
ADA = {
    "title": "Dr",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "verification_provided": "HR ref 7",
    "roles": ["LRBOnlineUser"],
}


def _adas(directory: FakeDirectory) -> list[str]:
    return sorted(u.username for u in directory.users.values() if u.last_name == "Lovelace")


def test_a_retry_with_the_same_key_gets_the_first_answer_and_no_second_account(
    api: FlaskClient, directory: FakeDirectory
) -> None:
    first = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.get_json()
    again = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert _adas(directory) == ["ada.lovelace"]
    # A new key is a new request: a namesake gets their own account.
    other = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and _adas(directory) == ["ada.lovelace", "ada.lovelace2"]


def test_a_key_used_for_a_different_request_is_refused(
    api: FlaskClient, directory: FakeDirectory
) -> None:
    assert api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-3"}).status_code == 201
    other = {**ADA, "given_name": "Augusta"}
    reused = api.post(USERS, json=other, headers={"Idempotency-Key": "k-3"})
    assert reused.status_code == 422
    assert reused.get_json()["errors"][0]["code"] == "idempotency-key-reused"
    assert _adas(directory) == ["ada.lovelace"]


def test_a_refused_request_frees_its_key(api: FlaskClient, directory: FakeDirectory) -> None:
    generic = {**ADA, "given_name": "Reception", "family_name": "Desk"}
    assert api.post(USERS, json=generic, headers={"Idempotency-Key": "k-4"}).status_code == 422
    fixed = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-4"})
    assert fixed.status_code == 201 and _adas(directory) == ["ada.lovelace"]


def test_a_key_still_being_worked_on_answers_409(
    api: FlaskClient, directory: FakeDirectory
) -> None:
    # Another process claimed the key for this very request and has not answered yet.
    keys = context.shared(api.application, "idempotency_keys", _provided_by_the_fixture)
    keys.claim("sue.super", "k-5", fingerprint("anytown-college", ADA))
    busy = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k-5"})
    assert busy.status_code == 409
    assert busy.get_json()["errors"][0]["code"] == "request-in-progress"
    assert _adas(directory) == []


def test_an_invalid_key_is_refused_naming_the_header(api: FlaskClient) -> None:
    answer = api.post(USERS, json=ADA, headers={"Idempotency-Key": "k" * 256})
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_keys_claimed_answered_and_a_dead_claim_taken_over() -> None:
    keys = IdempotencyKeys(make_engine("sqlite://"))
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert isinstance(keys.claim("sue", "k", "f1", now), Claimed)
    assert isinstance(keys.claim("sue", "k", "f1", now), InProgress)
    assert isinstance(keys.claim("sue", "k", "f2", now), Mismatch)
    assert isinstance(keys.claim("bob", "k", "f2", now), Claimed)  # per caller
    later = now + STALE_CLAIM + timedelta(seconds=1)
    assert isinstance(keys.claim("sue", "k", "f1", later), Claimed)  # its request died
    assert isinstance(keys.claim("sue", "k", "f1", later), InProgress)
    keys.finish("sue", "k", 201, {"user": {"username": "ada.lovelace"}})
    answered = keys.claim("sue", "k", "f1", later)
    assert answered == Answered(201, {"user": {"username": "ada.lovelace"}})
