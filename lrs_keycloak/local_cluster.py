"""Keycloak in its production shape on this machine: `kc.sh build`, then N nodes started with
`start --optimized` on PostgreSQL, clustered, behind one reverse proxy (docs/adr/0022).

Nothing here touches the development server of `local_keycloak` (start-dev on 8080): the
production build lives in its own copy of the distribution (`keycloak-<version>-prod`), so its
`kc.sh build` and start-dev's re-augmentation never undo each other; each node runs from its own
copy of that build (its own data/ folder: transaction logs, temporary files), with its own pid
and log under `run/cluster/`. The nodes find each other through the shared database (Keycloak's
default `jdbc-ping` stack: no multicast), and Debian's haproxy gives clients one address.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests

from lrs_keycloak import local_keycloak, local_processes, progress
from lrs_keycloak.local_keycloak import LauncherError
from lrs_keycloak.settings import KEYCLOAK_VERSION, cache_dir, load_settings, webhook_secret

#: The cluster's own database on Debian's PostgreSQL (scripts/postgres), apart from the one a
#: start-dev server on PostgreSQL uses: two Keycloaks never share a schema unless clustered.
DATABASE_NAME = "lrs_cluster"
#: Loopback ports: node i (from 0) answers HTTP on 8380+i, health on 9380+i, and talks to the
#: other nodes (JGroups) on 7800+i. Clients use the proxy's one address.
HTTP_PORT = 8380
MANAGEMENT_PORT = 9380
CLUSTER_PORT = 7800
PROXY_PORT = 8390
PUBLIC_URL = f"http://127.0.0.1:{PROXY_PORT}"
MAX_NODES = 9
#: Database connections per node (Keycloak's default is 100): nodes x this, plus the app's
#: processes' pools, must stay under PostgreSQL's max_connections.
DB_POOL_MAX = 30
#: Build-time options fixed into the server by `kc.sh build` (Keycloak's "Configuring Keycloak
#: for production" and "Configuring distributed caches"): PostgreSQL, the health endpoints the
#: proxy checks, the clustered Infinispan cache discovering its members through the database.
BUILD_OPTIONS = (
    "--db=postgres",
    "--health-enabled=true",
    "--metrics-enabled=false",
    "--cache=ispn",
    "--cache-stack=jdbc-ping",
)
#: The cookie the proxy sets to keep a browser on one node (sticky sessions). Keycloak does not
#: need it (its authentication sessions are replicated), but it saves a remote cache lookup per
#: page, and a client that sends it chooses its node (the tests do).
NODE_COOKIE = "LRS_NODE"


@dataclass(frozen=True)
class Node:
    index: int  # from 0

    @property
    def name(self) -> str:
        return f"node{self.index + 1}"

    @property
    def http_port(self) -> int:
        return HTTP_PORT + self.index

    @property
    def management_port(self) -> int:
        return MANAGEMENT_PORT + self.index

    @property
    def cluster_port(self) -> int:
        return CLUSTER_PORT + self.index

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def folder(self) -> Path:
        return run_dir() / self.name

    @property
    def home(self) -> Path:
        return self.folder / f"keycloak-{KEYCLOAK_VERSION}"

    @property
    def pid_file(self) -> Path:
        return self.folder / "keycloak.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "keycloak.log"


def nodes(count: int) -> list[Node]:
    return [Node(i) for i in range(count)]


def run_dir() -> Path:
    return cache_dir() / "run" / "cluster"


def prod_home() -> Path:
    return cache_dir() / f"keycloak-{KEYCLOAK_VERSION}-prod"


def _nodes_file() -> Path:
    return run_dir() / "nodes"


def _proxy_pid_file() -> Path:
    return run_dir() / "haproxy.pid"


def _proxy_config() -> Path:
    return run_dir() / "haproxy.cfg"


def _proxy_log() -> Path:
    return run_dir() / "haproxy.log"


# --- Build -----------------------------------------------------------------------------------


def _java_env() -> dict[str, str]:
    env = dict(os.environ)
    env["JAVA_HOME"] = str(local_keycloak.find_java().parent.parent)
    return env


def build() -> tuple[Path, float | None]:
    """The production build (`kc.sh build`), redone only when the options or the extension
    changed; the seconds it took, or None when the last one still holds."""
    home = prod_home()
    if not (home / "bin" / "kc.sh").exists():
        # A copy of the distribution start-dev uses (fetched once, through mvn), without its
        # data: start-dev's H2 files are no business of the production server.
        dev_home = local_keycloak.ensure_distribution(local_keycloak.paths())
        shutil.copytree(dev_home, home, ignore=shutil.ignore_patterns("data"), symlinks=True)
    jar = local_keycloak.build_extension()
    local_keycloak.deploy_extension(home, jar)
    stamp = home / "lrs-build.stamp"
    wanted = " ".join(BUILD_OPTIONS) + " " + hashlib.sha256(jar.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return home, None
    began = time.monotonic()
    with progress.waiting("Building Keycloak for production (kc.sh build)…"):
        done = subprocess.run(
            [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            cwd=home,
            env=_java_env(),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise LauncherError(f"kc.sh build failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    stamp.write_text(wanted)
    return home, time.monotonic() - began


# --- Nodes -----------------------------------------------------------------------------------


def node_is_ready(node: Node, timeout: float = 2.0) -> bool:
    try:
        answer = requests.get(
            f"http://127.0.0.1:{node.management_port}/health/ready", timeout=timeout
        )
    except requests.RequestException:
        return False
    return answer.status_code == 200


def node_command(node: Node, home: Path, db_options: list[str]) -> list[str]:
    """`start --optimized` behind a reverse proxy, as Keycloak's "Using a reverse proxy" guide
    prescribes: a fixed public hostname (the proxy), X-Forwarded-* accepted from loopback only,
    plain HTTP on loopback (the proxy is where TLS would end); back-channel URLs follow the
    request, so the app and the CLI may call a node directly."""
    return [
        str(home / "bin" / "kc.sh"),
        "start",
        "--optimized",
        "--http-enabled=true",
        "--http-host=127.0.0.1",
        f"--http-port={node.http_port}",
        f"--http-management-port={node.management_port}",
        f"--hostname={PUBLIC_URL}",
        "--hostname-backchannel-dynamic=true",
        "--proxy-headers=xforwarded",
        "--proxy-trusted-addresses=127.0.0.1",
        "--cache-embedded-network-bind-address=127.0.0.1",
        f"--cache-embedded-network-bind-port={node.cluster_port}",
        # Every node's pool must fit in PostgreSQL's max_connections (100 by default) beside
        # the app's: at Keycloak's default of 100 a node, two loaded nodes ran it out
        # ("remaining connection slots are reserved", a 500) in bench/load.py.
        f"--db-pool-max-size={DB_POOL_MAX}",
        *db_options,
    ]


def launch_node(node: Node, built: Path, db_options: list[str]) -> None:
    """Start one node (unless it runs) from a fresh copy of the build; returns at once."""
    if local_processes.alive(node.pid_file) is not None:
        return
    node.folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(node.home, ignore_errors=True)
    shutil.copytree(built, node.home, ignore=shutil.ignore_patterns("data"), symlinks=True)
    env = _java_env()
    env.setdefault("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
    env.setdefault("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin")
    # The same webhook as start-dev: the extension's event listener posts to the companion app.
    env.setdefault("KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__URL", load_settings().webhook_url)
    env.setdefault("KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__SECRET", webhook_secret())
    local_processes.spawn(
        node_command(node, node.home, db_options),
        node.pid_file,
        node.log_file,
        cwd=node.home,
        env=env,
    )


def await_node(node: Node, wait_seconds: float) -> None:
    """Return once `node` is ready; stop it and say why when it does not become so."""
    if not _wait(node, wait_seconds):
        tail = local_keycloak.log_tail(node.log_file)
        stop_node(node)
        raise LauncherError(f"{node.name} did not become ready; {node.log_file} ends:\n{tail}")


def _wait(node: Node, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if node_is_ready(node):
            return True
        if local_processes.alive(node.pid_file) is None:
            return False
        time.sleep(1.0)
    return False


def stop_node(node: Node, wait_seconds: float = 60.0) -> bool:
    """Stop one node (its other nodes and the proxy carry on); False if it was not running."""
    return local_processes.stop_pid(node.pid_file, wait_seconds) is not None


# --- Proxy -----------------------------------------------------------------------------------


def proxy_config(members: list[Node]) -> str:
    """haproxy in front of the nodes: round robin, each node checked on its management port's
    /health/ready, a request that cannot reach its node retried on another, X-Forwarded-*
    set for Keycloak (which trusts them from loopback only)."""
    servers = "\n".join(
        f"  server {n.name} 127.0.0.1:{n.http_port} check port {n.management_port}"
        f" inter 2s fall 2 rise 2 cookie {n.name}"
        for n in members
    )
    return f"""# Written by lrs-keycloak cluster start; rewritten at every start.
global
  maxconn 2000

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 120s
  retries 3
  option redispatch
  option forwardfor

frontend keycloak
  bind 127.0.0.1:{PROXY_PORT}
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Port {PROXY_PORT}
  default_backend nodes

backend nodes
  balance roundrobin
  cookie {NODE_COOKIE} insert indirect nocache httponly
  option httpchk
  http-check send meth GET uri /health/ready
  http-check expect status 200
{servers}
"""


def start_proxy(members: list[Node]) -> None:
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if haproxy is None:
        raise LauncherError(
            "The cluster's reverse proxy is Debian's haproxy, which is not installed: "
            "run `./scripts/setup --cluster` (or `apt-get install haproxy`)."
        )
    local_processes.stop_pid(
        _proxy_pid_file(), 10.0
    )  # its configuration names the nodes: always rewritten
    _proxy_config().write_text(proxy_config(members))
    # -db: in the foreground, as our child (its pid is the one recorded).
    local_processes.spawn(
        [haproxy, "-db", "-f", str(_proxy_config())], _proxy_pid_file(), _proxy_log()
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if local_processes.alive(_proxy_pid_file()) is None:
            raise LauncherError(f"haproxy exited: {local_keycloak.log_tail(_proxy_log())}")
        try:
            if requests.get(f"{PUBLIC_URL}/realms/master", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise LauncherError(f"haproxy does not answer on {PUBLIC_URL}; see {_proxy_log()}")


# --- The whole ---------------------------------------------------------------------------------


def start(count: int = 2, wait_seconds: float = 300.0) -> str:
    """Build if needed, start `count` nodes (on an empty database the first alone, as it makes
    the schema; then the others, which join its cluster) and the proxy; a line per step."""
    if not 1 <= count <= MAX_NODES:
        raise LauncherError(f"--nodes must be between 1 and {MAX_NODES} (got {count}).")
    running = _recorded_count()
    if running and running != count:
        raise LauncherError(
            f"A cluster of {running} node(s) is running; stop it first "
            f"(lrs-keycloak cluster stop) to start {count}."
        )
    database_url = local_keycloak.postgres_url_for(DATABASE_NAME)
    # The connection only: `--db` itself is fixed by the build.
    db_options = [
        option
        for option in local_keycloak.database_options("postgres", database_url)
        if not option.startswith("--db=")
    ]
    home, build_seconds = build()
    lines = [
        f"kc.sh build done in {build_seconds:.0f}s"
        if build_seconds is not None
        else "kc.sh build: up to date"
    ]
    run_dir().mkdir(parents=True, exist_ok=True)
    _nodes_file().write_text(str(count))
    members = nodes(count)
    # All at once on an existing schema: the cluster's forming is ordered through the database
    # (jdbc-ping), and on 2 cores one JVM starting alone leaves a core idle much of the time. On
    # an empty database the first node makes the schema alone: nodes starting together on it
    # raced to create Liquibase's changelog table (docs/adr/0022).
    first_alone = not keycloak_schema_exists(database_url)
    began = time.monotonic()
    try:
        for node in members:
            launch_node(node, home, db_options)
            if first_alone and node == members[0]:
                await_node(node, wait_seconds)
        for node in members:
            await_node(node, wait_seconds)
            lines.append(
                f"{node.name} ready at {node.url} (health :{node.management_port}) after"
                f" {time.monotonic() - began:.0f}s; log: {node.log_file}"
            )
        start_proxy(members)
    except LauncherError:
        stop()  # nothing half-started is left behind: the message says what failed
        raise
    lines.append(f"Cluster of {count} behind haproxy at {PUBLIC_URL} (Keycloak {KEYCLOAK_VERSION})")
    return "\n".join(lines)


def keycloak_schema_exists(database_url: str) -> bool:
    """Whether a Keycloak made its schema in the database (its migration table exists)."""
    plain = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(plain, connect_timeout=10) as connection:
            found = connection.execute("SELECT to_regclass('public.migration_model')").fetchone()
    except psycopg.Error as error:
        raise LauncherError(f"The cluster's database cannot be read: {error}") from None
    return found is not None and found[0] is not None


def _recorded_count() -> int:
    try:
        return int(_nodes_file().read_text().strip())
    except (OSError, ValueError):
        return 0


def stop() -> str:
    count = _recorded_count() or MAX_NODES
    stopped = [n.name for n in nodes(count) if stop_node(n)]
    proxy = local_processes.stop_pid(_proxy_pid_file(), 10.0)
    _nodes_file().unlink(missing_ok=True)
    if not stopped and proxy is None:
        return "No cluster started by lrs-keycloak is running."
    return f"Stopped: {', '.join(stopped) or 'no node'}" + (", haproxy" if proxy else "")


def status() -> tuple[bool, str]:
    """(every node and the proxy are up, a line per member)."""
    count = _recorded_count()
    if not count:
        return False, "No cluster started by lrs-keycloak is running."
    lines: list[str] = []
    healthy = True
    for node in nodes(count):
        pid = local_processes.alive(node.pid_file)
        ready = pid is not None and node_is_ready(node)
        healthy = healthy and ready
        state = "ready" if ready else ("not ready" if pid else "stopped")
        lines.append(f"{node.name} {node.url}: {state} (pid {pid}); log: {node.log_file}")
    proxy = local_processes.alive(_proxy_pid_file())
    healthy = healthy and proxy is not None
    lines.append(f"haproxy {PUBLIC_URL}: {'running' if proxy else 'stopped'} (pid {proxy})")
    return healthy, "\n".join(lines)
