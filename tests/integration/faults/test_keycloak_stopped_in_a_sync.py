"""Keycloak stopped in the middle of `lrs-keycloak sync`: a clear failure, and a re-run
converges (`sync --check` clean). Cut both before a write reached Keycloak and after it did,
its answer lost (the hard case: the group exists, the sync never heard so)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lrs_keycloak.cli import main
from lrs_keycloak.keycloak.gateway import KeycloakGateway
from tests.support.faultproxy import FaultProxy

COLLEGES = ["fault-one-college", "fault-two-college", "fault-three-college", "fault-four-college"]


@pytest.mark.parametrize("after", [False, True], ids=["before-the-write", "answer-lost"])
def test_a_sync_cut_off_by_a_stopped_keycloak_converges_when_run_again(
    synced_gateway: KeycloakGateway,
    realm_name: str,
    keycloak_proxy: FaultProxy,
    tmp_path: Path,
    after: bool,
) -> None:
    organisations = tmp_path / "organisations.yaml"
    ids = [f"{c}-{int(after)}" for c in COLLEGES]
    organisations.write_text(
        yaml.safe_dump({"organisations": [{"id": i, "name": i, "kind": "college"} for i in ids]})
    )
    # --yes: the other case's organisations, left in the module's realm, go.
    args = ["sync", "--realm", realm_name, "--organisations", str(organisations), "--yes"]
    runner = CliRunner()
    # The second organisation's group is the write Keycloak stops at.
    fired = keycloak_proxy.fail_at(b"/children HTTP", after, skip=1)
    cut = runner.invoke(main, args)
    assert fired.is_set(), cut.output
    assert cut.exit_code != 0
    assert "Traceback" not in cut.output
    assert "cannot be reached" in cut.output, cut.output
    parent = synced_gateway.find_top_group("organisations")
    assert parent is not None
    made = {g["name"] for g in synced_gateway.list_children(parent["id"])}
    # Before the write: Keycloak never saw it. Answer lost: the group is there, unheard of.
    assert (ids[1] in made) is after
    keycloak_proxy.up()

    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    check = runner.invoke(main, [*args, "--check"])
    assert check.exit_code == 0, check.output
    # Nothing duplicated: each organisation is one group.
    names = [g["name"] for g in synced_gateway.list_children(parent["id"])]
    assert sorted(n for n in names if n in ids) == sorted(ids)
