"""The organisation's audit trail: filters, pages, and a CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from lrs_keycloak.domain.csv_cells import FORMULA_STARTS, safe_cell
from lrs_keycloak.store.audit import AuditEvent
from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import World


def record(
    world: World,
    n: int,
    action: str = "user_suspended",
    actor: str = "sam.super",
    reason: str = "r",
) -> None:
    for i in range(n):
        world.audit.record(AuditEvent(action, actor, ORG, target=f"user.{i}", reason=reason))


def test_filters_by_person_and_action(world: World) -> None:
    record(world, 2)
    record(world, 1, action="user_removed", actor="sue.second")
    record_other = AuditEvent("user_removed", "otto.other", "org-b", target="bea.batch")
    world.audit.record(record_other)
    html = world.client.get(world.url("/audit?action=user_removed")).get_data(as_text=True)
    assert "sue.second" in html and "otto.other" not in html and "user suspended" not in html
    html = world.client.get(world.url("/audit?actor=sam.super")).get_data(as_text=True)
    assert html.count("user suspended") == 2 and "sue.second" not in html


def test_filters_by_date_and_says_when_a_date_is_not_one(world: World) -> None:
    record(world, 1)
    assert "No events match" in world.client.get(world.url("/audit?to=2000-01-01")).get_data(
        as_text=True
    )
    assert "user suspended" in world.client.get(world.url("/audit?from=2000-01-01")).get_data(
        as_text=True
    )
    html = world.client.get(world.url("/audit?from=yesterday")).get_data(as_text=True)
    assert '<a href="#from">Enter the first day as a date' in html


def test_pages_of_fifty_newest_first(world: World) -> None:
    record(world, 60)
    first = world.client.get(world.url("/audit")).get_data(as_text=True)
    assert first.count("user suspended") == 50 and 'rel="next"' in first
    second = world.client.get(world.url("/audit?page=2")).get_data(as_text=True)
    assert second.count("user suspended") == 10 and 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert ">user.59<" in first and ">user.0<" in second


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_that_would_be_a_formula_is_quoted(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


def test_ordinary_cells_are_unchanged() -> None:
    assert safe_cell("Left the college") == "Left the college" and safe_cell(None) == ""


def test_the_csv_export_escapes_formula_injection(world: World) -> None:
    record(world, 1, reason='=HYPERLINK("http://evil.example","click")')
    record(world, 1, reason="@SUM(A1)")
    response = world.client.get(world.url("/audit.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["When (UTC)", "Who", "Action"]
    reasons = [row[4] for row in rows[1:]]
    assert reasons == ["'@SUM(A1)", '\'=HYPERLINK("http://evil.example","click")']


def test_the_csv_export_keeps_the_filters(world: World) -> None:
    record(world, 2)
    record(world, 1, action="user_removed")
    rows = list(
        csv.reader(
            io.StringIO(
                world.client.get(world.url("/audit.csv?action=user_removed")).get_data(as_text=True)
            )
        )
    )
    assert [r[2] for r in rows[1:]] == ["user_removed"]
