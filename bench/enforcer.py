"""Time from an admin-console change to the enforcer's reaction, through the webhook.

    python bench/enforcer.py [--changes 30]

Runs the companion app on 127.0.0.1:5000 (it must be free) against a throwaway realm, then
repeatedly makes a change the guide forbids — a role the organisation is not entitled to, given
straight through the admin REST API as the console does — and times until the enforcer's audit
event for it is stored. Prints median and p95 (goal: median <= 2 s).
Needs the local Keycloak with the extension (`lrs-keycloak keycloak start`).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from werkzeug.serving import make_server

from lrs_keycloak.config import load_policy
from lrs_keycloak.domain.organisations import Organisation
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from lrs_keycloak.keycloak.sync import apply, plan
from lrs_keycloak.keycloak.users import UserDirectory
from lrs_keycloak.settings import config_dir, keycloak_settings
from lrs_keycloak.web import create_app

COLLEGE = Organisation("bench-college", "Bench College", "college", frozenset())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    realm = f"lrs-bench-{uuid.uuid4().hex[:8]}"
    policy = load_policy(config_dir(), realm=realm)
    gw = KeycloakGateway(keycloak_settings(realm))
    apply(gw, plan(gw, policy, [COLLEGE]))
    directory = UserDirectory(gw)
    db = Path(tempfile.mkdtemp()) / "bench.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "LRS_ENFORCE": True,
            "LRS_REALM": realm,
            "LRS_DATABASE_URL": f"sqlite:///{db}",
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per delivery
    server = make_server("127.0.0.1", 5000, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    enforcer = app.extensions["lrs_enforcer"].enforcer()
    samples: list[float] = []
    try:
        for i in range(args.changes):
            username = f"bea.benchmark-{chr(97 + i // 26)}{chr(97 + i % 26)}"
            gw.call(
                "POST",
                "/users",
                {
                    "username": username,
                    "firstName": "Bea",
                    "lastName": "Benchmark",
                    "enabled": True,
                    "groups": [f"/organisations/{COLLEGE.id}"],
                    "attributes": {"title": ["Ms"], "verificationProvided": ["bench"]},
                },
            )
            (user,) = gw.call("GET", "/users", params={"username": username, "exact": "true"})
            start = time.perf_counter()
            directory.add_roles(user["id"], ["LRBOnlineUser", "AwardingBodyUser"])
            deadline = start + 30
            while time.perf_counter() < deadline:
                done = enforcer.audit.events(target=username, action="enforcer_role_removed")
                if done:
                    break
                time.sleep(0.02)
            else:
                raise RuntimeError(f"no reaction to change {i} within 30 s")
            samples.append(time.perf_counter() - start)
    finally:
        server.shutdown()
        app.extensions["lrs_enforcer"].stop()
        gw.delete_realm()
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"change -> enforcer audit event, n={len(samples)}: median "
        f"{statistics.median(samples) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (goal: median <= 2 s)"
    )


if __name__ == "__main__":
    main()
