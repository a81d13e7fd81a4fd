"""Load (issue 14): concurrent clients against the app and, beside it, raw Keycloak.

    python bench/load.py [--clients 50] [--duration 60] [--users 200] [--login-clients 8]
                         [--keycloak-url URL] [--app-url URL --realm REALM]

Targets, one after the other, each by ``--clients`` threads looping for ``--duration`` seconds:
  api-list     GET  /api/v1/organisations/{org}/users          (a super user's access token)
  raw-members  GET  /admin/realms/{realm}/groups/{id}/members?briefRepresentation=false&max=N
               the raw Keycloak admin endpoint for the same listing (the members; an admin token)
  raw-listing  what the listing needs at minimum, raw (bench/pages.py ``Raw.page_data``): the
               members, the holders of each of the 8 roles, the stored logons
  page-users   GET  /organisations/{org}/users                 (a signed-in session cookie)
  api-create   POST /api/v1/organisations/{org}/users          (a new person each time)
  logins       the full browser logon (login form, password, User Agreement, code, token
               exchange; tests/support/oidc.py) of plain users, by ``--login-clients`` threads
Prints per target: requests, errors, throughput and p50/p95/p99; checks that there were no
errors and no lost writes (the people Keycloak holds equal the successful creations), and the
goal for reads: api-list p95 <= 1.5x raw-members p95 (raw-listing beside it).

By default it makes a throwaway realm (synced from realm-config/ with the companion client and
one organisation of ``--users`` members) on ``--keycloak-url`` (LRS_KEYCLOAK_URL, else
127.0.0.1:8080), starts ``lrs-keycloak serve`` on it on a free port with 2 workers and a SQLite
file, and deletes the realm at the end. With ``--app-url`` (e.g. the two-node cluster's proxy)
it starts nothing: ``--realm`` names the realm that app serves (synced, with its companion client
for that URL); the bench adds its organisation and people there and removes them at the end.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from onboard import ORG, plain_admin
from pages import Raw, seed

from lrs_keycloak.composition import build_policy, upgrade_database
from lrs_keycloak.keycloak.errors import GatewayError
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import ORGANISATIONS_GROUP
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import keycloak_settings
from tests.support.oidc import _FORM, Tokens, _insecure_cookies, after_password, log_on
from tests.support.people import set_password

Work = Callable[[requests.Session], bool]


@dataclass
class Tally:
    """One target's outcomes: each request's seconds, and the failures by what they were."""

    seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    #: The first message of each kind of error, to tell what failed.
    first: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str | None, message: str = "") -> None:
        with self.lock:
            self.seconds.append(seconds)
            if error is not None:
                self.errors[error] = self.errors.get(error, 0) + 1
                self.first.setdefault(error, message[:300])


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def hammer(work: Work, clients: int, duration: float) -> Tally:
    """``clients`` threads, each with its own HTTP session, calling ``work`` till time is up."""
    tally = Tally()
    deadline = time.monotonic() + duration

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            start = time.perf_counter()
            message = ""
            try:
                ok = work(session)
                error = None if ok else "refused"
            except Exception as failure:  # counted, not fatal: the bench reports errors
                error, message = type(failure).__name__, str(failure)
            tally.add(time.perf_counter() - start, error, message)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.monotonic() - began
    return tally


def report(name: str, tally: Tally) -> str:
    n = len(tally.seconds)
    ms = [s * 1000 for s in tally.seconds]
    errors = sum(tally.errors.values())
    detail = f" {tally.errors}" if tally.errors else ""
    return (
        f"  {name:12} {n:6} req  {errors:4} err  {n / tally.elapsed:7.1f}/s  "
        f"p50 {percentile(ms, 50):7.1f}  p95 {percentile(ms, 95):7.1f}  "
        f"p99 {percentile(ms, 99):7.1f} ms{detail}"
    )


class Unexpected(Exception):
    """An answer with another status than the one the target expects."""


def expect(answer: requests.Response, status: int) -> bool:
    if answer.status_code != status:
        raise Unexpected(f"{answer.status_code} {answer.request.url}: {answer.text[:200]}")
    return True


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(realm: str, port: int, database: str) -> Iterator[str]:
    """``lrs-keycloak serve`` (gunicorn, 2 workers) on ``realm``; its base URL."""
    upgrade_database(database_url=database)
    env = {**os.environ, "LRS_REALM": realm, "LRS_DATABASE_URL": database, "LRS_WORKERS": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = Path(tempfile.mkdtemp()) / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lrs_keycloak.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start:\n{log.read_text()[-2000:]}")
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        print(f"serve: {base}, 2 workers, log {log}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=40)


def sign_in(app_url: str, realm: str, username: str, password: str) -> dict[str, str]:
    """The app's session cookies after a real sign-in (Keycloak's form, second factor,
    agreement)."""
    browser = requests.Session()
    answer = browser.get(f"{app_url}/sign-in", allow_redirects=False, timeout=30)
    page = browser.get(answer.headers["Location"], timeout=30)
    _insecure_cookies(browser)
    form = _FORM.search(page.text)
    assert form is not None, page.text[:300]
    answer = browser.post(
        html.unescape(form.group(2)),
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    _insecure_cookies(browser)
    answer, _ = after_password(browser, answer, realm, username)
    browser.get(answer.headers["Location"], allow_redirects=False, timeout=30)
    return {c.name: c.value or "" for c in browser.cookies if c.domain in ("127.0.0.1", "")}


def new_person(run: str) -> dict[str, Any]:
    """A person the validators accept, with a family name unique to this run and request."""
    letters = uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    return {
        "title": "Mx",
        "given_name": "Lo",
        "family_name": f"Load{run}{letters}",
        "verification_provided": "bench load",
        "roles": ["LRBOnlineUser"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients per target")
    parser.add_argument("--duration", type=float, default=60, help="seconds per target")
    parser.add_argument("--users", type=int, default=200, help="members of the organisation")
    parser.add_argument("--login-clients", type=int, default=8, help="threads logging on")
    parser.add_argument("--keycloak-url", help="Keycloak (LRS_KEYCLOAK_URL's default)")
    parser.add_argument("--app-url", help="an app already running (then --realm is needed)")
    parser.add_argument("--realm", help="the realm the app at --app-url serves")
    parser.add_argument("--only", help="comma-separated targets to run (default: all)")
    args = parser.parse_args()
    if args.keycloak_url:
        os.environ["LRS_KEYCLOAK_URL"] = args.keycloak_url  # before any setting is read
    if args.app_url and not args.realm:
        parser.error("--app-url needs --realm: the realm that app serves")

    password = "bench load passphrase 42"
    run = uuid.uuid4().hex[:4].translate(str.maketrans("0123456789", "ghijklmnop"))
    own_realm = args.app_url is None
    realm = args.realm or f"lrs-bench-load-{uuid.uuid4().hex[:6]}"
    port = free_port()
    app_url = (args.app_url or f"http://127.0.0.1:{port}").rstrip("/")
    if own_realm:
        os.environ["LRS_PUBLIC_URL"] = app_url
        os.environ.setdefault("LRS_COMPANION_CLIENT_SECRET", secrets.token_urlsafe(32))
    gw = KeycloakGateway(keycloak_settings(realm), pool_size=args.clients)
    if own_realm:
        apply(gw, plan(gw, build_policy(realm), [ORG]))
        # As bench/onboard.py: no webhook deliveries to whatever app listens on port 5000.
        listeners = [x for x in (gw.get_realm() or {}).get("eventsListeners", [])]
        listeners = [x for x in listeners if x != "lrs-webhook"]
        gw.update_realm({"eventsListeners": listeners})
    else:
        organisations = gw.find_top_group(ORGANISATIONS_GROUP)
        assert organisations is not None, f"{realm} is not synced"
        gw.create_child_group(organisations["id"], {"name": ORG.id})
    print(f"Keycloak {keycloak_settings(realm).url}, realm {realm}, load average {load_average()}")
    try:
        supers = seed(gw, args.users)
        for username in supers[:1]:
            set_password(gw, username, password)
        # Plain users who may log on (the seed suspends and locks some).
        members = _members(gw, ORG.id)[1]
        plain = [m["username"] for m in members if m.get("enabled") and m["username"] not in supers]
        for username in plain[: args.login_clients]:
            set_password(gw, username, password)
        database = f"sqlite:///{Path(tempfile.mkdtemp()) / 'load.sqlite'}"
        with served(realm, port, database) if own_realm else _nothing(app_url) as base:
            failed = _run(args, gw, Target(realm, base, ORG.id, supers[0], plain, password, run))
    finally:
        if own_realm:
            _delete(gw)
        else:
            _remove_bench_organisation(gw, ORG.id)
    if failed:
        sys.exit(1)  # an error or a lost write: the figures above say which


@contextmanager
def _nothing(url: str) -> Iterator[str]:
    yield url


def _delete(gw: KeycloakGateway) -> None:
    """Delete the bench's realm: its users first, each in a short transaction of its own. On
    the development H2 database one realm deletion with 2,000+ users ran past Keycloak's
    5-minute transaction timeout, and the reaper's interrupt closed the whole H2 store (every
    realm's requests failed for a moment). Tried again for a while if still refused."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [u["id"] for u in gw.paged("/users", {"briefRepresentation": "true"})]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda user: gw.call("DELETE", f"/users/{user}"), ids))
    print(f"{len(ids)} users of {gw.realm} deleted")
    for _ in range(12):
        try:
            gw.delete_realm()
            print(f"realm {gw.realm} deleted")
            return
        except GatewayError as refused:
            print(f"deleting realm {gw.realm}: {refused}; again in 10 s", flush=True)
            time.sleep(10)
    print(f"realm {gw.realm} NOT deleted: delete it by hand (lrs-keycloak or the admin console)")


def _members(gw: Any, org: str) -> tuple[str, list[dict[str, Any]]]:
    """The organisation group's id and its members as Keycloak holds them."""
    group = gw.call("GET", f"/group-by-path/organisations/{quote(org)}")
    path = f"/groups/{group['id']}/members"
    return group["id"], list(gw.paged(path, {"briefRepresentation": "false"}))


def _remove_bench_organisation(gw: Any, org: str) -> None:
    group, members = _members(gw, org)
    for member in members:
        gw.call("DELETE", f"/users/{member['id']}")
    gw.call("DELETE", f"/groups/{group}")
    print(f"organisation {org} and its people removed from {gw.realm}")


@dataclass(frozen=True)
class Target:
    """What the clients aim at: the app, its realm and organisation, and who signs in."""

    realm: str
    base: str
    org: str
    sue: str  # the organisation's super user
    plain: list[str]  # its plain users, the first --login-clients with a password
    password: str
    run: str  # this run's mark in the family names it creates


def _run(args: Any, gw: KeycloakGateway, t: Target) -> bool:
    """Run the targets and print their figures; whether a hard goal failed (an error, a lost
    or unanswered write)."""
    realm, base, org, sue, plain, password, run = (
        t.realm, t.base, t.org, t.sue, t.plain, t.password, t.run
    )  # fmt: skip
    tokens = Tokens(realm, password)
    token_lock = threading.Lock()

    def bearer() -> dict[str, str]:
        # One logon when the token runs out, not one per client: the others wait for it.
        with token_lock:
            return {"Authorization": f"Bearer {tokens.access(sue)}"}

    bearer()
    cookies = sign_in(base, realm, sue, password)
    raw = Raw(realm, tuple(build_policy(realm).roles.names))
    admin = plain_admin(realm, args.clients)
    raw.admin = admin  # one pool as large as the clients, as the app's gateway has
    group = raw.get(f"group-by-path/organisations/{quote(org)}")
    members_url = f"admin/realms/{realm}/groups/{group['id']}/members"
    created: list[str] = []
    created_lock = threading.Lock()

    def api_list(session: requests.Session) -> bool:
        answer = session.get(
            f"{base}/api/v1/organisations/{org}/users",
            headers=bearer(),
            timeout=120,
        )
        return expect(answer, 200)

    def raw_members(session: requests.Session) -> bool:
        answer = admin.connection.raw_get(
            members_url, briefRepresentation="false", first=0, max=args.users + 100
        )
        return expect(answer, 200)

    def raw_listing(session: requests.Session) -> bool:
        raw.page_data(org)
        return True

    def api_create(session: requests.Session) -> bool:
        answer = session.post(
            f"{base}/api/v1/organisations/{org}/users",
            json=new_person(run),
            headers=bearer(),
            timeout=120,
        )
        expect(answer, 201)
        with created_lock:
            created.append(answer.json()["user"]["username"])
        return True

    def page_users(session: requests.Session) -> bool:
        answer = session.get(
            f"{base}/organisations/{org}/users", cookies=cookies, allow_redirects=False, timeout=120
        )
        return expect(answer, 200) and 'id="count"' in answer.text

    turn = iter(range(10**9))
    turn_lock = threading.Lock()
    mine = threading.local()

    def login(session: requests.Session) -> bool:
        # Each thread logs its own person on, again and again, as people do: with persons
        # shared between threads, a few logons were refused (user_disabled) on the dev H2.
        if not hasattr(mine, "username"):
            with turn_lock:
                mine.username = plain[next(turn) % args.login_clients]
        username = mine.username
        logon = log_on(realm, username, password)
        answer = session.post(
            f"{gw.settings.url.rstrip('/')}/realms/{realm}/protocol/openid-connect/token",
            data={
                "grant_type": "authorization_code",
                "client_id": "lrs-portal",
                "code": logon.code,
                "redirect_uri": logon.redirect_uri,
                "code_verifier": logon.verifier,
            },
            timeout=60,
        )
        return expect(answer, 200) and logon.agreement_shown

    targets: dict[str, tuple[Work, int]] = {
        "api-list": (api_list, args.clients),
        "raw-members": (raw_members, args.clients),
        "raw-listing": (raw_listing, args.clients),
        "page-users": (page_users, args.clients),
        "api-create": (api_create, args.clients),  # after the reads: they see the same people
        "logins": (login, args.login_clients),
    }
    chosen = args.only.split(",") if args.only else list(targets)
    results: dict[str, Tally] = {}
    for name in chosen:
        work, clients = targets[name]
        before = load_average()
        results[name] = hammer(work, clients, args.duration)
        print(f"{report(name, results[name])}  (load {before} -> {load_average()})", flush=True)

    print(f"{args.clients} clients (logins: {args.login_clients}), {args.duration:.0f} s each:")
    for name, tally in results.items():
        print(report(name, tally))
    errors = sum(sum(t.errors.values()) for t in results.values())
    print(f"errors: {errors} (goal 0)")
    failed = errors > 0
    for name, tally in results.items():
        for kind, message in tally.first.items():
            print(f"  {name} {kind}: {message}")
    if "api-create" in results:
        held = {
            m["username"]
            for m in _members(gw, org)[1]
            if (m.get("lastName") or "").startswith(f"Load{run}")
        }
        lost, extra = set(created) - held, held - set(created)
        failed = failed or bool(lost or extra)
        print(
            f"writes: {len(created)} created (201), {len(held)} in Keycloak; "
            f"lost {len(lost)}, unanswered {len(extra)} (goal 0 and 0)"
        )
    if "api-list" in results and "raw-members" in results:
        ratio = percentile(results["api-list"].seconds, 95) / percentile(
            results["raw-members"].seconds, 95
        )
        print(f"reads: api-list p95 / raw-members p95 = {ratio:.2f}x (goal <= 1.5x)")
    if "api-list" in results and "raw-listing" in results:
        ratio = percentile(results["api-list"].seconds, 95) / percentile(
            results["raw-listing"].seconds, 95
        )
        print(f"reads: api-list p95 / raw-listing p95 = {ratio:.2f}x")
    if "logins" in results:
        rate = len(results["logins"].seconds) / results["logins"].elapsed
        cores = os.cpu_count() or 1
        print(
            f"logins: {rate:.1f}/s full browser flow with the agreement, on {cores} cores shared "
            f"(Keycloak's sizing guide: ~15 password logins/s per vCPU, {15 * cores}/s)"
        )
    return failed


if __name__ == "__main__":
    main()
