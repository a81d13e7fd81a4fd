"""Access reviews kept (guide §8): each review, the snapshot of its users with the answer given
for each (who, when), and the reminders sent, so the outcome can be shown later and the
lifecycle's runs from cron send each reminder once.

A review starts with its snapshot and its audit event in one transaction; an answer is recorded
with its event in one transaction, and only on an item still unanswered (two super users
answering at once: the second is told it was answered).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from lrs_keycloak.domain.reviews import Review, ReviewItem
from lrs_keycloak.store.audit import AuditEvent, event_row
from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class ReviewRow(Base):
    """An access review of one organisation (migration 0010)."""

    __tablename__ = "access_reviews"

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(String(63), nullable=False, index=True)
    started_by: Mapped[str] = mapped_column(String(255), nullable=False)
    started_at_ms: Mapped[int] = mapped_column(BigInteger(), nullable=False)
    deadline_ms: Mapped[int] = mapped_column(BigInteger(), nullable=False)
    scheduled: Mapped[bool] = mapped_column(Boolean(), nullable=False)
    closed_at_ms: Mapped[int | None] = mapped_column(BigInteger(), nullable=True)


class ReviewItemRow(Base):
    """One member in a review's snapshot and the answer for them (migration 0010)."""

    __tablename__ = "access_review_items"

    review_id: Mapped[int] = mapped_column(
        Integer(), ForeignKey("access_reviews.id"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The roles when the review started, comma-separated.
    roles: Mapped[str] = mapped_column(Text(), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    new_roles: Mapped[str] = mapped_column(Text(), nullable=False, default="")
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at_ms: Mapped[int | None] = mapped_column(BigInteger(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text(), nullable=True)


class ReminderRow(Base):
    """A reminder sent for a review: one per review and policy point (migration 0010)."""

    __tablename__ = "access_review_reminders"

    review_id: Mapped[int] = mapped_column(
        Integer(), ForeignKey("access_reviews.id"), primary_key=True
    )
    days_before: Mapped[int] = mapped_column(Integer(), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class ReviewStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = write_lock(engine)

    def start(self, review: Review, event: AuditEvent) -> Review | None:
        """Keep ``review`` (its id is given here) with its snapshot and ``event``; None, and
        nothing written, when the organisation already has an open review."""
        with self._lock, self._sessions.begin() as session:
            open_one = session.scalars(
                select(ReviewRow.id).where(
                    ReviewRow.organisation_id == review.organisation_id,
                    ReviewRow.closed_at_ms.is_(None),
                )
            ).first()
            if open_one is not None:
                return None
            row = ReviewRow(
                organisation_id=review.organisation_id,
                started_by=review.started_by,
                started_at_ms=review.started_at_ms,
                deadline_ms=review.deadline_ms,
                scheduled=review.scheduled,
            )
            session.add(row)
            session.flush()
            for item in review.items:
                session.add(
                    ReviewItemRow(
                        review_id=row.id,
                        username=item.username,
                        user_id=item.user_id,
                        roles=",".join(item.roles),
                        new_roles="",
                    )
                )
            named = replace(event, details={**event.details, "review": row.id})
            session.add(event_row(named))
            started = Review(
                row.id,
                review.organisation_id,
                review.started_by,
                review.started_at_ms,
                review.deadline_ms,
                review.scheduled,
                None,
                review.items,
            )
        return started

    def reviews(self, organisation_id: str) -> list[Review]:
        """The organisation's reviews, newest first, with how many users each has and how many
        are unanswered (not the items themselves)."""
        query = (
            select(ReviewRow)
            .where(ReviewRow.organisation_id == organisation_id)
            .order_by(ReviewRow.id.desc())
        )
        counting = (
            select(
                ReviewItemRow.review_id,
                func.count(),
                func.count().filter(ReviewItemRow.outcome.is_(None)),
            )
            .join(ReviewRow, ReviewRow.id == ReviewItemRow.review_id)
            .where(ReviewRow.organisation_id == organisation_id)
            .group_by(ReviewItemRow.review_id)
        )
        with self._lock, self._sessions() as session:
            counts = {rid: (int(n), int(u)) for rid, n, u in session.execute(counting)}
            return [
                replace(_review(r, ()), counts=counts.get(r.id, (0, 0)))
                for r in session.scalars(query)
            ]

    def latest_started_ms(self, organisation_id: str) -> int | None:
        reviews = self.reviews(organisation_id)
        return reviews[0].started_at_ms if reviews else None

    def review(self, review_id: int) -> Review | None:
        """The review with its items (in username order); None when there is none."""
        with self._lock, self._sessions() as session:
            row = session.get(ReviewRow, review_id)
            if row is None:
                return None
            items = session.scalars(
                select(ReviewItemRow)
                .where(ReviewItemRow.review_id == review_id)
                .order_by(ReviewItemRow.username)
            )
            return _review(row, tuple(_item(i) for i in items))

    def open_review(self, organisation_id: str) -> Review | None:
        with self._lock, self._sessions() as session:
            found = session.scalars(
                select(ReviewRow.id).where(
                    ReviewRow.organisation_id == organisation_id,
                    ReviewRow.closed_at_ms.is_(None),
                )
            ).first()
        return None if found is None else self.review(found)

    def answer(
        self,
        review_id: int,
        username: str,
        outcome: str,
        by: str,
        at_ms: int,
        new_roles: tuple[str, ...] = (),
        note: str | None = None,
        event: AuditEvent | None = None,
    ) -> bool:
        """Record the outcome for an unanswered item (with ``event``, in one transaction);
        False, nothing written, when it was already answered or is not in the review."""
        with self._lock, self._sessions.begin() as session:
            item = session.get(ReviewItemRow, (review_id, username), with_for_update=True)
            if item is None or item.outcome is not None:
                return False
            item.outcome = outcome
            item.decided_by = by
            item.decided_at_ms = at_ms
            item.new_roles = ",".join(new_roles)
            item.note = note
            if event is not None:
                session.add(event_row(event))
        return True

    def close(self, review_id: int, at_ms: int, event: AuditEvent) -> bool:
        """Close the review with ``event``; False when it was already closed."""
        with self._lock, self._sessions.begin() as session:
            row = session.get(ReviewRow, review_id, with_for_update=True)
            if row is None or row.closed_at_ms is not None:
                return False
            row.closed_at_ms = at_ms
            session.add(event_row(event))
        return True

    def reminders(self, review_id: int) -> frozenset[int]:
        query = select(ReminderRow.days_before).where(ReminderRow.review_id == review_id)
        with self._lock, self._sessions() as session:
            return frozenset(session.scalars(query))

    def claim_reminder(self, review_id: int, days_before: int) -> bool:
        """Record that this reminder is being sent; False if another run already claimed it."""
        with self._lock, self._sessions.begin() as session:
            if session.get(ReminderRow, (review_id, days_before)) is not None:
                return False
            session.add(
                ReminderRow(review_id=review_id, days_before=days_before, sent_at=datetime.now(UTC))
            )
        return True

    def release_reminder(self, review_id: int, days_before: int) -> None:
        """No email could be sent: let the next run try again."""
        with self._lock, self._sessions.begin() as session:
            row = session.get(ReminderRow, (review_id, days_before))
            if row is not None:
                session.delete(row)


def _roles(text: str) -> tuple[str, ...]:
    return tuple(r for r in text.split(",") if r)


def _item(r: ReviewItemRow) -> ReviewItem:
    return ReviewItem(
        r.user_id,
        r.username,
        _roles(r.roles),
        r.outcome,
        _roles(r.new_roles),
        r.decided_by,
        r.decided_at_ms,
        r.note,
    )


def _review(r: ReviewRow, items: tuple[ReviewItem, ...]) -> Review:
    return Review(
        r.id,
        r.organisation_id,
        r.started_by,
        r.started_at_ms,
        r.deadline_ms,
        r.scheduled,
        r.closed_at_ms,
        items,
    )


__all__ = ["ReminderRow", "ReviewItemRow", "ReviewRow", "ReviewStore"]
