"""What the companion app's processes share about sign-in (migration 0007).

- Sessions Keycloak ended (back-channel logout), by Keycloak session id: the app's session is
  a signed cookie it cannot delete, so each request's session id is looked up here. Kept for
  as long as such a cookie could still be valid (the realm's maximum session lifespan).
- Form posts counted per key (a session or an address) and fixed window, for the rate limit:
  every process counts in the same rows, so the limit holds across them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, Integer, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lrs_keycloak.store.models import Base, UtcDateTime
from lrs_keycloak.store.writes import write_lock


class EndedSessionRow(Base):
    __tablename__ = "ended_sessions"

    sid: Mapped[str] = mapped_column(String(255), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)


class FormPostRow(Base):
    __tablename__ = "form_post_counts"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class WebSessionStore:
    def __init__(self, engine: Engine, keep_ended: timedelta = timedelta(hours=10)) -> None:
        self.engine = engine
        self.keep_ended = keep_ended

    def end(self, sid: str, at: datetime) -> None:
        """Remember that Keycloak ended session ``sid`` (again is fine)."""
        with write_lock(self.engine), self.engine.begin() as connection:
            connection.execute(
                delete(EndedSessionRow).where(EndedSessionRow.ended_at < at - self.keep_ended)
            )
            known = connection.scalar(select(EndedSessionRow.sid).where(EndedSessionRow.sid == sid))
            if known is None:
                connection.execute(insert(EndedSessionRow).values(sid=sid, ended_at=at))

    def is_ended(self, sid: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.scalar(select(EndedSessionRow.sid).where(EndedSessionRow.sid == sid))
        return found is not None

    def count(self, key: str, window: int) -> int:
        """Counts one more post for ``key`` in ``window``; returns the window's count so far.
        Windows before the previous one are dropped as new ones begin."""
        for _ in range(3):
            try:
                with write_lock(self.engine), self.engine.begin() as connection:
                    match = (FormPostRow.key == key) & (FormPostRow.window == window)
                    done = connection.execute(
                        update(FormPostRow).where(match).values(count=FormPostRow.count + 1)
                    )
                    if done.rowcount == 0:
                        connection.execute(delete(FormPostRow).where(FormPostRow.window < window))
                        connection.execute(
                            insert(FormPostRow).values(key=key, window=window, count=1)
                        )
                        return 1
                    return int(connection.scalar(select(FormPostRow.count).where(match)) or 0)
            except IntegrityError:
                continue  # another process made the row first: count in it
        raise RuntimeError("the form post could not be counted")
