"""Times in words, as the help desk's pages and the approval page show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lrs_keycloak.web.pages.helpdesk.words import (
    age_in_words,
    date_in_words,
    duration_in_words,
    expiry_in_words,
)

NOW = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (20, "less than a minute"),
        (60, "1 minute"),
        (59 * 60, "59 minutes"),
        (3600, "1 hour"),
        (47 * 3600, "47 hours"),
        (3 * 86400 + 7200, "3 days"),
        (-5, "less than a minute"),
    ],
)
def test_durations_round_down_to_their_largest_unit(seconds: float, words: str) -> None:
    assert duration_in_words(seconds) == words


def test_an_age_reads_an_iso_time() -> None:
    assert age_in_words((NOW - timedelta(days=2)).isoformat(), NOW) == "2 days"


def test_dates_are_written_the_govuk_way() -> None:
    assert date_in_words(NOW) == "30 November 2026 at 2:05pm (UTC)"
    assert date_in_words("2026-12-07T00:30:00+00:00") == "7 December 2026 at 12:30am (UTC)"


def test_an_expiry_says_how_long_is_left_or_that_it_passed() -> None:
    assert expiry_in_words(NOW + timedelta(days=6, hours=23), NOW).startswith("in 6 days, on ")
    assert expiry_in_words(NOW - timedelta(hours=2), NOW).startswith("expired 2 hours ago, on ")
