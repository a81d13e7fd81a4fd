"""The enforcer's rules on changes made in the admin console, against an in-memory Keycloak and
an SQLite store: one test per rule, named after it. (tests/integration/test_enforcement.py runs
the same rules against the real Keycloak, from its stored admin events and its webhook.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lrs_keycloak.config import RealmPolicy
from lrs_keycloak.domain.audit import AuditKind
from lrs_keycloak.domain.organisations import Organisation, check_one_organisation
from lrs_keycloak.domain.policies import SUPER_USER, Member, check_active_super_user
from lrs_keycloak.domain.recovery import CaseState
from lrs_keycloak.keycloak.users import OrgGroup
from lrs_keycloak.services.enforcement import ENFORCER, GENERIC_NAME, RULES, Enforcer
from lrs_keycloak.store.audit import AuditLog
from lrs_keycloak.store.db import make_engine
from lrs_keycloak.store.enforcement import EnforcementStore
from lrs_keycloak.store.recovery import RecoveryStore
from tests.unit.services.fake_console import FakeConsole

COLLEGE = Organisation("anytown-college", "Anytown College", "college", frozenset())
PROVIDER = Organisation("brook-training", "Brook Training", "training-provider", frozenset())


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def console() -> FakeConsole:
    c = FakeConsole()
    c.add_org(COLLEGE)
    c.add_org(PROVIDER)
    c.person("Sarah", "Jones", [COLLEGE.id], [SUPER_USER])
    c.person("Bilal", "Khan", [PROVIDER.id], [SUPER_USER])
    return c


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def enforcer(console: FakeConsole, realm_policy: RealmPolicy, clock: Clock) -> Iterator[Enforcer]:
    engine = make_engine("sqlite://")
    yield Enforcer(
        console,
        realm_policy,
        AuditLog(engine),
        EnforcementStore(engine),
        RecoveryStore(engine),
        now=clock,
    )
    engine.dispose()


def events(enforcer: Enforcer, org_id: str | None = None) -> list[tuple[str, str | None]]:
    """(kind, rule) of the audit events, oldest first."""
    return [(e.action, e.reference) for e in enforcer.audit.events(organisation_id=org_id)][::-1]


def open_rules(enforcer: Enforcer, user_id: str) -> list[tuple[str | None, str]]:
    return sorted((f.organisation_id, f.rule) for f in enforcer.store.user_flags(user_id))


def sarah(console: FakeConsole) -> str:
    found = console.by_name("sarah.jones")
    assert found is not None
    return found.id


# --- one organisation per account ----------------------------------------------------------------


def test_a_member_of_two_organisations_is_flagged(console: FakeConsole, enforcer: Enforcer) -> None:
    agency = console.person("Amy", "Temple", [COLLEGE.id, PROVIDER.id], ["LRBOnlineUser"])
    outcome = enforcer.handle(console.console_change(agency))
    assert open_rules(enforcer, agency.id) == [
        (COLLEGE.id, "two-organisations"),
        (PROVIDER.id, "two-organisations"),
    ]
    assert len(outcome.flags) == 2
    flagged = [e for e in enforcer.audit.events() if e.action == AuditKind.ENFORCER_FLAG_RAISED]
    assert {e.organisation_id for e in flagged} == {COLLEGE.id, PROVIDER.id}
    assert "separate logon for each organisation" in str(flagged[0].reason)
    assert flagged[0].details["guide"] == RULES["two-organisations"]


def test_a_user_in_no_organisation_is_flagged(console: FakeConsole, enforcer: Enforcer) -> None:
    stray = console.person("Nora", "Nowhere", [], ["LRBOnlineUser"])
    enforcer.handle(console.console_change(stray))
    assert open_rules(enforcer, stray.id) == [(None, "no-organisation")]


def test_the_flags_follow_the_domains_membership_rule(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    # One code per rule: the enforcer records the domain's code and message, not its own.
    agency = console.person("Amy", "Temple", [COLLEGE.id, PROVIDER.id], ["LRBOnlineUser"])
    enforcer.handle(console.console_change(agency))
    ruled = check_one_organisation(agency.username, [COLLEGE.id, PROVIDER.id])
    assert ruled is not None
    assert {(f.rule, f.message) for f in enforcer.store.user_flags(agency.id)} == {
        (ruled.code, ruled.message)
    }


# --- roles ---------------------------------------------------------------------------------------


def test_a_user_with_no_role_is_flagged(console: FakeConsole, enforcer: Enforcer) -> None:
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    assert open_rules(enforcer, idle.id) == [(COLLEGE.id, "no-role")]
    [flag] = enforcer.store.user_flags(idle.id)
    assert flag.message == "ian.idle has no LRS role; give one or remove the account."


def test_the_no_role_code_is_the_one_the_app_refuses_with(
    console: FakeConsole, enforcer: Enforcer, realm_policy: RealmPolicy
) -> None:
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    [refused] = realm_policy.roles.check_assignment([], COLLEGE)
    assert [f.rule for f in enforcer.store.user_flags(idle.id)] == [refused.code]


def test_a_role_the_organisation_is_not_entitled_to_is_removed(
    console: FakeConsole, enforcer: Enforcer, realm_policy: RealmPolicy
) -> None:
    rhys = console.person("Rhys", "Overreach", [COLLEGE.id], ["LRBOnlineUser", "AwardingBodyUser"])
    outcome = enforcer.handle(console.console_change(rhys))
    assert console.users[rhys.id].roles == {"LRBOnlineUser"}
    assert outcome.removed_roles == ["AwardingBodyUser"]
    assert (AuditKind.ENFORCER_ROLE_REMOVED, "role-not-available") in events(enforcer)
    assert open_rules(enforcer, rhys.id) == []
    # The app refuses the same role with the same code.
    [refused] = realm_policy.roles.check_assignment(["AwardingBodyUser"], COLLEGE)
    assert refused.code == "role-not-available"


def test_a_user_whose_every_role_is_removed_is_flagged_for_having_none_left(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    rhys = console.person("Rhys", "Overreach", [COLLEGE.id], ["AwardingBodyUser"])
    enforcer.handle(console.console_change(rhys))
    assert console.users[rhys.id].roles == frozenset()
    [flag] = enforcer.store.user_flags(rhys.id)
    assert (flag.rule, flag.message) == (
        "no-role",
        "rhys.overreach has no LRS role left; give one or remove it.",
    )
    assert events(enforcer) == [
        (AuditKind.ENFORCER_ROLE_REMOVED, "role-not-available"),
        (AuditKind.ENFORCER_FLAG_RAISED, "no-role"),
    ]


# --- names ---------------------------------------------------------------------------------------


def test_a_generic_name_is_flagged(console: FakeConsole, enforcer: Enforcer) -> None:
    desk = console.person("Reception", "Desk", [COLLEGE.id], ["LRBOnlineUser"])
    enforcer.handle(console.console_change(desk))
    assert open_rules(enforcer, desk.id) == [(COLLEGE.id, GENERIC_NAME)]


def test_a_generic_name_is_never_disabled_for(
    console: FakeConsole, enforcer: Enforcer, clock: Clock
) -> None:
    desk = console.person("Reception", "Desk", [COLLEGE.id], ["LRBOnlineUser"])
    enforcer.handle(console.console_change(desk))
    clock.offset = timedelta(hours=enforcer.policy.grace_period_hours + 1)
    assert enforcer.sweep() == []
    assert console.users[desk.id].enabled


# --- who the rules are not for -------------------------------------------------------------------


def test_help_desk_staff_are_never_flagged(console: FakeConsole, enforcer: Enforcer) -> None:
    agent = console.person("Hal", "Desk", [], [])
    console.staff.add(agent.id)
    outcome = enforcer.handle(console.console_change(agent))
    assert outcome.flags == [] and enforcer.store.user_flags(agent.id) == []


def test_a_flag_put_right_is_resolved(console: FakeConsole, enforcer: Enforcer) -> None:
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    console.add_roles(idle.id, ["LRBOnlineUser"])
    enforcer.handle(console.console_change(idle))
    assert enforcer.store.user_flags(idle.id) == []
    assert events(enforcer)[-1] == (AuditKind.ENFORCER_FLAG_RESOLVED, "no-role")


# --- the grace period ----------------------------------------------------------------------------


def test_a_flagged_user_is_disabled_after_the_grace_period(
    console: FakeConsole, enforcer: Enforcer, clock: Clock
) -> None:
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    assert enforcer.sweep() == []  # within the grace period
    clock.offset = timedelta(hours=enforcer.policy.grace_period_hours, minutes=1)
    [disabled] = enforcer.sweep()
    assert disabled.user_id == idle.id and not console.users[idle.id].enabled
    assert events(enforcer)[-1] == (AuditKind.ENFORCER_USER_DISABLED, "no-role")
    assert enforcer.sweep() == []  # once


def test_a_user_enabled_again_while_still_flagged_gets_a_new_grace_period(
    console: FakeConsole, enforcer: Enforcer, clock: Clock
) -> None:
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    clock.offset = timedelta(hours=enforcer.policy.grace_period_hours, minutes=1)
    enforcer.sweep()
    console.set_enabled(idle.id, True)
    enforcer.handle(console.console_change(idle))
    rearmed = enforcer.audit.events(action=AuditKind.ENFORCER_FLAG_RAISED)[0]
    assert rearmed.details["re_enabled"] is True
    assert enforcer.sweep() == []  # the grace period starts again from the clock's now
    clock.offset += timedelta(hours=enforcer.policy.grace_period_hours, minutes=1)
    assert [f.user_id for f in enforcer.sweep()] == [idle.id]


# --- an organisation's super users ---------------------------------------------------------------


def test_an_organisation_without_an_active_super_user_alerts_the_help_desk_and_opens_a_case(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    console.set_enabled(sarah(console), False)
    outcome = enforcer.handle(console.console_change(console.users[sarah(console)]))
    assert outcome.alerts == [COLLEGE.id]
    [case] = enforcer.recovery.awaiting_form(COLLEGE.id)
    assert outcome.cases_opened == [case.id] and case.raised_by == ENFORCER
    assert events(enforcer, COLLEGE.id) == [
        (AuditKind.ENFORCER_RECOVERY_OPENED, "no-active-super-user"),
        (AuditKind.ENFORCER_HELPDESK_ALERTED, "no-active-super-user"),
    ]
    [flag] = enforcer.store.open_flags(COLLEGE.id)
    ruled = check_active_super_user(
        COLLEGE.name, [Member("sarah.jones", COLLEGE.id, frozenset({SUPER_USER}), False)]
    )
    assert ruled is not None and (flag.rule, flag.message) == (ruled.code, ruled.message)


def test_the_help_desk_is_alerted_once_per_loss(console: FakeConsole, enforcer: Enforcer) -> None:
    console.set_enabled(sarah(console), False)
    enforcer.handle(console.console_change(console.users[sarah(console)]))
    again = enforcer.handle(console.console_change(console.users[sarah(console)]))
    assert again.alerts == [] and again.cases_opened == []


def test_a_super_user_locked_out_by_wrong_passwords_is_not_active(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    outcome = enforcer.handle(console.lockout(console.users[sarah(console)]))
    assert outcome.alerts == [COLLEGE.id]
    alerted = enforcer.audit.events(action=AuditKind.ENFORCER_HELPDESK_ALERTED)[0]
    assert "sarah.jones locked out by repeated wrong passwords" in str(alerted.reason)


def test_the_enforcers_case_is_withdrawn_when_a_super_user_is_back(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    console.set_enabled(sarah(console), False)
    opened = enforcer.handle(console.console_change(console.users[sarah(console)]))
    console.set_enabled(sarah(console), True)
    back = enforcer.handle(console.console_change(console.users[sarah(console)]))
    assert back.cases_cancelled == opened.cases_opened
    assert enforcer.recovery.awaiting_form(COLLEGE.id) == []
    assert enforcer.store.open_flags(COLLEGE.id) == []
    assert events(enforcer, COLLEGE.id)[-2:] == [
        (AuditKind.ENFORCER_FLAG_RESOLVED, "no-active-super-user"),
        (AuditKind.ENFORCER_RECOVERY_CANCELLED, "no-active-super-user"),
    ]


def test_a_case_the_help_desk_opened_is_not_withdrawn(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    store = enforcer.recovery
    assert isinstance(store, RecoveryStore)
    case, _ = store.open_awaiting_form(COLLEGE.id, "hal.desk", datetime.now(UTC))
    outcome = enforcer.handle(console.console_change(console.users[sarah(console)]))
    assert outcome.cases_cancelled == []
    assert [c.id for c in store.awaiting_form(COLLEGE.id)] == [case.id]
    assert store.awaiting_form(COLLEGE.id)[0].state == CaseState.AWAITING_FORM


def test_console_permissions_follow_the_organisations_members(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    newcomer = console.person("Nia", "Newman", [COLLEGE.id], ["LRBOnlineUser"])
    enforcer.handle(console.console_change(newcomer))
    [(org_id, members, super_users)] = console.refreshed
    assert org_id == COLLEGE.id and set(members) == {sarah(console), newcomer.id}
    assert sarah(console) in super_users


def test_console_permissions_are_left_alone_when_the_console_is_not_scoped(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    enforcer.policy = replace(enforcer.policy, admin_console_scoped=False)
    enforcer.handle(console.console_change(console.users[sarah(console)]))
    assert console.refreshed == []


def test_a_deleted_user_rechecks_the_organisations_they_were_in(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    enforcer.handle(console.console_change(console.users[sarah(console)]))  # remembered
    gone = console.users.pop(sarah(console))
    outcome = enforcer.handle(console.console_change(gone, "DELETE"))
    assert outcome.alerts == [COLLEGE.id]


# --- the poller ----------------------------------------------------------------------------------


def test_the_poller_handles_each_stored_event_once(
    console: FakeConsole, enforcer: Enforcer
) -> None:
    before = console.console_change(console.users[sarah(console)])  # before the enforcer existed
    # The cursor starts at the first poll's millisecond, and events of that millisecond count:
    # the first poll comes a millisecond after this event, as it would in Keycloak.
    while int(time.time() * 1000) <= before["time"]:
        time.sleep(0.001)
    assert enforcer.poll() == 0  # the first poll only sets the cursors
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    console.console_change(idle)
    console.lockout(console.users[sarah(console)])
    assert enforcer.poll() == 2
    assert enforcer.poll() == 0
    assert open_rules(enforcer, idle.id) == [(COLLEGE.id, "no-role")]
    assert enforcer.store.open_flags(COLLEGE.id)[-1].rule == "no-active-super-user"


# --- notifications (issue 13) ------------------------------------------------------------------


class Told:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.contacts_checked: list[str] = []

    def flagged(self, *args: object) -> list[str]:
        self.calls.append(("flagged", args))
        return []

    def disabled(self, *args: object) -> list[str]:
        self.calls.append(("disabled", args))
        return []

    def no_active_super_user(self, *args: object) -> list[str]:
        self.calls.append(("no_active_super_user", args))
        return ["helpdesk@miap.example"]

    def check_primary_contact(self, group: OrgGroup) -> list[str]:
        self.contacts_checked.append(group.organisation.id)
        return []


def test_flags_disablings_and_lost_super_users_are_told(
    console: FakeConsole, enforcer: Enforcer, clock: Clock
) -> None:
    told = Told()
    enforcer.notices = told  # type: ignore[assignment]
    idle = console.person("Ian", "Idle", [COLLEGE.id], [])
    enforcer.handle(console.console_change(idle))
    clock.offset = timedelta(hours=enforcer.policy.grace_period_hours, minutes=1)
    enforcer.sweep()
    console.set_enabled(sarah(console), False)
    enforcer.handle(console.console_change(console.users[sarah(console)]))
    kinds = [kind for kind, _ in told.calls]
    assert kinds[:2] == ["flagged", "disabled"] and "no_active_super_user" in kinds
    assert told.calls[0][1][:3] == (COLLEGE.id, "ian.idle", "no-role")
    # Each organisation a console change touched: is its primary contact still there (§9)?
    assert COLLEGE.id in told.contacts_checked
    alert = enforcer.audit.events(action=AuditKind.ENFORCER_HELPDESK_ALERTED)[0]
    assert alert.details["helpdesk_emailed"] is True
