"""Times as people read them: "3 days", "in 6 days, on 7 December 2026 at 2:05pm (UTC)"."""

from __future__ import annotations

from datetime import UTC, datetime


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def duration_in_words(seconds: float) -> str:
    """A duration, rounded down to its largest whole unit (minutes, hours up to two days, days)."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return _plural(minutes, "minute")
    hours = minutes // 60
    if hours < 48:
        return _plural(hours, "hour")
    return _plural(hours // 24, "day")


def parse_time(value: str | datetime) -> datetime:
    """A service's ISO time (or a datetime), in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def age_in_words(since: str | datetime, now: datetime) -> str:
    """How long ago ``since`` was: "3 days"."""
    return duration_in_words((now - parse_time(since)).total_seconds())


def date_in_words(value: str | datetime) -> str:
    """ "7 December 2026 at 2:05pm (UTC)": GOV.UK style dates and times."""
    moment = parse_time(value)
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%B %Y} at {hour}:{moment:%M}{suffix} (UTC)"


def expiry_in_words(expires: str | datetime, now: datetime) -> str:
    """When a link stops working: "in 6 days, on …", or "expired 2 hours ago, on …"."""
    left = (parse_time(expires) - now).total_seconds()
    if left > 0:
        return f"in {duration_in_words(left)}, on {date_in_words(expires)}"
    return f"expired {duration_in_words(-left)} ago, on {date_in_words(expires)}"


__all__ = ["age_in_words", "date_in_words", "duration_in_words", "expiry_in_words", "parse_time"]
