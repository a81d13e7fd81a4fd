"""Recovery cases (guide §10.2): the New Super User Form, its state, approval and outcome.

A case the enforcer opened when an organisation lost its last active super user has no form
yet (``awaiting_form``): its form columns stay empty until an agent records the form.

Every state change is a conditional UPDATE (``… WHERE id = ? AND state IN (…)``): of two
agents (or two clicks) racing, exactly one moves the case and the other is told it lost. That
is how "a case cannot be completed twice" holds across processes, on SQLite and PostgreSQL
alike: completion first claims the case (approved → completing) and only the claimant talks
to Keycloak.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Engine,
    Index,
    Integer,
    String,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from lrs_keycloak.domain.recovery import (
    OPEN,
    Approval,
    CaseState,
    NewSuperUserForm,
    RecoveryCase,
)
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock

_OPEN_STATES_SQL = "state IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN)))


class OpenCaseExists(Exception):
    """The organisation already has an open case (found when the database refused a second)."""

    def __init__(self, case: RecoveryCaseRow) -> None:
        super().__init__(f"open recovery case {case.id} exists")
        self.case = case


class RecoveryCaseRow(Base):
    """One request for a new super user, from the form received to the account created."""

    __tablename__ = "recovery_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    # The form, and who entered it when (the raiser, or the agent who recorded it later on a
    # case the enforcer opened): empty while the case awaits the form.
    # none_as_null: "no form" is SQL NULL, never the JSON value null.
    form: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    form_reference: Mapped[str | None] = mapped_column(String(255), nullable=True)
    form_recorded_by: Mapped[str | None] = mapped_column(String(255))
    form_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    raised_by: Mapped[str] = mapped_column(String(255), nullable=False)

    # The approval link: only its hash is kept, so a database reader cannot approve.
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    link_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    link_sent_to: Mapped[str | None] = mapped_column(String(255))
    link_sent_by: Mapped[str | None] = mapped_column(String(255))
    link_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    link_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # The senior manager's answer, by link or on paper.
    decision_method: Mapped[str | None] = mapped_column(String(16))
    decision_approved: Mapped[bool | None] = mapped_column(Boolean)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_ip: Mapped[str | None] = mapped_column(String(64))
    decision_reference: Mapped[str | None] = mapped_column(String(255))

    # The outcome.
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(255))
    super_user_username: Mapped[str | None] = mapped_column(String(255))
    primary_contact_updated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(255))
    close_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_recovery_org_state", "organisation_id", "state"),
        Index("ix_recovery_state", "state"),
        # At most one open case per organisation, even when two processes open one at once
        # (migration 0003).
        Index(
            "uq_recovery_one_open_case",
            "organisation_id",
            unique=True,
            sqlite_where=text(_OPEN_STATES_SQL),
            postgresql_where=text(_OPEN_STATES_SQL),
        ),
    )

    def as_dict(self) -> dict[str, Any]:
        """The case for the help desk (never the token hash)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "organisation_id": self.organisation_id,
            "state": self.state,
            "form": dict(self.form) if self.form is not None else None,
            "form_recorded_by": self.form_recorded_by,
            "form_recorded_at": iso(self.form_recorded_at),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "raised_by": self.raised_by,
            "approval_link": {
                "sent_at": iso(self.link_sent_at),
                "sent_to": self.link_sent_to,
                "sent_by": self.link_sent_by,
                "expires_at": iso(self.link_expires_at),
                "used_at": iso(self.link_used_at),
            }
            if self.link_sent_at
            else None,
            "decision": {
                "method": self.decision_method,
                "approved": self.decision_approved,
                "by": self.decided_by,
                "at": iso(self.decided_at),
                "ip": self.decision_ip,
                "reference": self.decision_reference,
            }
            if self.decided_at
            else None,
            "completed_at": iso(self.completed_at),
            "completed_by": self.completed_by,
            "super_user": self.super_user_username,
            "primary_contact_updated": self.primary_contact_updated,
            "closed_at": iso(self.closed_at),
            "closed_by": self.closed_by,
            "close_reason": self.close_reason,
        }


def to_case(row: RecoveryCaseRow) -> RecoveryCase:
    """The domain's view of a stored case."""
    approval = None
    if row.decided_at is not None and row.decision_method and row.decided_by:
        approval = Approval(
            method=row.decision_method,
            approved=bool(row.decision_approved),
            by=row.decided_by,
            at=row.decided_at,
            ip=row.decision_ip,
            reference=row.decision_reference,
        )
    return RecoveryCase(
        id=row.id,
        organisation_id=row.organisation_id,
        state=CaseState(row.state),
        form=NewSuperUserForm.from_dict(dict(row.form)) if row.form is not None else None,
        raised_by=row.raised_by,
        created_at=row.created_at,
        approval=approval,
        form_recorded_by=row.form_recorded_by,
        link_expires_at=row.link_expires_at if row.link_expires_at else None,
        link_used=row.link_used_at is not None,
        super_user=row.super_user_username,
        completed_by=row.completed_by,
        claimed_by=row.claimed_by,
        updated_at=row.updated_at,
    )


def _new_case(
    organisation_id: str, state: CaseState, raised_by: str, now: datetime, **values: Any
) -> RecoveryCaseRow:
    return RecoveryCaseRow(
        organisation_id=organisation_id,
        state=state.value,
        created_at=now,
        updated_at=now,
        raised_by=raised_by,
        primary_contact_updated=False,
        **values,
    )


def form_values(form: NewSuperUserForm, recorded_by: str, now: datetime) -> dict[str, Any]:
    """The columns that hold a form: for ``create`` and for recording one on a waiting case."""
    return {
        "form": form.as_dict(),
        "form_reference": form.form_reference,
        "form_recorded_by": recorded_by,
        "form_recorded_at": now,
    }


class RecoveryStore:
    """Repository of recovery cases on any SQLAlchemy engine (creates its table if missing)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Session]:
        with self._lock, self._sessions.begin() as session:
            yield session

    def create(
        self, form: NewSuperUserForm, raised_by: str, now: datetime | None = None
    ) -> RecoveryCaseRow:
        """A case opened from its form (``received``); OpenCaseExists names the organisation's
        open case when it has one."""
        now = now or datetime.now(UTC)
        row = _new_case(
            form.organisation_id,
            CaseState.RECEIVED,
            raised_by,
            now,
            **form_values(form, raised_by, now),
        )
        kept, inserted = self._insert_open(row)
        if not inserted:
            raise OpenCaseExists(kept)
        return kept

    def create_awaiting_form(
        self, organisation_id: str, raised_by: str, now: datetime | None = None
    ) -> tuple[RecoveryCaseRow, bool]:
        """A case without a form (``awaiting_form``) unless the organisation has an open case:
        ``(that case, False)`` then, also when another process opened it a moment ago."""
        found = self.open_case(organisation_id)
        if found is not None:
            return found, False
        now = now or datetime.now(UTC)
        return self._insert_open(
            _new_case(organisation_id, CaseState.AWAITING_FORM, raised_by, now)
        )

    def _insert_open(self, row: RecoveryCaseRow) -> tuple[RecoveryCaseRow, bool]:
        """Insert a new open case, or give back the organisation's open case when the database
        refuses a second one (another process opened it first)."""
        try:
            with self._begin() as session:
                session.add(row)
                session.flush()
                return row, True
        except IntegrityError:
            found = self.open_case(row.organisation_id)
            if found is None:  # refused for another reason
                raise
            return found, False

    def open_case(self, organisation_id: str) -> RecoveryCaseRow | None:
        """The organisation's open case, if any (there is at most one)."""
        with self._begin() as session:
            return session.scalars(
                select(RecoveryCaseRow)
                .where(RecoveryCaseRow.organisation_id == organisation_id)
                .where(RecoveryCaseRow.state.in_([s.value for s in OPEN]))
                .order_by(RecoveryCaseRow.id.desc())
            ).first()

    def get(self, case_id: int) -> RecoveryCaseRow | None:
        with self._begin() as session:
            return session.get(RecoveryCaseRow, case_id)

    def by_token_hash(self, token_hash: str) -> RecoveryCaseRow | None:
        with self._begin() as session:
            return session.scalars(
                select(RecoveryCaseRow).where(RecoveryCaseRow.token_hash == token_hash)
            ).first()

    def cases(
        self,
        state: str | None = None,
        organisation_id: str | None = None,
        states: Collection[str] | None = None,
        limit: int = 500,
    ) -> list[RecoveryCaseRow]:
        """Newest first."""
        query = select(RecoveryCaseRow)
        if state is not None:
            query = query.where(RecoveryCaseRow.state == state)
        if states is not None:
            query = query.where(RecoveryCaseRow.state.in_(list(states)))
        if organisation_id is not None:
            query = query.where(RecoveryCaseRow.organisation_id == organisation_id)
        query = query.order_by(RecoveryCaseRow.id.desc()).limit(limit)
        with self._begin() as session:
            return list(session.scalars(query).all())

    def move(
        self,
        case_id: int,
        from_states: Collection[CaseState],
        to_state: CaseState,
        now: datetime | None = None,
        extra_where: dict[str, Any] | None = None,
        **values: Any,
    ) -> RecoveryCaseRow | None:
        """Move the case only if it is still in one of ``from_states`` (and matches
        ``extra_where``); the updated row, or None when another caller moved it first."""
        now = now or datetime.now(UTC)
        statement = (
            update(RecoveryCaseRow)
            .where(RecoveryCaseRow.id == case_id)
            .where(RecoveryCaseRow.state.in_([s.value for s in from_states]))
        )
        for column, value in (extra_where or {}).items():
            attribute = getattr(RecoveryCaseRow, column)
            statement = statement.where(
                attribute.is_(None) if value is None else attribute == value
            )
        statement = statement.values(state=to_state.value, updated_at=now, **values)
        with self._begin() as session:
            moved = session.execute(statement.execution_options(synchronize_session=False))
            if getattr(moved, "rowcount", 0) != 1:
                return None
            row = session.get(RecoveryCaseRow, case_id, populate_existing=True)
            return row

    # --- the enforcer's view: domain cases, never rows --------------------------------------

    def open_awaiting_form(
        self, organisation_id: str, raised_by: str, now: datetime
    ) -> tuple[RecoveryCase, bool]:
        """``create_awaiting_form``, as the domain sees the case."""
        row, opened = self.create_awaiting_form(organisation_id, raised_by, now=now)
        return to_case(row), opened

    def all_awaiting_form(self) -> list[RecoveryCase]:
        """Every organisation's cases awaiting their form, newest first (the reminders)."""
        return [to_case(r) for r in self.cases(state=CaseState.AWAITING_FORM.value)]

    def awaiting_form(self, organisation_id: str) -> list[RecoveryCase]:
        """The organisation's cases awaiting their form, newest first."""
        rows = self.cases(organisation_id=organisation_id, state=CaseState.AWAITING_FORM.value)
        return [to_case(r) for r in rows]

    def withdraw(self, case_id: int, by: str, reason: str, now: datetime) -> RecoveryCase | None:
        """Cancel a case still awaiting its form; None when it moved on meanwhile (an agent
        recorded its form or cancelled it)."""
        moved = self.move(
            case_id,
            [CaseState.AWAITING_FORM],
            CaseState.CANCELLED,
            now=now,
            closed_at=now,
            closed_by=by,
            close_reason=reason,
        )
        return to_case(moved) if moved is not None else None

    def set_values(self, case_id: int, **values: Any) -> None:
        """Record facts that do not change the state (e.g. the primary contact was updated)."""
        with self._begin() as session:
            session.execute(
                update(RecoveryCaseRow).where(RecoveryCaseRow.id == case_id).values(**values)
            )


__all__ = ["OpenCaseExists", "RecoveryCaseRow", "RecoveryStore", "form_values", "to_case"]
