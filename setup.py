"""Build step only (metadata lives in pyproject.toml): put realm-config/ and the Keycloak
extension's source into the wheel.

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

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "realm-config"
TARGET = ("lrs_keycloak", "defaults", "realm-config")
#: The extension's Maven project, without its build output: `lrs-keycloak keycloak start`
#: builds it (in the cache) once installed (local_keycloak.extension_source).
EXTENSION = ROOT / "keycloak-extension"
EXTENSION_TARGET = ("lrs_keycloak", "defaults", "keycloak-extension")


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
        extension = Path(self.build_lib).joinpath(*EXTENSION_TARGET)
        shutil.rmtree(extension, ignore_errors=True)
        shutil.copytree(EXTENSION / "src" / "main", extension / "src" / "main")
        shutil.copy2(EXTENSION / "pom.xml", extension / "pom.xml")


setup(cmdclass={"build_py": BuildPyWithDefaultPolicy})
