"""Build step only (metadata lives in pyproject.toml): put realm-config/ into the wheel.

realm-config/ stays at the top of the checkout, where it is edited and reviewed; package data
cannot reach outside the package, so building copies it to lrs_keycloak/defaults/realm-config/
inside the built package, where ``settings.packaged_config_dir`` finds it once installed
(docs/adr/0008).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "realm-config"
TARGET = ("lrs_keycloak", "defaults", "realm-config")


class BuildPyWithDefaultPolicy(build_py):
    """``build_py`` that also copies the default policy into the built package."""

    def run(self) -> None:
        super().run()
        # An editable install reads the checkout's realm-config/ itself (settings.config_dir).
        if getattr(self, "editable_mode", False):
            return
        if not (SOURCE / "realm.yaml").is_file():
            raise FileNotFoundError(f"the default policy is missing: no {SOURCE / 'realm.yaml'}")
        target = Path(self.build_lib).joinpath(*TARGET)
        shutil.rmtree(target, ignore_errors=True)  # a file removed from realm-config/ goes too
        shutil.copytree(SOURCE, target)


setup(cmdclass={"build_py": BuildPyWithDefaultPolicy})
