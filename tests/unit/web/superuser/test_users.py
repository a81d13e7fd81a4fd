"""The users page (search, filters, sort, server-side pages) and one user's page."""

from __future__ import annotations

import re
import time
from typing import Any

from lrs_keycloak.services.user_admin.paging import PER_PAGE, UserQuery, page_of
from tests.support.pages import ORG, OTHER_ORG
from tests.unit.web.superuser.conftest import World


def usernames(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row" class="govuk-table__header"><a class="govuk-link" '
        r'href="/organisations/[^/]+/users/([^"]+)">',
        html,
    )


def get(world: World, path: str) -> str:
    response = world.client.get(world.url(path))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def many(world: World, n: int) -> None:
    for i in range(n):
        world.directory.add_user(f"user.n{i:03d}", ORG, ["LRBViewOnlyUser"])


def test_search_finds_by_name_username_or_email(world: World) -> None:
    assert usernames(get(world, "/users?search=OLIVE")) == ["olive.online"]
    assert usernames(get(world, "/users?search=sam.super%40example")) == ["sam.super"]


def test_filter_by_role_and_status(world: World) -> None:
    world.directory.add_user("sus.pended", ORG, ["LRBOnlineUser"], enabled=False)
    assert usernames(get(world, "/users?role=LRBOnlineUser")) == ["olive.online", "sus.pended"]
    assert usernames(get(world, "/users?status=suspended")) == ["sus.pended"]


def test_filter_by_last_logon(world: World) -> None:
    olive = world.directory.by_name("olive.online")
    assert olive
    world.directory.logins[olive.id] = int(time.time() * 1000) - 100 * 86_400_000
    assert usernames(get(world, "/users?logon=inactive")) == ["olive.online", "sam.super"]
    assert usernames(get(world, "/users?logon=never")) == ["sam.super"]
    assert usernames(get(world, "/users?logon=recent&days=365")) == ["olive.online"]


def test_sort_descending(world: World) -> None:
    assert usernames(get(world, "/users?sort=username&order=desc")) == [
        "sam.super",
        "olive.online",
    ]


def test_pages_hold_fifty_users_with_next_and_previous_links(world: World) -> None:
    many(world, 120)  # and Sam and Olive: 122 users, 3 pages
    first = get(world, "/users")
    assert len(usernames(first)) == PER_PAGE and "122 users found; page 1 of 3" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "/organisations/org-a/users?page=2" in first
    last = get(world, "/users?page=3")
    assert len(usernames(last)) == 22 and 'rel="prev"' in last and 'rel="next"' not in last
    # A page past the end is the last one; nonsense is the first.
    assert usernames(get(world, "/users?page=99")) == usernames(last)
    assert usernames(get(world, "/users?page=x")) == usernames(first)


def test_filters_are_kept_across_pages(world: World) -> None:
    many(world, 60)
    html = get(world, "/users?role=LRBViewOnlyUser")
    assert "role=LRBViewOnlyUser" in html.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_page_of_sorts_filters_and_pages() -> None:
    users: list[dict[str, Any]] = [
        {"username": f"u{i}", "status": "active", "roles": [], "last_login_ms": i or None}
        for i in range(5)
    ]
    page = page_of(users, UserQuery(sort="last_logon", descending=True, per_page=2, page=2), 10, [])
    assert [u["username"] for u in page.rows] == ["u2", "u1"] and page.pages == 3
    never = page_of(users, UserQuery(logon="never"), 10, [])
    assert [u["username"] for u in never.rows] == ["u0"]


def test_a_users_page_shows_details_roles_status_agreement_and_trail(world: World) -> None:
    sam = world.admin.actor("sam.super")
    assert sam is not None
    world.admin.suspend(sam, ORG, "olive.online", "Left for lunch forever")
    html = get(world, "/users/olive.online")
    assert "govuk-summary-list" in html and "olive.online@example.org" in html
    assert "LRBOnlineUser" in html and "Suspended" in html
    assert "Reason for suspension" in html and "Left for lunch forever" in html
    assert "User Agreement" in html and "Not accepted yet" in html
    assert "user suspended" in html and "sam.super" in html


def test_the_users_page_offers_the_audit_report_with_its_filters(world: World) -> None:
    """Guide §8: the audit of the user community, downloaded from the users page."""
    html = get(world, "/users?role=LRBOnlineUser&logon=never&search=x")
    [href] = re.findall(r'href="([^"]*/users\.csv[^"]*)"', html)
    assert "role=LRBOnlineUser" in href and "logon=never" in href and "search" not in href
    response = world.client.get(href.replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("organisation_id,username,")
    assert [line.split(",")[1] for line in lines[1:]] == ["olive.online"]


def test_the_audit_report_download_is_only_for_the_organisations_super_users(
    world: World,
) -> None:
    assert world.client.get(world.url("/users.csv", org=OTHER_ORG)).status_code == 404
