"""Recovery cases in the store: conditional moves, so one of two racing callers wins."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from lrs_keycloak.domain.recovery import CaseState, NewSuperUserForm
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.recovery import (
    OpenCaseExists,
    RecoveryCaseRow,
    RecoveryStore,
    form_values,
    to_case,
)
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine

S = CaseState
FORM = NewSuperUserForm(
    organisation_id="anytown-college",
    nominee_title="Ms",
    nominee_given_name="Nadia",
    nominee_family_name="Newman",
    nominee_email="nadia@anytown.example.org",
    nominee_telephone="01632 960 123",
    manager_name="Priya Principal",
    manager_job_title="Principal",
    manager_email="principal@anytown.example.org",
    manager_signed_agreement=True,
    form_reference="NSU-1",
    received_on=date(2025, 3, 3),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecoveryStore]:
    """On SQLite and on PostgreSQL (each test in a schema of its own)."""
    if request.param == "sqlite":
        engine = migrated_engine(f"sqlite:///{tmp_path / 'cases.sqlite'}")
        yield RecoveryStore(engine)
        engine.dispose()
        return
    with own_schema(request.getfixturevalue("postgres_url")) as url:
        engine = migrated_engine(url)
        yield RecoveryStore(engine)
        engine.dispose()


def test_created_case_is_received_with_its_form(store: RecoveryStore) -> None:
    row = store.create(FORM, "hal.helpdesk")
    case = to_case(row)
    assert case.state == S.RECEIVED and case.form == FORM and case.raised_by == "hal.helpdesk"
    assert case.form_recorded_by == "hal.helpdesk"
    assert "token_hash" not in row.as_dict()


def test_case_opened_without_form_awaits_it(store: RecoveryStore) -> None:
    row, created = store.create_awaiting_form("anytown-college", "lrs-enforcer")
    assert created
    case = to_case(row)
    assert (case.state, case.form, case.raised_by) == (S.AWAITING_FORM, None, "lrs-enforcer")
    shown = row.as_dict()
    assert shown["form"] is None and shown["form_recorded_by"] is None
    again = store.get(row.id)
    assert again is not None and again.form is None and again.form_reference is None


def test_case_awaiting_form_not_opened_beside_an_open_case(store: RecoveryStore) -> None:
    received = store.create(FORM, "hal.helpdesk")
    row, created = store.create_awaiting_form(FORM.organisation_id, "lrs-enforcer")
    assert not created and row.id == received.id
    store.move(received.id, [S.RECEIVED], S.CANCELLED)
    row, created = store.create_awaiting_form(FORM.organisation_id, "lrs-enforcer")
    assert created and row.id != received.id and row.state == "awaiting_form"


def test_form_recorded_on_a_waiting_case(store: RecoveryStore) -> None:
    row, _ = store.create_awaiting_form(FORM.organisation_id, "lrs-enforcer")
    now = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    values = form_values(FORM, "ida.second", now)
    moved = store.move(row.id, [S.AWAITING_FORM], S.RECEIVED, now=now, **values)
    assert moved is not None
    case = to_case(moved)
    assert (case.state, case.form, case.form_recorded_by) == (S.RECEIVED, FORM, "ida.second")
    assert case.raised_by == "lrs-enforcer" and moved.form_recorded_at == now
    assert store.move(row.id, [S.AWAITING_FORM], S.RECEIVED, now=now, **values) is None


def test_move_only_from_the_expected_state(store: RecoveryStore) -> None:
    row = store.create(FORM, "hal.helpdesk")
    assert store.move(row.id, [S.APPROVED], S.COMPLETING) is None
    moved = store.move(row.id, [S.RECEIVED], S.APPROVED, decided_by="ida")
    assert moved is not None and moved.state == "approved" and moved.decided_by == "ida"


def test_two_racing_claims_one_wins(store: RecoveryStore) -> None:
    row = store.create(FORM, "hal.helpdesk")
    store.move(row.id, [S.RECEIVED], S.APPROVED)
    start = threading.Barrier(8)
    wins: list[bool] = []

    def claim(agent: str) -> None:
        start.wait()
        wins.append(store.move(row.id, [S.APPROVED], S.COMPLETING, claimed_by=agent) is not None)

    threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins) == [False] * 7 + [True]


def test_move_with_extra_condition_on_the_token(store: RecoveryStore) -> None:
    mine, other = uuid.uuid4().hex, uuid.uuid4().hex  # the database may outlive this test
    row = store.create(FORM, "hal.helpdesk")
    store.move(row.id, [S.RECEIVED], S.AWAITING_APPROVAL, token_hash=mine)
    assert (
        store.move(row.id, [S.AWAITING_APPROVAL], S.APPROVED, extra_where={"token_hash": other})
        is None
    )
    assert (
        store.move(
            row.id,
            [S.AWAITING_APPROVAL],
            S.APPROVED,
            extra_where={"token_hash": mine, "link_used_at": None},
        )
        is not None
    )
    found = store.by_token_hash(mine)
    assert found is not None and found.id == row.id


def test_a_second_open_case_for_an_organisation_is_refused_by_the_database(
    store: RecoveryStore,
) -> None:
    first = store.create(FORM, "hal.helpdesk")
    with pytest.raises(OpenCaseExists) as refused:
        store.create(FORM, "ida.second")
    assert refused.value.case is not None and refused.value.case.id == first.id
    # Also when the services' look-before-insert is bypassed, as a racing process would.
    with store._begin() as session, pytest.raises(IntegrityError):
        session.add(
            RecoveryCaseRow(
                organisation_id=FORM.organisation_id,
                state="awaiting_form",
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
                raised_by="lrs-enforcer",
                primary_contact_updated=False,
            )
        )
        session.flush()


def test_closed_cases_do_not_stop_a_new_one(store: RecoveryStore) -> None:
    first = store.create(FORM, "hal.helpdesk")
    store.move(first.id, [S.RECEIVED], S.CANCELLED)
    second = store.create(FORM, "hal.helpdesk")
    store.move(second.id, [S.RECEIVED], S.CANCELLED)
    assert store.create(FORM, "hal.helpdesk").id not in (first.id, second.id)


def test_two_processes_opening_a_case_at_once_open_one(
    store: RecoveryStore, request: pytest.FixtureRequest
) -> None:
    # Two stores on two engines: no shared process lock, as with two processes.
    url = store._sessions.kw["bind"].url.render_as_string(hide_password=False)
    other_engine = make_engine(url)
    request.addfinalizer(other_engine.dispose)
    stores = [store, RecoveryStore(other_engine)]
    start = threading.Barrier(2)
    results: list[tuple[int, bool]] = []

    def open_case(which: RecoveryStore) -> None:
        start.wait()
        row, created = which.create_awaiting_form(FORM.organisation_id, "lrs-enforcer")
        results.append((row.id, created))

    threads = [threading.Thread(target=open_case, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(created for _, created in results) == [False, True]
    assert len({case_id for case_id, _ in results}) == 1
