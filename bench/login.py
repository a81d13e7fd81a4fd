"""Cost of the User Agreement at logon: full browser-flow logins over HTTP, no browser.

    python bench/login.py [--logins 60] [--rounds 3]

In one throwaway realm and one run, the same login (GET the login page, POST the password,
follow to the authorization code) is timed in three set-ups, interleaved in rounds so that drift
hits all of them alike:
  plain     the agreement action disabled (what raw Keycloak does);
  agreement every-logon mode: the extra agreement page and the Accept post (the guide's rule);
  trigger   new-version-only mode, user already accepted: the trigger runs, no page is shown.
Prints median and p95 of the flow's time and the ratios to plain. Goals: agreement <= 1.5x,
trigger <= 1.10x. Needs the local Keycloak with the extension (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

from lrs_keycloak.config import load_policy
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.names import AGREEMENT_ACTION, AGREEMENT_MODE
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.settings import config_dir, keycloak_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.oidc import log_on

PASSWORD = "bench login passphrase 42"


def login(realm: str, username: str) -> tuple[float, bool]:
    """One full logon in a fresh session; returns (seconds, whether the agreement page showed)."""
    start = time.perf_counter()
    logon = log_on(realm, username, PASSWORD)
    return time.perf_counter() - start, logon.agreement_shown


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logins", type=int, default=60, help="logins per set-up per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    realm = f"lrs-bench-{uuid.uuid4().hex[:8]}"
    policy = load_policy(config_dir(), realm=realm)
    gw = KeycloakGateway(keycloak_settings(realm))
    apply(gw, plan(gw, policy))
    username = "benjamin.marsh"
    gw.call(
        "POST",
        "/users",
        {
            "username": username,
            "firstName": "Benjamin",
            "lastName": "Marsh",
            "enabled": True,
            "attributes": {"title": ["Mx"], "verificationProvided": ["bench"]},
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
        },
    )
    action = next(a for a in gw.list_required_actions() if a["alias"] == AGREEMENT_ACTION)

    def set_up(name: str) -> None:
        gw.update_required_action(AGREEMENT_ACTION, {**action, "enabled": name != "plain"})
        mode = "new-version-only" if name == "trigger" else "every-logon"
        realm_rep = gw.get_realm()
        gw.update_realm({"attributes": {**realm_rep["attributes"], AGREEMENT_MODE: mode}})

    samples: dict[str, list[float]] = {"plain": [], "agreement": [], "trigger": []}
    try:
        set_up("agreement")
        login(realm, username)  # accept once, so trigger mode has nothing to show
        for name in samples:  # warm-up
            set_up(name)
            for _ in range(5):
                login(realm, username)
        for _ in range(args.rounds):
            for name in samples:
                set_up(name)
                for _ in range(args.logins):
                    seconds, shown = login(realm, username)
                    if shown != (name == "agreement"):
                        raise RuntimeError(f"{name}: agreement shown={shown}, not as set up")
                    samples[name].append(seconds)
    finally:
        gw.delete_realm()

    base = statistics.median(samples["plain"])
    for name, values in samples.items():
        median = statistics.median(values)
        print(
            f"{name:9} n={len(values):4}  median {median * 1000:7.1f} ms  "
            f"p95 {p95(values) * 1000:7.1f} ms  ratio to plain {median / base:.3f}x"
        )
    print("goals: agreement <= 1.5x (extra page and Accept), trigger <= 1.10x")


if __name__ == "__main__":
    main()
