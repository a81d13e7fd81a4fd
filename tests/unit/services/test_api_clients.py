"""ADR 0013 with fakes: the operator or help desk manages an organisation's API client; the
integration reads its own organisation and changes nothing; every change is audited or undone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from lrs_keycloak.domain.api_clients import READ_ONLY_RULE, ApiClient
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.policies import HELPDESK_REALM_ROLE, Actor
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.api_clients import ApiClientRecord
from lrs_keycloak.services.api_clients import API_CLIENT_EXISTS, ApiClients
from lrs_keycloak.services.user_admin import NotPermitted, NotVisible, Operator, UserAdmin
from lrs_keycloak.store.audit import AuditEvent, AuditLog
from tests.unit.services.conftest import COLLEGE, OTHER
from tests.unit.services.fake_directory import FakeDirectory

OPERATOR = Operator("ops")
JANE = UserDetails("Ms", "Jane", "Doe", "HR ref 42", email="jane@example.org")


class FakeClients:
    """Keycloak's clients, each with a secret and a service account."""

    def __init__(self) -> None:
        self.clients: dict[str, ApiClientRecord] = {}  # by Keycloak id
        self.secrets: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        self.made = 0

    def find(self, client_id: str) -> ApiClientRecord | None:
        return next((c for c in self.clients.values() if c.client_id == client_id), None)

    def create(self, client_id: str, org_id: str, description: str) -> str:
        self.made += 1
        uuid = f"c-{self.made}"
        self.clients[uuid] = ApiClientRecord(uuid, client_id, org_id, True, True)
        self.accounts[uuid] = f"sa-{self.made}"
        self.secrets[uuid] = "first"
        return uuid

    def new_secret(self, client_uuid: str) -> str:
        self.secrets[client_uuid] = f"secret-{len(self.secrets)}-{self.secrets[client_uuid]}"
        return self.secrets[client_uuid]

    def delete(self, client_uuid: str) -> None:
        self.clients.pop(client_uuid, None)
        self.accounts.pop(client_uuid, None)

    def service_account_id(self, client_uuid: str) -> str | None:
        return self.accounts.get(client_uuid)


class FailingAudit(AuditLog):
    def record(self, event: AuditEvent) -> AuditEvent:
        raise RuntimeError("the audit log is down")


@pytest.fixture
def clients() -> FakeClients:
    return FakeClients()


@pytest.fixture
def service(clients: FakeClients, directory: FakeDirectory, audit: AuditLog) -> ApiClients:
    return ApiClients(clients, directory, audit)


def _events(audit: AuditLog, org_id: str = COLLEGE.id) -> list[AuditEvent]:
    return audit.events(org_id)


# --- managing the client ---------------------------------------------------------------------


def test_create_answers_the_secret_once_and_records_it(
    service: ApiClients, clients: FakeClients, audit: AuditLog
) -> None:
    issued = service.create(OPERATOR, COLLEGE.id)
    assert issued.client_id == "lrs-api-anytown-college"
    assert issued.identity == "api-client:anytown-college"
    assert issued.secret == clients.secrets["c-1"]
    (event,) = _events(audit)
    assert (event.action, event.actor, event.target) == (
        "api_client_created",
        "operator:ops",
        "api-client:anytown-college",
    )
    assert issued.secret not in repr(event.as_dict())  # the log never holds the secret


def test_one_client_per_organisation(service: ApiClients) -> None:
    service.create(OPERATOR, COLLEGE.id)
    with pytest.raises(RuleViolation) as refused:
        service.create(OPERATOR, COLLEGE.id)
    assert refused.value.violations[0].code == API_CLIENT_EXISTS


def test_no_client_for_an_unknown_organisation(service: ApiClients, clients: FakeClients) -> None:
    with pytest.raises(NotVisible):
        service.create(OPERATOR, "no-such-college")
    assert not clients.clients


def test_a_super_user_cannot_give_a_machine_access(service: ApiClients, sue: Actor) -> None:
    with pytest.raises(NotPermitted, match="operator or the MIAP help desk"):
        service.create(sue, COLLEGE.id)


def test_an_integration_cannot_make_another(service: ApiClients) -> None:
    with pytest.raises(NotPermitted):
        service.create(ApiClient.of(COLLEGE.id), OTHER.id)


def test_the_help_desk_manages_clients(service: ApiClients, audit: AuditLog) -> None:
    agent = Actor("hal.helpdesk", None, frozenset(), frozenset({HELPDESK_REALM_ROLE}))
    service.create(agent, COLLEGE.id)
    assert _events(audit)[0].actor == "hal.helpdesk"


def test_create_is_undone_when_it_cannot_be_recorded(
    clients: FakeClients, directory: FakeDirectory, audit: AuditLog
) -> None:
    failing = ApiClients(clients, directory, FailingAudit(audit.engine))
    with pytest.raises(RuntimeError, match="audit log is down"):
        failing.create(OPERATOR, COLLEGE.id)
    assert not clients.clients  # no access without its record (ADR 0007)


def test_rotate_replaces_the_secret(
    service: ApiClients, clients: FakeClients, audit: AuditLog
) -> None:
    first = service.create(OPERATOR, COLLEGE.id).secret
    second = service.rotate(OPERATOR, COLLEGE.id).secret
    assert second != first and clients.secrets["c-1"] == second
    assert [e.action for e in _events(audit)] == ["api_client_secret_rotated", "api_client_created"]


def test_rotate_or_delete_needs_a_client(service: ApiClients) -> None:
    with pytest.raises(NotVisible, match="no API client"):
        service.rotate(OPERATOR, COLLEGE.id)
    with pytest.raises(NotVisible, match="no API client"):
        service.delete(OPERATOR, COLLEGE.id)


def test_a_client_made_by_hand_is_not_managed_as_one(
    service: ApiClients, clients: FakeClients
) -> None:
    clients.clients["x"] = ApiClientRecord("x", "lrs-api-anytown-college", None, True, True)
    with pytest.raises(NotVisible):
        service.rotate(OPERATOR, COLLEGE.id)


def test_delete_removes_the_client_and_records_it(
    service: ApiClients, clients: FakeClients, audit: AuditLog
) -> None:
    service.create(OPERATOR, COLLEGE.id)
    service.delete(OPERATOR, COLLEGE.id)
    assert not clients.clients
    assert _events(audit)[0].action == "api_client_deleted"


# --- the caller behind a token ---------------------------------------------------------------


def test_the_caller_is_the_clients_service_account(service: ApiClients) -> None:
    service.create(OPERATOR, COLLEGE.id)
    assert service.caller(COLLEGE.id, "sa-1") == ApiClient.of(COLLEGE.id)


def test_a_token_of_another_subject_is_no_caller(service: ApiClients) -> None:
    service.create(OPERATOR, COLLEGE.id)
    assert service.caller(COLLEGE.id, "someone-else") is None


def test_a_deleted_client_is_no_caller(service: ApiClients) -> None:
    service.create(OPERATOR, COLLEGE.id)
    service.delete(OPERATOR, COLLEGE.id)
    assert service.caller(COLLEGE.id, "sa-1") is None


@pytest.mark.parametrize(
    "change",
    [{"enabled": False}, {"service_account_only": False}, {"organisation_id": None}],
    ids=["disabled", "given-another-grant", "not-marked-for-the-organisation"],
)
def test_a_client_changed_in_the_console_is_no_caller(
    service: ApiClients, clients: FakeClients, change: dict[str, object]
) -> None:
    service.create(OPERATOR, COLLEGE.id)
    clients.clients["c-1"] = replace(clients.clients["c-1"], **change)  # type: ignore[arg-type]
    assert service.caller(COLLEGE.id, "sa-1") is None


# --- what the integration may do (UserAdmin) -------------------------------------------------


def test_an_integration_reads_its_organisations_users(admin: UserAdmin) -> None:
    listed = admin.list_users(ApiClient.of(COLLEGE.id), COLLEGE.id)
    assert {u["username"] for u in listed.users or []} == {"sue.super", "olive.online"}
    assert admin.get_user(ApiClient.of(COLLEGE.id), COLLEGE.id, "olive.online").user


def test_an_integration_reads_its_audit_trail(admin: UserAdmin) -> None:
    assert admin.audit_events(ApiClient.of(COLLEGE.id), COLLEGE.id) == []
    assert isinstance(admin.agreement_report(ApiClient.of(COLLEGE.id), COLLEGE.id), list)


def test_another_organisation_is_invisible_to_an_integration(admin: UserAdmin) -> None:
    with pytest.raises(NotVisible):
        admin.list_users(ApiClient.of(COLLEGE.id), OTHER.id)
    with pytest.raises(NotVisible):
        admin.list_users(ApiClient.of(COLLEGE.id), "no-such-college")


def test_an_integration_is_refused_every_change_with_the_rule(
    admin: UserAdmin, directory: FakeDirectory, audit: AuditLog
) -> None:
    client = ApiClient.of(COLLEGE.id)
    attempts: list[Callable[[], object]] = [
        lambda: admin.create_user(client, COLLEGE.id, JANE, ["LRBOnlineUser"], "ref"),
        lambda: admin.update_details(client, COLLEGE.id, "olive.online", {"email": "a@b.org"}),
        lambda: admin.change_roles(client, COLLEGE.id, "olive.online", ["LRBViewOnlyUser"], "r"),
        lambda: admin.suspend(client, COLLEGE.id, "olive.online", "left"),
        lambda: admin.reinstate(client, COLLEGE.id, "olive.online", "back"),
        lambda: admin.remove(client, COLLEGE.id, "olive.online", "left"),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted) as refused:
            attempt()
        assert READ_ONLY_RULE in str(refused.value)
    olive = directory.by_name("olive.online")
    assert olive is not None and olive.enabled and olive.roles == frozenset({"LRBOnlineUser"})
    assert directory.by_name("jane.doe") is None
    assert audit.events(COLLEGE.id) == []
