"""Run the pinned Keycloak on this machine without Docker.

The distribution comes from Maven Central through `mvn` (the only way out of these machines),
is unpacked into the ignored cache folder and started in dev mode on 127.0.0.1. The pid and the
log live beside it, so `stop` only ever stops the server this module started.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from lrs_keycloak import local_processes, progress
from lrs_keycloak.settings import (
    KEYCLOAK_VERSION,
    LOCAL_MANAGEMENT_URL,
    PROJECT_ROOT,
    cache_dir,
    load_settings,
    webhook_secret,
)
from lrs_keycloak.settings_keycloak import LOCAL_KEYCLOAK_URL

SUPPORTED_JAVA = (17, 21, 25)
EXTENSION_DIR = PROJECT_ROOT / "keycloak-extension"
#: Where the wheel keeps the extension's source (pom.xml and src/main, copied in by setup.py):
#: once installed, Keycloak is never started without the provider that holds the guide's rules.
PACKAGED_EXTENSION = ("defaults", "keycloak-extension")
EXTENSION_JAR_NAME = "lrs-keycloak-extension.jar"
#: Where the local Keycloak keeps its data: Keycloak's own dev-file database (H2, under the
#: distribution's data/ folder), or Debian's PostgreSQL started by scripts/postgres, which is the
#: database docker-compose.yml and production use (and what speed should be measured on).
DATABASES = ("dev-file", "postgres")
POSTGRES_DATABASE_NAME = "lrs_keycloak"


class LauncherError(RuntimeError):
    """Something the operator must fix before Keycloak can run here; the message says what."""


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def home(self) -> Path:
        return self.root / f"keycloak-{KEYCLOAK_VERSION}"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def pid_file(self) -> Path:
        return self.run / "keycloak.pid"

    @property
    def log_file(self) -> Path:
        return self.run / "keycloak.log"

    @property
    def database_file(self) -> Path:
        return self.run / "keycloak.database"


def paths() -> Paths:
    return Paths(cache_dir())


# --- Java -----------------------------------------------------------------------------------


def _java_major(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    match = re.search(r'version "(\d+)', out.stderr + out.stdout)
    return int(match.group(1)) if match else None


def find_java(jvm: Path = Path("/usr/lib/jvm")) -> Path:
    """A JDK the pinned Keycloak supports: JAVA_HOME, then PATH, then `jvm` (/usr/lib/jvm)."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    if jvm.is_dir():
        candidates.extend(sorted(jvm.glob("*/bin/java")))
    seen: list[str] = []
    for java in candidates:
        major = _java_major(java) if java.exists() else None
        seen.append(f"{java} ({major or 'unusable'})")
        if major in SUPPORTED_JAVA:
            return java.resolve()
    wanted = ", ".join(str(v) for v in SUPPORTED_JAVA)
    raise LauncherError(
        f"Keycloak {KEYCLOAK_VERSION} needs Java {wanted}; none found. Looked at: "
        + ("; ".join(seen) or "nothing (no JAVA_HOME, no java on PATH, no /usr/lib/jvm)")
        + ". Install one, e.g. `apt-get install openjdk-17-jdk-headless`, or set JAVA_HOME."
    )


# --- Distribution and extension --------------------------------------------------------------


def ensure_distribution(p: Paths) -> Path:
    """Fetch the pinned dist zip with mvn (once) and unpack it into the cache folder."""
    if (p.home / "bin" / "kc.sh").exists():
        return p.home
    if shutil.which("mvn") is None:
        raise LauncherError("`mvn` is needed to fetch Keycloak from Maven Central; install maven.")
    p.root.mkdir(parents=True, exist_ok=True)
    artifact = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
    # mvn tells nothing of its download's size: a spinner, not a bar.
    with progress.waiting(f"Fetching {artifact} from Maven Central…"):
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={p.root}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    zip_path = p.root / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    if result.returncode != 0 or not zip_path.exists():
        raise LauncherError(f"mvn could not fetch {artifact}:\n{result.stdout}{result.stderr}")
    unpack(zip_path, p.root)
    for script in (p.home / "bin").glob("*.sh"):
        script.chmod(0o755)
    zip_path.unlink()
    return p.home


def unpack(zip_path: Path, into: Path) -> None:
    """Unpack the distribution, a bar of its files on a terminal (thousands of them)."""
    with zipfile.ZipFile(zip_path) as archive:
        members = archive.infolist()
        with progress.steps(f"Unpacking {zip_path.name}", len(members)) as advance:
            for member in members:
                archive.extract(member, into)
                advance()


def _newest_source_mtime(root: Path) -> float:
    files = [f for f in (root / "src" / "main").rglob("*") if f.is_file()]
    files.append(root / "pom.xml")
    return max(f.stat().st_mtime for f in files)


def extension_source() -> Path:
    """The extension's Maven project: the checkout's keycloak-extension/, else a copy of the
    source shipped in the package, made under the cache (a build never writes into
    site-packages)."""
    if (EXTENSION_DIR / "pom.xml").exists():
        return EXTENSION_DIR
    packaged = Path(str(resources.files("lrs_keycloak").joinpath(*PACKAGED_EXTENSION)))
    if not (packaged / "pom.xml").exists():
        raise LauncherError(
            "The Keycloak extension's source is missing: looked in "
            f"{EXTENSION_DIR} and {packaged}. Reinstall lrs-keycloak from its wheel, or run "
            "from a checkout; Keycloak is not started without the extension."
        )
    copy = cache_dir() / "keycloak-extension"
    if not (copy / "pom.xml").exists() or _newest_source_mtime(packaged) > _newest_source_mtime(
        copy
    ):
        shutil.rmtree(copy / "src", ignore_errors=True)
        shutil.copytree(packaged, copy, dirs_exist_ok=True)
    return copy


def build_extension() -> Path:
    """Build the Java provider when its sources changed."""
    source = extension_source()
    jar = source / "target" / EXTENSION_JAR_NAME
    if jar.exists() and jar.stat().st_mtime >= _newest_source_mtime(source):
        return jar
    with progress.waiting("Building keycloak-extension…"):
        result = subprocess.run(
            ["mvn", "-q", "-B", "-DskipTests", "package"],
            cwd=source,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0 or not jar.exists():
        raise LauncherError(f"Building keycloak-extension failed:\n{result.stdout}{result.stderr}")
    return jar


def deploy_extension(home: Path, jar: Path) -> None:
    target = home / "providers" / EXTENSION_JAR_NAME
    if not target.exists() or target.read_bytes() != jar.read_bytes():
        shutil.copyfile(jar, target)


# --- Process ---------------------------------------------------------------------------------


def _recorded_pid(p: Paths) -> int | None:
    return local_processes.alive(p.pid_file)


def is_ready(timeout: float = 2.0) -> bool:
    try:
        response = requests.get(f"{LOCAL_MANAGEMENT_URL}/health/ready", timeout=timeout)
    except requests.RequestException:
        return False
    return response.status_code == 200 and response.json().get("status") == "UP"


def database_options(database: str, postgres_url: str | None = None) -> list[str]:
    """kc.sh options for `database`; `postgres_url` is what scripts/postgres printed."""
    if database == "dev-file":
        return []
    if database != "postgres":
        raise LauncherError(f"Unknown database {database!r}: choose one of {', '.join(DATABASES)}.")
    if postgres_url is None:
        postgres_url = postgres_url_for()
    url = urlsplit(postgres_url)
    if not (url.scheme.startswith("postgresql") and url.hostname and url.path.strip("/")):
        raise LauncherError(f"scripts/postgres gave no database URL, but: {postgres_url!r}")
    return [
        "--db=postgres",
        f"--db-url=jdbc:postgresql://{url.hostname}:{url.port or 5432}/{url.path.strip('/')}",
        f"--db-username={unquote(url.username or '')}",
        f"--db-password={unquote(url.password or '')}",
    ]


def _recorded_database(p: Paths) -> str:
    try:
        return p.database_file.read_text().strip() or "dev-file"
    except OSError:
        return "dev-file"  # started before the choice existed


def postgres_url_for(name: str = POSTGRES_DATABASE_NAME) -> str:
    """The URL of database `name` on Debian's PostgreSQL, started and created if need be."""
    script = PROJECT_ROOT / "scripts" / "postgres"
    done = subprocess.run([str(script), name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LauncherError(f"No PostgreSQL for Keycloak: {script} said {done.stderr.strip()!r}")
    return done.stdout.strip()


def start(wait_seconds: float = 240.0, database: str = "dev-file") -> str:
    """Start the local Keycloak (idempotent) and return a line saying what happened."""
    p = paths()
    pid = _recorded_pid(p)
    if pid is not None:
        running_on = _recorded_database(p)
        if running_on != database:
            raise LauncherError(
                f"Keycloak (pid {pid}) is already running on the {running_on} database; "
                f"stop it first (lrs-keycloak keycloak stop) to start it on {database}."
            )
        if not wait_until_ready(pid, wait_seconds):
            raise LauncherError(f"Keycloak (pid {pid}) is running but not ready; see {p.log_file}")
        return (
            f"Keycloak already running (pid {pid}) at {LOCAL_KEYCLOAK_URL} on the {database} "
            f"database; log: {p.log_file}"
        )
    if is_ready():
        return (
            f"A Keycloak not started by lrs-keycloak already answers at {LOCAL_KEYCLOAK_URL}; "
            "using it as it is (the extension may be missing there)."
        )
    db_options = database_options(database)
    java = find_java()
    home = ensure_distribution(p)
    deploy_extension(home, build_extension())
    p.run.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["JAVA_HOME"] = str(java.parent.parent)
    env.setdefault("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
    env.setdefault("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin")
    # The event listener posts to the companion app; options are read by the extension's factory.
    env.setdefault(
        "KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__URL",
        load_settings().webhook_url,
    )
    env.setdefault("KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__SECRET", webhook_secret())
    command = [
        str(home / "bin" / "kc.sh"),
        "start-dev",
        "--http-host=127.0.0.1",
        "--http-port=8080",
        "--http-management-port=9000",
        "--health-enabled=true",
        "--metrics-enabled=false",
        *db_options,
    ]
    pid = local_processes.spawn(command, p.pid_file, p.log_file, cwd=home, env=env)
    p.database_file.write_text(database)
    if not wait_until_ready(pid, wait_seconds):
        tail = log_tail(p.log_file)
        stop()
        raise LauncherError(f"Keycloak did not become ready; log {p.log_file} ends:\n{tail}")
    return (
        f"Keycloak {KEYCLOAK_VERSION} started (pid {pid}) at {LOCAL_KEYCLOAK_URL} "
        f"on the {database} database; log: {p.log_file}"
    )


def wait_until_ready(pid: int, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if is_ready():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(1.0)
    return False


def stop(wait_seconds: float = 60.0) -> str:
    pid = local_processes.stop_pid(paths().pid_file, wait_seconds)
    if pid is None:
        return "No Keycloak started by lrs-keycloak is running."
    return f"Keycloak (pid {pid}) stopped."


def status() -> tuple[bool, str]:
    p = paths()
    pid = _recorded_pid(p)
    ready = is_ready()
    if pid is None and not ready:
        return False, "Keycloak is not running."
    owner = (
        f"pid {pid}, {_recorded_database(p)} database"
        if pid is not None
        else "not started by lrs-keycloak"
    )
    state = "ready" if ready else "not ready"
    return ready, f"Keycloak at {LOCAL_KEYCLOAK_URL} is {state} ({owner}); log: {p.log_file}"


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
