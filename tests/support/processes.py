"""Code run in separate OS processes (multiprocessing, spawn) by the cross-process lock tests.

Kept apart from the test modules so that a spawned child imports only this, not pytest's
fixtures. Each function takes plain values and reports back through a queue.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from sqlalchemy import create_engine

from lrs_keycloak.store.locks import OrganisationBusy, organisation_lock


def spawn() -> Any:
    """The start method the tests use: a fresh interpreter, as another process would be."""
    return multiprocessing.get_context("spawn")


def hold_lock(url: str, org_id: str, held: Any, release: Any) -> None:
    """Take the organisation's lock, say so, and keep it until told to release it."""
    engine = create_engine(url)
    with organisation_lock(engine, org_id):
        held.set()
        release.wait(120)
    engine.dispose()


def try_lock(url: str, org_id: str, timeout: float, answers: Any) -> None:
    """Answer "got" if the lock could be taken within ``timeout`` seconds, else "busy"."""
    engine = create_engine(url)
    try:
        with organisation_lock(engine, org_id, timeout=timeout):
            answers.put("got")
    except OrganisationBusy:
        answers.put("busy")
    finally:
        engine.dispose()


def act_on_each_other(
    realm: str,
    store_url: str,
    me: str,
    other: str,
    org_id: str,
    action: str,
    start: Any,
    answers: Any,
    slow_seconds: float = 0.5,
) -> None:
    """A super user's process: at the same moment as the other one, demote or suspend them.

    Reading the organisation's members is slowed down, so both processes are sure to have read
    before either changes anything: without the organisation lock both would succeed.
    """
    from lrs_keycloak.config import load_policy
    from lrs_keycloak.domain.errors import RuleViolation
    from lrs_keycloak.keycloak.gateway import KeycloakGateway
    from lrs_keycloak.keycloak.users import UserDirectory, UserRecord
    from lrs_keycloak.services.user_admin import UserAdmin
    from lrs_keycloak.settings import config_dir, keycloak_settings
    from lrs_keycloak.store.audit import AuditLog
    from lrs_keycloak.store.db import make_engine

    class SlowMembers(UserDirectory):
        def members(self, *args: Any, **kwargs: Any) -> list[UserRecord]:
            found = super().members(*args, **kwargs)
            time.sleep(slow_seconds)
            return found

    policy = load_policy(config_dir(), realm=realm)
    admin = UserAdmin(
        SlowMembers(KeycloakGateway(keycloak_settings(realm))),
        AuditLog(make_engine(store_url)),
        policy,
    )
    actor = admin.actor(me)
    assert actor is not None
    start.wait(120)
    try:
        if action == "demote":
            admin.change_roles(actor, org_id, other, ["LRBOnlineUser"], reference="swap")
        else:
            admin.suspend(actor, org_id, other, "swap")
        answers.put((me, "done"))
    except RuleViolation as refused:
        answers.put((me, refused.violations[0].code))
    except Exception as error:  # reported, so the test shows it instead of hanging
        answers.put((me, f"error: {type(error).__name__}: {error}"))


def poll_and_hang(realm: str, store_url: str, lease_seconds: float, claimed: Any) -> None:
    """A worker process that claims the next event and hangs while handling it (until it is
    killed): the first event it handles sets ``claimed`` and never returns."""
    import os

    os.environ["LRS_DATABASE_URL"] = store_url
    os.environ["LRS_EVENT_LEASE_SECONDS"] = str(lease_seconds)
    from lrs_keycloak.composition import Root
    from lrs_keycloak.services.enforcement import Enforcer

    def hang(self: Enforcer, event: dict[str, Any]) -> Any:
        claimed.set()
        time.sleep(600)

    Enforcer._handle = hang  # type: ignore[method-assign]
    Root(realm=realm).enforcer().poll()
