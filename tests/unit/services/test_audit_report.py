"""The audit report use case (guide §8) against an in-memory directory: who may read it, what a
row holds, and that refusals come before the first row."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from lrs_keycloak.domain.audit_report import ReportFilter
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.keycloak.names import LAST_LOGON
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.store.enforcement import Flag
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory


@dataclass
class FakeFlags:
    flags: list[Flag] = field(default_factory=list)

    def open_flags(self, organisation_id: str | None = None) -> list[Flag]:
        return [f for f in self.flags if f.organisation_id == organisation_id]


def usernames(rows: object) -> list[str]:
    return [r.username for r in rows]  # type: ignore[attr-defined]


def test_a_super_user_audits_their_own_organisation(admin: UserAdmin, sue: Actor) -> None:
    rows = list(admin.audit_report(sue, COLLEGE.id, ReportFilter(), FakeFlags()))
    assert sorted(usernames(rows)) == ["olive.online", "sue.super"]
    assert {r.organisation_id for r in rows} == {COLLEGE.id}


def test_another_organisation_is_not_visible(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(NotVisible):
        admin.audit_report(sue, OTHER.id, ReportFilter(), FakeFlags())


def test_a_plain_user_may_not_audit(admin: UserAdmin, olive: Actor) -> None:
    with pytest.raises(NotPermitted):
        admin.audit_report(olive, COLLEGE.id, ReportFilter(), FakeFlags())


def test_only_the_help_desk_and_the_operator_audit_every_organisation(
    admin: UserAdmin, sue: Actor
) -> None:
    with pytest.raises(NotPermitted):
        admin.audit_report(sue, None, ReportFilter(), FakeFlags())
    desk = Actor("hal.helpdesk", None, frozenset(), realm_roles=frozenset({HELPDESK_REALM_ROLE}))
    for caller in (desk, Operator("ops")):
        rows = list(admin.audit_report(caller, None, ReportFilter(), FakeFlags()))
        assert usernames(rows) == ["sue.super", "olive.online", "otto.other"]


def test_a_bad_filter_is_refused_before_any_row(admin: UserAdmin, sue: Actor) -> None:
    with pytest.raises(RuleViolation) as refused:
        admin.audit_report(sue, COLLEGE.id, ReportFilter(role="Boss"), FakeFlags())
    assert [v.field for v in refused.value.violations] == ["role"]


def test_a_row_holds_roles_status_last_logon_agreement_and_open_flags(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    olive = directory.by_name("olive.online")
    assert olive is not None
    directory.users[olive.id] = replace(
        olive,
        enabled=False,
        attributes={
            **olive.attributes,
            LAST_LOGON: "1700000000000",
            "staffId": "S-7",
            "lrsAgreementVersion": "2026-01",
            "lrsAgreementAcceptedAt": "2026-11-20T09:00:00Z",
        },
    )
    flag = Flag(
        1, olive.id, "olive.online", COLLEGE.id, "generic-name", "m", datetime.now(UTC), None
    )
    [row] = admin.audit_report(sue, COLLEGE.id, ReportFilter(status="suspended"), FakeFlags([flag]))
    assert (row.username, row.roles, row.status) == (
        "olive.online",
        ("LRBOnlineUser",),
        "suspended",
    )
    assert (row.last_logon_ms, row.staff_id) == (1700000000000, "S-7")
    assert (row.agreement_version, row.open_flags) == ("2026-01", ("generic-name",))


def test_without_a_recorded_logon_the_stored_login_events_are_read(
    admin: UserAdmin, directory: FakeDirectory, sue: Actor
) -> None:
    olive = directory.by_name("olive.online")
    assert olive is not None
    directory.logins[olive.id] = 1600000000000
    rows = {r.username: r for r in admin.audit_report(sue, COLLEGE.id, ReportFilter(), FakeFlags())}
    assert rows["olive.online"].last_logon_ms == 1600000000000
    assert rows["sue.super"].last_logon_ms is None
