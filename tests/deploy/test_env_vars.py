"""Every environment variable the deployment files give a service is one its settings class
reads (``shared.config.env_names``; ``NAME_FILE`` for a secret read from a file), the values
load (so nothing required is missing and every value parses), secrets come from Secret
references or mounted files, and every address points at a Service that exists."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from shared import tracing
from tests.deploy.container_env import ContainerEnv, compose_env, kubernetes_env
from tests.deploy.image_recipe import env_of, parse
from tests.deploy.rendered_manifests import (
    DEPLOY,
    OVERLAYS,
    SERVICES,
    Manifest,
    app_name,
    containers,
    load_yaml,
    of_kind,
    pod_spec,
    server_workloads,
)
from tests.deploy.service_settings import names_read, secret_names, settings_for

# The OpenTelemetry variables every server reads (through the SDK), as shared/tracing.py
# documents them: OTEL_EXPORTER_OTLP_ENDPOINT and its kin.
OTEL_READ = frozenset(re.findall(r"``(OTEL_[A-Z_]*[A-Z])``", tracing.__doc__ or ""))

_, STAGES = parse()


def image_env(service: str) -> dict[str, str]:
    return {k: v for k, v in env_of(STAGES, service).items() if k.startswith("FF_")}


def unknown_names(service: str, env: ContainerEnv) -> set[str]:
    read = names_read(service)
    return {
        n
        for n in env.names()
        if n not in read and not (n.endswith("_FILE") and n[:-5] in read) and n not in OTEL_READ
    }


def load_with_files(service: str, env: ContainerEnv, tmp_path: Path) -> None:
    """Load the settings as the service does, with a stand-in file behind every ``*_FILE`` and a
    stand-in value for every Secret reference; a secret read from a file must arrive."""
    _, loader = settings_for(service)
    read = names_read(service)
    tmp_path.mkdir(parents=True, exist_ok=True)
    environ = {name: f"value-of-{ref}" for name, ref in env.from_secrets.items()}
    expected = {}
    for name, value in env.values.items():
        if not name.endswith("_FILE"):
            environ[name] = value
            continue
        assert env.is_secret_path(value), f"{name}={value} is not a mounted secret"
        stand_in = tmp_path / name
        stand_in.write_text(f"content-of-{name}:tenant\n", encoding="utf-8")
        environ[name] = str(stand_in)
        if name not in read:
            expected[name] = f"content-of-{name}:tenant"
    settings = loader(environ)
    values = {str(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    for name, content in expected.items():
        assert content in values, f"{name} is not read by services.{service}"


def plain_secrets(service: str, env: ContainerEnv) -> set[str]:
    """Secret settings written as plain values instead of a Secret reference or a file."""
    return secret_names(service) & set(env.values)


def address_targets(name: str, value: str) -> list[tuple[str, int]]:
    """(host, port) pairs named by an address list or URL setting; external hosts left out."""
    if not name.endswith(("_ADDRESSES", "_URL")):
        return []
    found = []
    for item in value.split(","):
        item = item.strip().removeprefix("dns:///")
        parts = urlsplit(item if "://" in item else f"//{item}")
        if parts.hostname and "." not in parts.hostname and parts.port:
            found.append((parts.hostname, parts.port))
    return found


def _k8s_services(objects: list[Manifest]) -> dict[str, set[int]]:
    return {
        s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]}
        for s in of_kind(objects, "Service")
    }


@pytest.mark.parametrize("service", SERVICES)
def test_image_defaults_are_settings_the_service_reads(service: str) -> None:
    env = ContainerEnv(values=image_env(service))
    assert env.values, f"the {service} image sets none of its settings"
    assert unknown_names(service, env) == set()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kubernetes_env_matches_the_settings(
    overlays: dict[str, list[Manifest]], overlay: str, tmp_path: Path
) -> None:
    objects = overlays[overlay]
    services = _k8s_services(objects)
    for workload in server_workloads(objects):
        service = app_name(workload)
        (container,) = containers(workload)
        env = kubernetes_env(objects, pod_spec(workload), container, image_env(service))
        assert unknown_names(service, env) == set(), service
        assert plain_secrets(service, env) == set(), service
        load_with_files(service, env, tmp_path / service)
        for name, value in env.values.items():
            for host, port in address_targets(name, value):
                assert port in services.get(host, set()), (
                    f"{service} {name}: no Service {host}:{port}"
                )


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    return document


def _compose_ports(document: dict[str, Any]) -> dict[str, set[int]]:
    """What each compose service listens on: its FF_<NAME>_PORT, or its exposed ports."""
    ports: dict[str, set[int]] = {}
    for name, service in document["services"].items():
        env = compose_env(service, image_env(name) if name in SERVICES else {})
        listening = {int(v) for k, v in env.values.items() if k == f"FF_{name.upper()}_PORT"}
        ports[name] = listening or {int(p) for p in service.get("expose", [])}
    return ports


def test_compose_env_matches_the_settings(tmp_path: Path) -> None:
    document = _compose()
    ports = _compose_ports(document)
    for service in SERVICES:
        env = compose_env(document["services"][service], image_env(service))
        assert unknown_names(service, env) == set(), service
        assert plain_secrets(service, env) == set(), service
        load_with_files(service, env, tmp_path / service)
        for name, value in env.values.items():
            for host, port in address_targets(name, value):
                assert port in ports.get(host, set()), f"{service} {name}: nothing on {host}:{port}"
