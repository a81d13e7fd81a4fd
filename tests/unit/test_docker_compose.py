"""docker-compose.yml, the Dockerfile and their companions, checked without a Docker engine
(there is none here or in CI): the Compose Specification's JSON schema
(tests/fixtures/compose-spec.json, see the README there), then what a schema cannot know.
Each check returns its problems, so the last tests show each one finds a broken copy.
tests/integration/test_compose_loader.py loads the file with Compose's own loader too."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import jsonschema
import pytest
import responses
import yaml
from packaging.specifiers import SpecifierSet

from lrs_keycloak.settings import KEYCLOAK_VERSION
from tests.unit import dockerfile as df

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
DOCKERFILE = df.parse((ROOT / "Dockerfile").read_text())
IGNORED = df.ignore_patterns((ROOT / ".dockerignore").read_text())
KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak"
#: `${NAME}`, `${NAME:-default}`, `${NAME:?error}`; `$$` is a literal dollar sign.
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?+])(?P<rest>[^}]*))?\}")

Compose = dict[str, Any]


def load() -> Compose:
    loaded = yaml.safe_load(COMPOSE_TEXT)
    assert isinstance(loaded, dict)
    return loaded


def resolve_defaults(value: str) -> str:
    """A value as compose gives it with nothing set in .env: each `${NAME:-default}` is its
    default."""
    return VARIABLE.sub(lambda m: m["rest"] if m["op"] in ("-", ":-") else "", value)


def built_stage(service: dict[str, Any]) -> df.Stage | None:
    build = service.get("build")
    if not isinstance(build, dict) or build.get("dockerfile", "Dockerfile") != "Dockerfile":
        return None
    target = build.get("target")
    return DOCKERFILE.stage(target) if target in DOCKERFILE.stage_names else None


# --- the checks ---------------------------------------------------------------------------------


def schema_problems(compose: Compose) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose)
    ]


def dependency_problems(compose: Compose) -> list[str]:
    """Every dependency names a service and a condition; one waited for as healthy has a
    healthcheck (its own, or its image's HEALTHCHECK); one waited for to complete is a
    one-shot."""
    services = compose["services"]
    problems = []
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        if not isinstance(depends_on, dict):
            problems.append(f"{name}: depends_on without conditions starts before it is ready")
            continue
        for target, how in depends_on.items():
            condition = how.get("condition")
            if target not in services:
                problems.append(f"{name} depends on {target}, which is not a service")
            elif condition == "service_healthy" and not has_healthcheck(services[target]):
                problems.append(f"{name} waits for {target} to be healthy: it has no healthcheck")
            elif (
                condition == "service_completed_successfully"
                and services[target].get("restart", "no") != "no"
            ):
                problems.append(f"{name} waits for {target} to complete: it restarts")
            elif condition not in ("service_healthy", "service_completed_successfully"):
                problems.append(f"{name} depends on {target} with condition {condition}")
    return problems


def has_healthcheck(service: dict[str, Any]) -> bool:
    healthcheck = service.get("healthcheck", {})
    if healthcheck.get("disable"):
        return False
    stage = built_stage(service)
    return "test" in healthcheck or bool(stage and stage.all("HEALTHCHECK"))


def keycloak_version_problems(compose: Compose) -> list[str]:
    """The Keycloak compose builds is settings.KEYCLOAK_VERSION, as the extension is built."""
    keycloak = compose["services"]["keycloak"]
    problems = []
    build_arg = keycloak.get("build", {}).get("args", {}).get("KEYCLOAK_VERSION")
    if build_arg != KEYCLOAK_VERSION:
        problems.append(f"compose builds Keycloak {build_arg}, settings say {KEYCLOAK_VERSION}")
    if not str(keycloak.get("image", "")).endswith(f":{KEYCLOAK_VERSION}"):
        problems.append(
            f"keycloak's image {keycloak.get('image')} is not tagged {KEYCLOAK_VERSION}"
        )
    if DOCKERFILE.global_args.get("KEYCLOAK_VERSION") != KEYCLOAK_VERSION:
        problems.append(f"the Dockerfile's KEYCLOAK_VERSION is not {KEYCLOAK_VERSION}")
    stage = built_stage(keycloak)
    if stage is None or stage.base != f"{KEYCLOAK_IMAGE}:${{KEYCLOAK_VERSION}}":
        problems.append(f"keycloak is not built on {KEYCLOAK_IMAGE}:${{KEYCLOAK_VERSION}}")
    pom = (ROOT / "keycloak-extension" / "pom.xml").read_text()
    if f"<keycloak.version>{KEYCLOAK_VERSION}</keycloak.version>" not in pom:
        problems.append(f"the extension is not built against Keycloak {KEYCLOAK_VERSION}")
    return problems


def hostname_problems(compose: Compose) -> list[str]:
    """Keycloak names itself (tokens' `iss`) as the app expects, at the address it publishes."""
    services = compose["services"]
    hostname = services["keycloak"].get("environment", {}).get("KC_HOSTNAME")
    if not hostname:
        return ["keycloak has no KC_HOSTNAME: its tokens' issuer follows each request's host"]
    problems = []
    for name, service in services.items():
        environment = service.get("environment", {})
        # Every service that talks to Keycloak requires the issuer Keycloak gives its tokens.
        if (
            "LRS_KEYCLOAK_URL" in environment
            and environment.get("LRS_KEYCLOAK_PUBLIC_URL") != hostname
        ):
            problems.append(f"{name}: LRS_KEYCLOAK_PUBLIC_URL is not KC_HOSTNAME ({hostname})")
    url = urlsplit(resolve_defaults(hostname))
    # Browsers reach Keycloak through the proxy in front of its nodes (docs/adr/0022).
    published = [str(p).rsplit(":", 2) for p in services["proxy"].get("ports", [])]
    if not any(p[-2:] == [str(url.port), "8080"] for p in published):
        problems.append(f"the proxy does not publish its port 8080 as {url.port} ({hostname})")
    return problems


KEYCLOAK_NODES = ("keycloak", "keycloak-2")
HAPROXY_CFG = ROOT / "docker" / "haproxy" / "haproxy.cfg"


def cluster_problems(compose: Compose, proxy_config: str) -> list[str]:
    """Two Keycloak nodes alike, clustered through the database, behind the proxy, which sends
    requests to each of them and to nothing else (docs/adr/0022)."""
    services = compose["services"]
    problems = []
    first = services[KEYCLOAK_NODES[0]]
    for name in KEYCLOAK_NODES:
        node = services.get(name)
        if node is None:
            problems.append(f"no Keycloak node {name}")
            continue
        if node.get("environment") != first.get("environment") or node.get("image") != first.get(
            "image"
        ):
            problems.append(f"{name} is not configured as {KEYCLOAK_NODES[0]} is")
        environment = node.get("environment", {})
        for key, value in (("KC_CACHE", "ispn"), ("KC_PROXY_HEADERS", "xforwarded")):
            if environment.get(key) != value:
                problems.append(f"{name}: {key} is not {value}")
        if node.get("ports"):
            problems.append(f"{name} publishes a port: only the proxy may be reached")
    servers = re.findall(r"^\s*server \S+ ([\w-]+):8080\b", proxy_config, re.MULTILINE)
    if sorted(servers) != sorted(KEYCLOAK_NODES):
        problems.append(f"the proxy's servers are {servers}, not the nodes {list(KEYCLOAK_NODES)}")
    if "X-Forwarded-Proto" not in proxy_config:
        problems.append("the proxy does not set X-Forwarded-Proto")
    return problems


def build_problems(compose: Compose) -> list[str]:
    """Each service's build names a stage of the Dockerfile and arguments it declares."""
    problems = []
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            continue
        if not (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file():
            problems.append(f"{name}: no {build.get('dockerfile')} in {build.get('context')}")
            continue
        if build.get("target") not in DOCKERFILE.stage_names:
            problems.append(f"{name}: the Dockerfile has no stage {build.get('target')}")
        for arg in build.get("args", {}):
            if arg not in DOCKERFILE.global_args:
                problems.append(f"{name}: the Dockerfile declares no ARG {arg}")
    return problems


def copy_problems(dockerfile: df.Dockerfile, ignored: list[str]) -> list[str]:
    """Every COPY reads a file of the repository that the build context keeps, or an earlier
    stage."""
    problems = []
    earlier: list[str] = []
    for stage in dockerfile.stages:
        for instruction in stage.all("COPY"):
            step = df.copy(instruction)
            if step.from_stage is not None:
                if step.from_stage not in earlier:
                    problems.append(f"COPY --from={step.from_stage}: no earlier stage of that name")
                continue
            for source in step.sources:
                if not list(ROOT.glob(source.rstrip("/"))):
                    problems.append(f"COPY {source}: no such file in the repository")
                elif df.ignored(source, ignored):
                    problems.append(f"COPY {source}: .dockerignore leaves it out of the context")
        if stage.name:
            earlier.append(stage.name)
    return problems


def command_problems(compose: Compose, main: click.Group) -> list[str]:
    """What each service runs in the app's image is a command the CLI has, with its options."""
    problems = []
    for name, service in compose["services"].items():
        stage = built_stage(service)
        entrypoint = stage and stage.all("ENTRYPOINT")
        if not stage or not entrypoint or df.words(entrypoint[-1].arguments) != ["lrs-keycloak"]:
            continue
        command = service.get("command") or df.words(stage.all("CMD")[-1].arguments)
        group: click.Command = main
        args = list(command)
        while isinstance(group, click.Group) and args:
            found = group.commands.get(args[0])
            if found is None:
                break
            group, args = found, args[1:]
        if isinstance(group, click.Group):
            problems.append(f"{name}: lrs-keycloak {' '.join(command)} is not a command")
            continue
        known = {o for p in group.params for o in (*p.opts, *p.secondary_opts)}
        problems += [
            f"{name}: no option {a} in {command}"
            for a in args
            if a.startswith("-") and a not in known
        ]
    return problems


def mount_problems(compose: Compose) -> list[str]:
    """Bind-mounted folders exist; a path a service is given inside one exists in the repo."""
    problems = []
    for name, service in compose["services"].items():
        mounts: dict[str, Path] = {}
        for volume in service.get("volumes", []):
            source, target = str(volume).split(":")[:2]
            if source.startswith("."):
                mounts[target] = ROOT / source
                if not mounts[target].exists():
                    problems.append(f"{name}: mounts {source}, which does not exist")
        given = [str(w) for w in service.get("command") or []]
        given += [str(v) for v in service.get("environment", {}).values()]
        for path in given:
            for target, folder in mounts.items():
                if (
                    path.startswith(target)
                    and not (folder / path[len(target) :].strip("/")).exists()
                ):
                    problems.append(f"{name}: {path} is not in {folder.relative_to(ROOT)}")
    return problems


def variable_problems(text: str, example: str) -> list[str]:
    """Every variable compose reads is in .env.example, and only those; a secret has no default."""
    used = {m["name"]: m for m in VARIABLE.finditer(text)}
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    problems = [f"{v} is used by compose but not in .env.example" for v in used.keys() - listed]
    problems += [
        f"{v} is in .env.example but compose does not use it" for v in listed - used.keys()
    ]
    problems += [
        f"{name} is a secret with a default: use ${{{name}:?…}}"
        for name, match in used.items()
        if re.search("PASSWORD|SECRET", name) and match["op"] != ":?"
    ]
    return problems


# --- the real files pass --------------------------------------------------------------------------


def cli_main() -> click.Group:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    module, _, attribute = pyproject["project"]["scripts"]["lrs-keycloak"].partition(":")
    main = getattr(import_module(module), attribute)
    assert isinstance(main, click.Group)
    return main


def test_compose_file_is_valid_by_the_compose_specification() -> None:
    assert schema_problems(load()) == []


def test_every_dependency_is_waited_for_until_ready() -> None:
    assert dependency_problems(load()) == []


def test_keycloak_is_the_version_settings_pin_with_the_extension_built_for_it() -> None:
    assert keycloak_version_problems(load()) == []


def test_keycloak_hostname_is_the_issuer_the_app_requires() -> None:
    assert hostname_problems(load()) == []


def test_two_keycloak_nodes_alike_form_a_cluster_behind_the_proxy() -> None:
    assert cluster_problems(load(), HAPROXY_CFG.read_text()) == []


def test_cluster_check_finds_a_node_unlike_the_other_or_missing_behind_the_proxy() -> None:
    compose = copy.deepcopy(load())
    compose["services"]["keycloak-2"] = {**compose["services"]["keycloak"], "ports": ["9:9"]}
    assert cluster_problems(compose, HAPROXY_CFG.read_text()) == [
        "keycloak-2 publishes a port: only the proxy may be reached"
    ]
    one_server = re.sub(r"^\s*server node2 .*$", "", HAPROXY_CFG.read_text(), flags=re.MULTILINE)
    assert len(cluster_problems(load(), one_server)) == 1
    compose = copy.deepcopy(load())
    compose["services"]["keycloak-2"] = copy.deepcopy(compose["services"]["keycloak"])
    compose["services"]["keycloak-2"]["environment"]["KC_CACHE"] = "local"
    assert cluster_problems(compose, HAPROXY_CFG.read_text()) == [
        "keycloak-2 is not configured as keycloak is",
        "keycloak-2: KC_CACHE is not ispn",
    ]


def test_builds_name_dockerfile_stages_and_arguments() -> None:
    assert build_problems(load()) == []


def test_every_copy_source_is_in_the_build_context() -> None:
    assert copy_problems(DOCKERFILE, IGNORED) == []


def test_the_app_image_runs_commands_the_cli_has() -> None:
    assert command_problems(load(), cli_main()) == []


def test_mounted_paths_exist() -> None:
    assert mount_problems(load()) == []


def test_env_example_lists_every_variable_and_secrets_are_required() -> None:
    assert variable_problems(COMPOSE_TEXT, (ROOT / ".env.example").read_text()) == []


def test_keycloak_build_time_options_are_those_it_was_built_with() -> None:
    # `start --optimized` refuses a build-time option whose value differs from the build's.
    built = df.env(DOCKERFILE.stage("keycloak-build"))
    given = load()["services"]["keycloak"]["environment"]
    assert {key: given.get(key) for key in built} == built


def test_the_images_are_built_from_what_the_project_builds() -> None:
    # The wheel stage copies what setup.py and MANIFEST.in put in the wheel (docs/adr/0008).
    wheel = DOCKERFILE.stage("wheel")
    copied = {s.rstrip("/") for c in wheel.all("COPY") for s in df.copy(c).sources}
    grafted = re.findall(r"^graft (\S+)", (ROOT / "MANIFEST.in").read_text(), re.MULTILINE)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"pyproject.toml", "setup.py", pyproject["project"]["readme"], *grafted} <= copied
    # Keycloak gets the jar Maven names in pom.xml.
    final_name = re.search(
        r"<finalName>(.+)</finalName>", (ROOT / "keycloak-extension/pom.xml").read_text()
    )
    assert final_name
    jars = [df.copy(c) for c in DOCKERFILE.stage("keycloak-build").all("COPY")]
    assert [(c.from_stage, c.sources) for c in jars] == [
        ("extension", [f"/build/target/{final_name[1]}.jar"])
    ]


def test_the_app_image_installs_the_lock_runs_unprivileged_and_checks_healthz() -> None:
    app = DOCKERFILE.stage("app")
    python = re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim", app.base)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert python and str(DOCKERFILE.global_args["PYTHON_VERSION"]) in SpecifierSet(
        pyproject["project"]["requires-python"]
    )
    assert any("-r /tmp/requirements.lock" in r.arguments for r in app.all("RUN"))
    user = app.all("USER")[-1].arguments.split(":")[0]
    assert user not in ("0", "root")
    assert "http://127.0.0.1:5000/healthz" in app.all("HEALTHCHECK")[-1].arguments


@responses.activate
def test_the_app_answers_its_healthcheck() -> None:
    from lrs_keycloak.web import create_app

    # /healthz asks Keycloak for the realm (tests/unit/test_health.py): here it answers.
    responses.add(responses.GET, "http://127.0.0.1:8080/realms/lrs-unit", json={})
    app = create_app({"TESTING": True, "LRS_REALM": "lrs-unit", "LRS_DATABASE_URL": "sqlite://"})
    assert app.test_client().get("/healthz").status_code == 200


def test_the_worker_runs_beside_the_app_from_the_same_image() -> None:
    services = load()["services"]
    worker = services["worker"]
    assert worker["command"] == ["worker"]
    stage = built_stage(worker)
    assert (
        stage is not None
        and stage.name == "app" == (built_stage(services["companion"]) or stage).name
    )
    # The image's HEALTHCHECK asks the app's port, which the worker does not open.
    assert worker["healthcheck"] == {"disable": True}
    assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_nothing_is_installed_at_start_and_the_checkout_is_not_mounted() -> None:
    # The old compose ran `pip install /app` on a read-only mount of the checkout: it failed.
    for name, service in load()["services"].items():
        assert "pip install" not in json.dumps(service.get("command", "")), name
        assert not any(str(v).split(":")[0] in (".", "./") for v in service.get("volumes", [])), (
            name
        )


def test_the_postgres_init_script_is_mounted_and_executable() -> None:
    # The image runs an executable *.sh; a plain one it sources into its own shell.
    script = ROOT / "docker" / "postgres" / "init-databases.sh"
    assert script.stat().st_mode & 0o111
    assert (
        "./docker/postgres:/docker-entrypoint-initdb.d:ro"
        in load()["services"]["postgres"]["volumes"]
    )


# --- each check finds a broken copy ---------------------------------------------------------------


def broken(change: Callable[[Compose], object]) -> Compose:
    compose = copy.deepcopy(load())
    change(compose)
    return compose


def drop_keycloak_healthcheck(c: Compose) -> None:
    del c["services"]["keycloak"]["healthcheck"]


@pytest.mark.parametrize(
    ("check", "change"),
    [
        (schema_problems, lambda c: c["services"]["keycloak"].update(helthcheck={})),
        (
            schema_problems,
            lambda c: c["services"]["sync"]["depends_on"]["proxy"].update(condition="up"),
        ),
        (dependency_problems, drop_keycloak_healthcheck),
        (
            dependency_problems,
            lambda c: c["services"]["companion"]["depends_on"].update(
                redis={"condition": "service_healthy"}
            ),
        ),
        (dependency_problems, lambda c: c["services"]["sync"].update(depends_on=["keycloak"])),
        (dependency_problems, lambda c: c["services"]["migrate"].update(restart="always")),
        (
            dependency_problems,
            lambda c: c["services"]["sync"].update(
                healthcheck={"disable": True},
                depends_on={"migrate": {"condition": "service_healthy"}},
            ),
        ),
        (
            keycloak_version_problems,
            lambda c: c["services"]["keycloak"]["build"]["args"].update(KEYCLOAK_VERSION="26.0.0"),
        ),
        (
            keycloak_version_problems,
            lambda c: c["services"]["keycloak"].update(image="lrs-keycloak/keycloak:latest"),
        ),
        (hostname_problems, lambda c: c["services"]["keycloak"]["environment"].pop("KC_HOSTNAME")),
        (
            hostname_problems,
            lambda c: c["services"]["companion"]["environment"].update(
                LRS_KEYCLOAK_PUBLIC_URL="http://localhost:8080"
            ),
        ),
        (
            hostname_problems,
            lambda c: c["services"]["proxy"].update(ports=["127.0.0.1:8081:8080"]),
        ),
        (build_problems, lambda c: c["services"]["keycloak"]["build"].update(target="kc")),
        (build_problems, lambda c: c["services"]["keycloak"]["build"]["args"].update(JAVA="21")),
        (
            mount_problems,
            lambda c: c["services"]["sync"]["command"].__setitem__(
                2, "/etc/lrs-keycloak/realm-config/demo/orgs.yaml"
            ),
        ),
        (
            mount_problems,
            lambda c: c["services"]["postgres"]["volumes"].append("./docker/nowhere:/x:ro"),
        ),
    ],
)
def test_each_compose_check_finds_what_it_looks_for(
    check: Callable[[Compose], list[str]], change: Callable[[Compose], object]
) -> None:
    assert check(load()) == []
    assert check(broken(change)) != []


def test_command_check_finds_an_unknown_command_or_option() -> None:
    main = cli_main()
    assert command_problems(
        broken(lambda c: c["services"]["migrate"].update(command=["db", "migrate"])), main
    )
    assert command_problems(
        broken(lambda c: c["services"]["sync"]["command"].append("--yes-please")), main
    )


def test_copy_check_finds_a_missing_or_ignored_source_and_an_unknown_stage() -> None:
    text = "FROM a AS one\nCOPY nowhere.txt ./\nCOPY docs ./docs\nCOPY --from=two /x /x\n"
    assert copy_problems(df.parse(text), IGNORED) == [
        "COPY nowhere.txt: no such file in the repository",
        "COPY docs: .dockerignore leaves it out of the context",
        "COPY --from=two: no earlier stage of that name",
    ]


def test_variable_check_finds_unlisted_unused_and_defaulted_secrets() -> None:
    text = "a: ${LRS_X:-1}\nb: ${LRS_SECRET_KEY:-dev}\nc: $${NOT_A_VARIABLE}\n"
    assert variable_problems(text, "LRS_SECRET_KEY=\nLRS_UNUSED=\n") == [
        "LRS_X is used by compose but not in .env.example",
        "LRS_UNUSED is in .env.example but compose does not use it",
        "LRS_SECRET_KEY is a secret with a default: use ${LRS_SECRET_KEY:?…}",
    ]
