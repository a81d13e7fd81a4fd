"""What every signed-in user reads about themselves (services.user_admin.own_account): their
organisation's super users to contact first (guide §2.3 key point 3), their roles, and the User
Agreement they accepted (guide §4.3)."""

from __future__ import annotations

from lrs_keycloak.services.user_admin import UserAdmin
from lrs_keycloak.services.user_admin.own_account import Contact, own_account
from tests.unit.services.conftest import COLLEGE
from tests.unit.services.fake_directory import FakeDirectory


def test_a_user_sees_their_organisations_super_users_by_name_and_email(
    admin: UserAdmin, directory: FakeDirectory
) -> None:
    account = own_account(admin, "olive.online")
    (org,) = account.organisations
    assert (org.id, org.name) == (COLLEGE.id, "Anytown College")
    sue = directory.by_name("sue.super")
    assert sue is not None
    assert org.super_users == (Contact(f"{sue.first_name} {sue.last_name}".strip(), sue.email),)


def test_another_organisations_super_users_are_not_shown(admin: UserAdmin) -> None:
    account = own_account(admin, "olive.online")
    names = [c.name for o in account.organisations for c in o.super_users]
    assert all("Otto" not in name for name in names)


def test_a_suspended_super_user_is_not_offered_as_a_contact(
    admin: UserAdmin, directory: FakeDirectory
) -> None:
    directory.add_user("sam.suspended", COLLEGE.id, ["LRBSuperUser"], enabled=False)
    account = own_account(admin, "olive.online")
    assert [c.name for c in account.organisations[0].super_users] == ["Sue Super"]


def test_a_user_sees_their_roles_with_the_guides_descriptions(admin: UserAdmin) -> None:
    (role,) = own_account(admin, "olive.online").roles
    assert role.name == "LRBOnlineUser" and role.description


def test_the_accepted_agreement_version_and_time_come_from_the_users_attributes(
    admin: UserAdmin, directory: FakeDirectory
) -> None:
    olive = directory.by_name("olive.online")
    assert olive is not None
    olive.attributes.update(lrsAgreementVersion="1", lrsAgreementAcceptedAt="2026-11-30T09:00:00Z")
    account = own_account(admin, "olive.online")
    assert account.agreement is not None
    assert (account.agreement.version, account.agreement.accepted_at) == (
        "1",
        "2026-11-30T09:00:00Z",
    )
    assert account.agreement.current == (account.agreement_version == "1")


def test_the_agreement_text_is_given_as_sanitised_html(admin: UserAdmin) -> None:
    html = own_account(admin, "olive.online").agreement_html
    assert html is not None and html.startswith("<p>") and "<script" not in html


def test_an_unknown_user_gets_no_organisations_roles_or_acceptance(admin: UserAdmin) -> None:
    account = own_account(admin, "nobody")
    assert (account.organisations, account.roles, account.agreement) == ((), (), None)
