"""Issue 9 §1: the Organisation Agreement's signatory is recorded, and changed, only through an
audited step; the signatory and its audit event stand or fall together (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.signatories import Signatory
from lrs_keycloak.services.signatories import SignatoryBook
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.signatories import SignatoryStore
from tests.support.postgres import own_schema
from tests.support.store import migrated_engine
from tests.unit.services.fake_directory import FakeDirectory

ORG = Organisation("anytown-college", "Anytown College", "college", frozenset())
PRIYA = Signatory("Priya Principal", "principal@anytown.example.org", "Principal")
OMAR = Signatory("Omar Owen", "omar.owen@anytown.example.org", "Chief Executive")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = make_engine("sqlite://")
        yield made
        made.dispose()
        return
    with own_schema(request.getfixturevalue("postgres_url")) as url:
        made = migrated_engine(url)
        yield made
        made.dispose()


@pytest.fixture
def book(engine: Engine) -> SignatoryBook:
    directory = FakeDirectory()
    directory.add_org(ORG)
    return SignatoryBook(SignatoryStore(engine), directory)


def test_recording_the_signatory_writes_one_audit_event(
    book: SignatoryBook, engine: Engine
) -> None:
    recorded, event = book.record("operator:ops", ORG.id, PRIYA, registering=True)
    assert recorded.signatory == PRIYA and recorded.recorded_by == "operator:ops"
    assert book.get(ORG.id) == recorded
    [stored] = AuditLog(engine).events(ORG.id)
    assert stored.id == event.id and stored.action == "organisation_signatory_recorded"
    assert stored.details["signatory"]["email"] == PRIYA.email
    assert stored.details["previous"] is None and stored.details["at_registration"] is True


def test_changing_the_signatory_needs_a_reason_and_keeps_the_previous_one_on_record(
    book: SignatoryBook, engine: Engine
) -> None:
    book.record("operator:ops", ORG.id, PRIYA)
    with pytest.raises(RuleViolation) as refused:
        book.record("hal.desk", ORG.id, OMAR)
    assert [(v.field, v.code) for v in refused.value.violations] == [("reason", "reason-required")]
    assert book.get(ORG.id).signatory == PRIYA  # type: ignore[union-attr]

    book.record("hal.desk", ORG.id, OMAR, reason="new agreement OA-2026-14")
    assert book.get(ORG.id).signatory == OMAR  # type: ignore[union-attr]
    newest = AuditLog(engine).events(ORG.id)[0]
    assert (newest.actor, newest.reason) == ("hal.desk", "new agreement OA-2026-14")
    assert newest.details["previous"]["email"] == PRIYA.email


def test_signatory_of_an_unknown_organisation_is_refused(book: SignatoryBook) -> None:
    with pytest.raises(RuleViolation) as refused:
        book.record("hal.desk", "no-such-college", PRIYA)
    assert [v.code for v in refused.value.violations] == ["unknown-organisation"]


def test_invalid_signatory_is_refused_with_nothing_written(
    book: SignatoryBook, engine: Engine
) -> None:
    with pytest.raises(RuleViolation):
        book.record("hal.desk", ORG.id, Signatory("Priya", "principal@"))
    assert book.get(ORG.id) is None and AuditLog(engine).events(ORG.id) == []


def test_no_signatory_without_its_audit_event(book: SignatoryBook, engine: Engine) -> None:
    # An event the audit log refuses (here: not in the catalogue) rolls the signatory back.
    store = SignatoryStore(engine)
    bad = AuditEvent("no_such_event", "hal.desk", ORG.id)
    with pytest.raises(ValueError):
        store.record(ORG.id, PRIYA, "hal.desk", bad)
    assert store.get(ORG.id) is None
    # A record the database refuses (an actor longer than its column) leaves nothing either.
    long_actor = AuditEvent("organisation_signatory_recorded", "x" * 300, ORG.id)
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="too long"):
            store.record(ORG.id, PRIYA, "hal.desk", long_actor)
        assert store.get(ORG.id) is None and AuditLog(engine).events(ORG.id) == []
