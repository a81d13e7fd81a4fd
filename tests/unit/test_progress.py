"""Progress for long operations: on stderr, drawn only on a terminal (issue 10, item 6)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lrs_keycloak import local_keycloak, progress


def test_off_a_terminal_a_bar_draws_nothing_and_a_wait_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with progress.steps("Applying", 2) as advance:
        advance()
        advance()
    with progress.waiting("Fetching the distribution…"):
        pass
    assert capsys.readouterr() == ("", "Fetching the distribution…\n")


def test_on_a_terminal_the_bar_goes_to_stderr_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "shown", lambda: True)
    advanced = 0
    with progress.steps("Applying", 2) as advance:
        for _ in range(2):
            advance()
            advanced += 1
    out, _ = capsys.readouterr()
    assert (out, advanced) == ("", 2)


def test_the_distribution_is_unpacked_whole_and_quietly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "dist.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("keycloak-0/bin/kc.sh", "#!/bin/sh\n")
        zipped.writestr("keycloak-0/lib/a.jar", "jar")
    local_keycloak.unpack(archive, tmp_path / "out")
    assert (tmp_path / "out" / "keycloak-0" / "bin" / "kc.sh").read_text() == "#!/bin/sh\n"
    assert (tmp_path / "out" / "keycloak-0" / "lib" / "a.jar").read_text() == "jar"
    assert capsys.readouterr() == ("", "")
