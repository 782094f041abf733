"""deploy/docker/Dockerfile, read with Docker's own parser: one target per service, pinned
bases, non-root, exec-form entry points, health checks, and nothing secret baked in."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import tomllib

import pytest

from tests.deploy.image_recipe import DOCKERFILE, env_of, parse, shell_words, stage_chain, user_of
from tests.deploy.rendered_manifests import GRPC_SERVICES, REPO, SERVICES

ARGS, STAGES = parse()
TARGETS = {stage.name: stage for stage in STAGES}
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|API_KEY", re.IGNORECASE)


def _resolve(word: str) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: ARGS[m.group(1)], word)


def test_bases_are_pinned_to_exact_versions_and_digests() -> None:
    bases = {_resolve(s.base) for s in STAGES if s.base not in TARGETS}
    assert bases, "no external base image"
    for base in bases:
        reference, _, digest = base.partition("@")
        tag = reference.partition(":")[2]
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[a-z]+)*", tag), f"{base} is not pinned"
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{base} has no digest"
    python = next(b for b in bases if b.startswith("python:"))
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", python)


def _base_check(python_image: str, go_image: str, allow: str) -> int:
    """Run the build stage's refusal of unpinned bases with these build arguments."""
    (check,) = [c for c in TARGETS["build"].all("RUN") if "unpinned" in " ".join(c.value)]
    script = " ".join(check.value)
    env = {"PYTHON_IMAGE": python_image, "GO_IMAGE": go_image, "ALLOW_UNPINNED_BASE": allow}
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, check=False)
    return result.returncode


def test_a_build_with_an_unpinned_base_is_refused() -> None:
    pinned = {name: ARGS[name] for name in ("PYTHON_IMAGE", "GO_IMAGE")}
    assert ARGS["ALLOW_UNPINNED_BASE"] == "no"
    assert _base_check(pinned["PYTHON_IMAGE"], pinned["GO_IMAGE"], "no") == 0
    bare = pinned["PYTHON_IMAGE"].partition("@")[0]
    assert _base_check(bare, pinned["GO_IMAGE"], "no") != 0
    assert _base_check(pinned["PYTHON_IMAGE"], "golang:1.26.8@sha256:abc", "no") != 0
    assert _base_check(bare, pinned["GO_IMAGE"], "yes") == 0


def test_it_is_multi_stage_and_ships_no_build_tools() -> None:
    runtime_chain = [s.name for s in stage_chain(STAGES, "preprocess")]
    assert runtime_chain == ["runtime", "preprocess"]
    runtime = TARGETS["runtime"]
    copied_from = {
        flag for c in runtime.all("COPY") for flag in c.flags if flag.startswith("--from=")
    }
    assert copied_from == {"--from=build", "--from=health-probe"}
    assert not runtime.all("RUN") or all("pip" not in " ".join(c.value) for c in runtime.all("RUN"))


def test_stub_generation_uses_the_pinned_grpcio_tools() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    pinned = next(d.split("==")[1] for d in dev if d.startswith("grpcio-tools=="))
    build_args = [v for c in TARGETS["build"].all("ARG") for v in c.value]
    assert f"GRPCIO_TOOLS_VERSION={pinned}" in build_args
    (install,) = [
        c for c in TARGETS["build"].all("RUN") if "grpc_tools.protoc" in " ".join(c.value)
    ]
    assert "--grpc_python_out" in " ".join(install.value)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_non_root_exec_form_target(service: str) -> None:
    assert service in TARGETS, f"no `FROM runtime AS {service}` stage"
    stage = TARGETS[service]
    entrypoint = stage.last("ENTRYPOINT")
    assert entrypoint is not None and entrypoint.json, "ENTRYPOINT must be exec form"
    assert list(entrypoint.value) == ["factoryfinder", "serve", service]
    assert stage.last("CMD") is None
    user = user_of(STAGES, service)
    assert user is not None and re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), "numeric non-root USER"


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_grpc_targets_probe_their_own_port(service: str) -> None:
    healthcheck = TARGETS[service].last("HEALTHCHECK")
    assert healthcheck is not None and healthcheck.json
    words = list(healthcheck.value)
    assert words[:2] == ["CMD", "grpc-health-probe"]
    env = env_of(STAGES, service)
    prefix = f"FF_{service.upper()}"
    assert env[f"{prefix}_HOST"] == "0.0.0.0"
    assert f"-addr=127.0.0.1:{env[f'{prefix}_PORT']}" in words
    assert f"{env[f'{prefix}_PORT']}" in TARGETS[service].last("EXPOSE").value  # type: ignore[union-attr]


def test_the_sandbox_target_checks_http() -> None:
    healthcheck = TARGETS["sandbox"].last("HEALTHCHECK")
    assert healthcheck is not None and healthcheck.json
    port = env_of(STAGES, "sandbox")["FF_SANDBOX_PORT"]
    assert f"127.0.0.1:{port}/" in " ".join(healthcheck.value)


def test_no_secret_is_baked_in() -> None:
    for stage in STAGES:
        for command in stage.all("ENV") + stage.all("ARG"):
            names = [w.split("=")[0] for w in command.value][:: 2 if command.cmd == "ENV" else 1]
            assert not [n for n in names if SECRET_WORDS.search(n)], command.original


def _ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics: the last matching pattern wins, ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.lstrip("!").rstrip("/")
        if bare == "**" or fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
            ignored = not negated
    return ignored


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    ignore_file = DOCKERFILE.with_name("Dockerfile.dockerignore")
    patterns = [
        line.strip()
        for line in ignore_file.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        word
        for stage in STAGES
        for command in stage.all("COPY")
        if not any(f.startswith("--from=") for f in command.flags)
        for word in shell_words(command)[:-1]
    ]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source, patterns), f"COPY {source}: excluded by {ignore_file.name}"
    for private in (".venv", ".git", "protos/gen", ".tools", "deploy/secrets"):
        assert _ignored(private, patterns), f"{private} would be sent to the builder"
