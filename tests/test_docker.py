"""The container files: docker/compose.yaml is a valid Compose file whose services run only
commands the project has, and docker/Dockerfile installs the project as `make run` does,
on a slim base, as a user that is not root.

The commands are parsed by the project's own argument parser, so a renamed or removed
option fails here rather than in a container. ``docker compose config`` runs too when the
Compose plugin is installed; where it is not, the test says so in the run's summary.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from palimpsest.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
PALIMPSEST_SERVICES = ("migrate", "daemon", "web")
# ${NAME:-default} or ${NAME-default}: Compose puts the default in when NAME is unset.
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolate(value: str) -> str:
    """A Compose string as it reads with no variables set (each one's default, else empty)."""
    return VARIABLE.sub(lambda m: m.group(2) or "", value)


def parses(argv: list[str]) -> str | None:
    """None if ``palimpsest ARGV`` parses with the project's CLI, else argparse's complaint."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            build_parser().parse_args(argv)
    except SystemExit:
        lines = said.getvalue().strip().splitlines()
        return lines[-1] if lines else "argparse exited"
    return None


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(arguments: str) -> list[str]:
    """A CMD or ENTRYPOINT's arguments as a list (the JSON form, or the shell form split)."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        return shlex.split(arguments)
    assert isinstance(value, list), arguments
    return value


def console_scripts() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])


def test_compose_has_the_database_the_daemon_and_the_web_ui():
    services = compose()["services"]
    assert {"postgres", *PALIMPSEST_SERVICES} <= set(services)
    postgres = services["postgres"]
    assert postgres["image"].split(":")[0] == "postgres"
    assert postgres["healthcheck"]["test"], "PostgreSQL needs a healthcheck to be waited for"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_the_database_lives_in_a_named_volume():
    document = compose()
    mounts = document["services"]["postgres"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named, f"PostgreSQL's data directory is not on a volume: {mounts}"
    assert named[0] in (document.get("volumes") or {}), f"volume {named[0]} is not declared"


@pytest.mark.parametrize("name", PALIMPSEST_SERVICES)
def test_each_palimpsest_service_is_built_from_the_dockerfile(name):
    service = compose()["services"][name]
    build = service["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    database = interpolate(service["environment"]["PALIMPSEST_DB"])
    assert database.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in database  # the compose service's host name


@pytest.mark.parametrize("name", PALIMPSEST_SERVICES)
def test_each_palimpsest_service_waits_for_a_healthy_database(name):
    depends = compose()["services"][name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", ("daemon", "web"))
def test_the_daemon_and_the_web_ui_start_after_the_schema_is_made(name):
    depends = compose()["services"][name]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_every_command_is_a_palimpsest_command_that_parses():
    services = compose()["services"]
    checked = []
    for name, service in services.items():
        command = service.get("command")
        if command is None:
            continue
        if isinstance(command, str):
            argv = shlex.split(interpolate(command))
        else:
            argv = [interpolate(a) for a in command]
        assert argv[0] in console_scripts(), f"{name}: {argv[0]} is not one of our commands"
        problem = parses(argv[1:])
        assert problem is None, f"{name}: `{' '.join(argv)}`: {problem}"
        checked.append(name)
    assert set(PALIMPSEST_SERVICES) <= set(checked)


def test_the_daemon_runs_several_workers_and_the_web_ui_listens_outside_its_container():
    services = compose()["services"]
    daemon = [interpolate(a) for a in services["daemon"]["command"]]
    assert daemon[:2] == ["palimpsest", "run"]
    assert parses(daemon[1:]) is None, f"`{' '.join(daemon)}`: {parses(daemon[1:])}"
    workers = build_parser().parse_args(daemon[1:]).workers
    assert workers >= 2
    web = build_parser().parse_args([interpolate(a) for a in services["web"]["command"]][1:])
    assert web.command == "web"
    assert web.host == "0.0.0.0"
    published = [interpolate(p) for p in services["web"]["ports"]]
    assert any(p.endswith(f":{web.port}") for p in published), published


def test_the_dockerfile_is_slim_not_root_and_runs_a_console_script():
    instructions = dockerfile_instructions()
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert bases and bases[-1].startswith("python:3.11") and "slim" in bases[-1]
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    starts = [exec_form(a) for k, a in instructions if k in {"CMD", "ENTRYPOINT"}]
    assert starts, "no CMD or ENTRYPOINT"
    argv = starts[-1]
    assert argv[0] in console_scripts()
    assert parses(argv[1:]) is None
    assert build_parser().parse_args(argv[1:]).command == "run"


def test_the_dockerfile_installs_the_project_without_dev_extras():
    runs = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "RUN")
    installs = re.findall(r"pip install ([^&;]+)", runs)
    assert installs, "the image does not pip install the project"
    assert not any("[dev]" in i or "-e " in i for i in installs), installs


def test_the_dockerfile_copies_every_package_the_project_declares():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    needed = {p.split(".")[0] for p in setuptools["packages"]}
    needed |= {f"{m}.py" for m in setuptools.get("py-modules", [])}
    copied = set()
    for keyword, args in dockerfile_instructions():
        if keyword == "COPY":
            copied |= {Path(source).name for source in args.split()[:-1]}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"


def test_the_build_context_leaves_out_the_virtualenv_data_and_test_output():
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "data", "test-output"} <= ignored


def test_the_readme_commands_for_the_container_parse():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Container", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.split("palimpsest ", 1)[1].split("#")[0]
        for line in section.splitlines()
        if line.lstrip().startswith(("docker compose", "WORKERS=")) and " palimpsest " in line
    ]
    assert commands, "the README's Container section shows no palimpsest command"
    for command in commands:
        argv = shlex.split(command)
        assert parses(argv) is None, f"README: `palimpsest {command}`: {parses(argv)}"


def test_docker_compose_accepts_the_file():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("`docker compose config` not run: docker is not installed")
    version = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        said = (version.stderr or version.stdout).strip().splitlines()
        pytest.skip(
            "`docker compose config` not run: the Compose plugin is not installed "
            f"({said[0] if said else 'no answer'})"
        )
    done = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
