"""The dashboard (guide §3-§8): one test per thing it must show."""

from __future__ import annotations

import re
import time

from lrs_keycloak.keycloak.names import AGREEMENT_VERSION
from lrs_keycloak.services.enforcement import GENERIC_NAME
from tests.support.pages import ORG
from tests.unit.web.superuser.conftest import World


def page(world: World) -> str:
    response = world.client.get(world.url("/"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fewer_than_three_active_super_users_shows_the_deputies_warning(world: World) -> None:
    html = page(world)
    assert "govuk-warning-text" in html
    assert "1 active super user" in html and "at least two deputies" in html


def test_three_active_super_users_need_no_warning(world: World) -> None:
    world.directory.add_user("sue.second", ORG, ["LRBSuperUser"])
    world.directory.add_user("sid.third", ORG, ["LRBSuperUser"])
    html = page(world)
    assert "too-few" not in html and "govuk-warning-text" not in html.split('id="roles"')[0]
    assert "3 active super users" in html


def test_a_locked_super_user_does_not_count_as_active(world: World) -> None:
    world.directory.add_user("sue.second", ORG, ["LRBSuperUser"])
    third = world.directory.add_user("sid.third", ORG, ["LRBSuperUser"])
    world.directory.locked.add(third.id)
    assert "2 active super users" in page(world)


def test_users_by_role_is_a_table_readable_without_javascript(world: World) -> None:
    world.directory.add_user("ona.second", ORG, ["LRBOnlineUser", "LRBViewOnlyUser"])
    html = page(world)
    chart = html.split('id="roles"')[1].split("</table>")[0]
    counts = dict(re.findall(r">(LRB\w+)</a></th>\s*<td[^>]*>(\d+)</td>", chart))
    assert counts["LRBOnlineUser"] == "2" and counts["LRBSuperUser"] == "1"
    assert counts["LRBViewOnlyUser"] == "1" and counts["LRBBatchUser"] == "0"
    assert "<svg" in chart and 'aria-hidden="true"' in chart
    assert "<script>" not in html and "style=" not in html


def test_locked_and_suspended_accounts_are_listed(world: World) -> None:
    locked = world.directory.add_user("lou.locked", ORG, ["LRBOnlineUser"])
    world.directory.locked.add(locked.id)
    world.directory.add_user("sus.pended", ORG, ["LRBOnlineUser"], enabled=False)
    html = page(world)
    assert "Locked accounts (1)" in html and "lou.locked" in html
    assert "Suspended accounts (1)" in html and "sus.pended" in html


def test_users_not_logged_in_for_ninety_days_and_never_logged_in(world: World) -> None:
    now = int(time.time() * 1000)
    old = world.directory.add_user("ivy.idle", ORG, ["LRBOnlineUser"])
    recent = world.directory.add_user("rae.recent", ORG, ["LRBOnlineUser"])
    world.directory.logins[old.id] = now - 91 * 86_400_000
    world.directory.logins[recent.id] = now - 86_400_000
    sam = world.directory.by_name("sam.super")
    olive = world.directory.by_name("olive.online")
    assert sam and olive
    world.directory.logins[sam.id] = world.directory.logins[olive.id] = now
    html = page(world)
    inactive = html.split('id="inactive"')[1].split('id="never"')[0]
    never = html.split('id="never"')[1].split('id="agreement"')[0]
    assert "Not logged in for 90 days (1)" in html and "ivy.idle" in inactive
    assert "rae.recent" not in inactive and "rae.recent" not in never
    assert "No logon recorded (0)" in html


def test_users_who_have_not_accepted_the_current_agreement(world: World) -> None:
    current = world.admin.policy.agreement.current if world.admin.policy.agreement else None
    accepted = world.directory.add_user("ada.accepted", ORG, ["LRBOnlineUser"])
    accepted.attributes[AGREEMENT_VERSION] = str(current)
    html = page(world)
    section = html.split('id="agreement"')[1].split('id="flags"')[0]
    assert "olive.online" in section and "never accepted" in section


def test_open_flags_show_what_to_do(world: World) -> None:
    olive = world.directory.by_name("olive.online")
    assert olive
    world.flags.raise_flag(olive.id, "olive.online", ORG, GENERIC_NAME, "Olive looks generic.")
    world.flags.raise_flag("u-b", "bea.batch", "org-b", GENERIC_NAME, "Not org A's flag.")
    html = page(world)
    section = html.split('id="flags"')[1]
    assert "Olive looks generic." in section and "What to do:" in section
    assert "named person" in section and "Not org A" not in html
