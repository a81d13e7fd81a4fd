"""The super user's pages against the real Keycloak (a throwaway realm): a super user, put in
the session as a sign-in would, adds a user through the form (an error, then its correction),
suspends and reinstates them, and finds it all in the user's trail and in the CSV export. A
super user of another organisation sees none of it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.domain.users import UserDetails
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.services.user_admin import Operator
from lrs_keycloak.web import create_app
from lrs_keycloak.web.context import user_admin
from lrs_keycloak.web.people import Person
from tests.support.pages import csrf_token, sign_in
from tests.support.smtp import Inbox, realm_mail

ORG_A = Organisation("pages-college", "Pages College", "college", frozenset())
ORG_B = Organisation("other-pages", "Other Pages", "college", frozenset())


@pytest.fixture(scope="module")
def smtp(synced_gateway: KeycloakGateway) -> Iterator[Inbox]:
    with realm_mail(synced_gateway) as inbox:
        yield inbox


@pytest.fixture(scope="module")
def app(realm_name: str, smtp: Inbox, tmp_path_factory: Any) -> Flask:
    db = tmp_path_factory.mktemp("pages") / "pages.sqlite"
    return create_app(
        {"TESTING": True, "LRS_REALM": realm_name, "LRS_DATABASE_URL": f"sqlite:///{db}"}
    )


def person(gateway: KeycloakGateway, username: str) -> Person:
    user = UserDirectory(gateway).find_user(username)
    assert user is not None
    return Person(
        user.id, user.username, user.username, user.email, user.organisation_ids, user.roles
    )


@pytest.fixture(scope="module")
def people(app: Flask, synced_gateway: KeycloakGateway) -> dict[str, Person]:
    admin = user_admin(app)
    operator = Operator("pages-tests")
    sue = admin.register_organisation(
        operator, ORG_A, UserDetails("Ms", "Sue", "Pages", "form A", email="sue@example.org")
    ).user
    bob = admin.register_organisation(
        operator, ORG_B, UserDetails("Mr", "Bob", "Pages", "form B", email="bob@example.org")
    ).user
    assert sue and bob
    return {
        "sue": person(synced_gateway, sue["username"]),
        "bob": person(synced_gateway, bob["username"]),
    }


def client_of(app: Flask, who: Person) -> FlaskClient:
    client = app.test_client()
    sign_in(client, who)
    return client


def post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client), **data})


def test_add_suspend_reinstate_and_find_it_in_the_trail_and_csv(
    app: Flask, people: dict[str, Person]
) -> None:
    sue = client_of(app, people["sue"])
    base = f"/organisations/{ORG_A.id}"
    dashboard = sue.get(f"{base}/").get_data(as_text=True)
    assert "1 active super user" in dashboard and "govuk-warning-text" in dashboard

    form = {
        "title": "Ms",
        "given_name": "Ivy",
        "family_name": "Pages",
        "email": "ivy@example",
        "verification_provided": "HR ref 9",
        "roles": ["LRBOnlineUser"],
    }
    refused = post(sue, f"{base}/users/new", form)
    assert refused.status_code == 422 and '<a href="#email">' in refused.get_data(as_text=True)
    assert post(sue, f"{base}/users/new", {**form, "email": "ivy@example.org"}).status_code == 302
    created = post(sue, f"{base}/users/new/check", {})
    assert created.status_code == 302
    done = sue.get(created.headers["Location"]).get_data(as_text=True)
    assert "Account created" in done and "ivy.pages" in done

    post(sue, f"{base}/users/ivy.pages/suspend", {"reason": "On long leave"})
    assert post(sue, f"{base}/users/ivy.pages/suspend/check", {}).status_code == 302
    page = sue.get(f"{base}/users/ivy.pages").get_data(as_text=True)
    assert "Reason for suspension" in page and "On long leave" in page
    post(sue, f"{base}/users/ivy.pages/reinstate", {"reason": "Back"})
    assert post(sue, f"{base}/users/ivy.pages/reinstate/check", {}).status_code == 302

    trail = sue.get(f"{base}/users/ivy.pages").get_data(as_text=True)
    assert "user created" in trail and "user suspended" in trail and "user reinstated" in trail
    rows = list(csv.reader(io.StringIO(sue.get(f"{base}/audit.csv").get_data(as_text=True))))
    assert {(r[2], r[4]) for r in rows[1:] if r[3] == "ivy.pages"} >= {
        ("user_suspended", "On long leave"),
        ("user_reinstated", "Back"),
    }


def test_a_super_user_of_another_organisation_sees_nothing(
    app: Flask, people: dict[str, Person]
) -> None:
    bob = client_of(app, people["bob"])
    for path in ("/", "/users", f"/users/{people['sue'].username}", "/audit", "/audit.csv"):
        response = bob.get(f"/organisations/{ORG_A.id}{path}")
        assert response.status_code == 404
        assert people["sue"].username not in response.get_data(as_text=True)


def test_a_file_of_people_is_uploaded_then_followed_until_added(
    app: Flask, people: dict[str, Person], synced_gateway: KeycloakGateway
) -> None:
    """Guide §2.1 on the pages (docs/adr/0019): a refused file shows its problems by row and
    nothing is queued; an accepted one is followed on a page that refreshes itself until the
    worker has added the people."""
    from lrs_keycloak.cli.worker import import_round
    from lrs_keycloak.web.context import root

    sue = client_of(app, people["sue"])
    base = f"/organisations/{ORG_A.id}"
    assert "Add users from a file" in sue.get(f"{base}/imports/new").get_data(as_text=True)
    header = "title,given_name,family_name,verification_provided,email,staff_id,roles\n"
    bad = header + "Ms,Reception,Pages,HR 5,desk@example.org,,LRBOnlineUser\n"

    def upload(text: str) -> Any:
        data = {"csrf_token": csrf_token(sue), "file": (io.BytesIO(text.encode()), "people.csv")}
        return sue.post(f"{base}/imports/new", data=data, content_type="multipart/form-data")

    refused = upload(bad)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Problems in the file" in page and "given_name" in page
    accepted = upload(header + "Ms,Una,Pages,HR 5,una@example.org,,LRBOnlineUser\n")
    assert accepted.status_code == 302
    waiting = sue.get(accepted.headers["Location"]).get_data(as_text=True)
    assert "Waiting to start" in waiting and 'http-equiv="refresh"' in waiting
    assert import_round(root(app))
    done = sue.get(accepted.headers["Location"]).get_data(as_text=True)
    assert "The people were added" in done and "una.pages" in done
    assert 'http-equiv="refresh"' not in done
    assert UserDirectory(synced_gateway).find_user("una.pages") is not None
    bob = client_of(app, people["bob"])
    assert bob.get(accepted.headers["Location"]).status_code == 404


def test_a_review_is_answered_on_the_pages_by_confirming_changing_roles_and_removing(
    app: Flask, people: dict[str, Person], synced_gateway: KeycloakGateway
) -> None:
    """Guide §8 on the pages, against the real Keycloak: each answer goes through the same
    service call as the API's (role-change and removal rules included) and is kept."""
    admin = user_admin(app)
    operator = Operator("pages-tests")
    made = {
        given: admin.create_user(
            operator, ORG_A.id, UserDetails("Mx", given, "Reviewed", "HR 6"), ["LRBOnlineUser"]
        ).user
        for given in ("Ron", "Rhea")
    }
    ron, rhea = (str((made[g] or {})["username"]) for g in ("Ron", "Rhea"))
    sue = client_of(app, people["sue"])
    base = f"/organisations/{ORG_A.id}"
    started = post(sue, f"{base}/reviews", {})
    assert started.status_code == 302
    review = started.headers["Location"].rsplit("/", 1)[1]
    here = f"{base}/reviews/{review}"
    assert post(sue, f"{here}/users/{people['sue'].username}/confirm", {}).status_code == 302

    refused = post(sue, f"{here}/users/{ron}/roles", {"roles": ["LRBViewOnlyUser"]})
    assert refused.status_code == 422 and '<a href="#reference">' in refused.get_data(as_text=True)
    changed = post(
        sue, f"{here}/users/{ron}/roles", {"roles": ["LRBViewOnlyUser"], "reference": "HR-8"}
    )
    assert changed.status_code == 302
    directory = UserDirectory(synced_gateway)
    found = directory.find_user(ron)
    assert found is not None and found.roles == frozenset({"LRBViewOnlyUser"})

    assert post(sue, f"{here}/users/{rhea}/remove", {"reason": "Left in May"}).status_code == 302
    assert directory.find_user(rhea) is not None  # the check page first
    assert post(sue, f"{here}/users/{rhea}/remove/check", {}).status_code == 302
    assert directory.find_user(rhea) is None

    page = sue.get(here).get_data(as_text=True)
    assert f"Change roles to LRBViewOnlyUser by {people['sue'].username}" in page
    assert f"Remove by {people['sue'].username}" in page and "Left in May" in page
    answered = admin.audit.events(ORG_A.id, action="access_review_answered")
    assert {e.target: e.details["decision"] for e in answered} == {
        people["sue"].username: "confirm",
        ron: "change-roles",
        rhea: "remove",
    }
