"""The environment a container really starts with, resolved from the deployment files:
image ENV, then Kubernetes ``envFrom``/``env`` (ConfigMaps looked up in the rendered output,
Secret references kept as references) or Compose ``environment``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tests.deploy.rendered_manifests import Manifest, named


@dataclass
class ContainerEnv:
    """Plain values, and variables whose value is a Secret (name/key) the cluster supplies."""

    values: dict[str, str] = field(default_factory=dict)
    from_secrets: dict[str, str] = field(default_factory=dict)
    # Where a credential file may come from: secret volumes and read-only mounts (Kubernetes,
    # Compose volumes), Compose secrets.
    secret_dirs: list[PurePosixPath] = field(default_factory=list)
    secret_files: list[PurePosixPath] = field(default_factory=list)

    def names(self) -> set[str]:
        return set(self.values) | set(self.from_secrets)

    def is_secret_path(self, path: str) -> bool:
        target = PurePosixPath(path)
        return target in self.secret_files or target.parent in self.secret_dirs


def _config_map_data(objects: list[Manifest], name: str) -> dict[str, str]:
    data: dict[str, str] = named(objects, "ConfigMap", name).get("data", {})
    return data


def kubernetes_env(
    objects: list[Manifest],
    pod: dict[str, Any],
    container: dict[str, Any],
    image_env: dict[str, str],
) -> ContainerEnv:
    env = ContainerEnv(values=dict(image_env))
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"unexpected envFrom {source}"
        env.values.update(_config_map_data(objects, source["configMapRef"]["name"]))
    for item in container.get("env", []):
        if "value" in item:
            env.values[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]
        if "configMapKeyRef" in ref:
            cm = ref["configMapKeyRef"]
            env.values[item["name"]] = _config_map_data(objects, cm["name"])[cm["key"]]
        else:
            secret = ref["secretKeyRef"]
            env.from_secrets[item["name"]] = f"{secret['name']}/{secret['key']}"
    secret_volumes = {v["name"] for v in pod.get("volumes", []) if "secret" in v}
    env.secret_dirs = [
        PurePosixPath(m["mountPath"])
        for m in container.get("volumeMounts", [])
        if m["name"] in secret_volumes or m.get("readOnly")
    ]
    return env


_DEFAULTED = re.compile(r"\$\{(\w+):?-([^}]*)\}")


def interpolate(value: str) -> str:
    """Compose's ``${NAME:-default}`` as it resolves with NAME unset; a bare ``${NAME}`` would
    leave a required value to whoever runs compose, which these files never do."""
    resolved = _DEFAULTED.sub(lambda m: m.group(2), value)
    assert "${" not in resolved, f"{value!r} needs a variable without a default"
    return resolved


def compose_env(service: dict[str, Any], image_env: dict[str, str]) -> ContainerEnv:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "use the mapping form of `environment`"
    given = {k: interpolate(str(v)) for k, v in environment.items()}
    env = ContainerEnv(values={**image_env, **given})
    for volume in service.get("volumes", []):
        parts = volume.split(":") if isinstance(volume, str) else []
        if len(parts) == 3 and parts[2] == "ro":
            env.secret_dirs.append(PurePosixPath(parts[1]))
    for secret in service.get("secrets", []):
        if isinstance(secret, str):
            env.secret_files.append(PurePosixPath("/run/secrets") / secret)
        else:
            target = secret.get("target", secret["source"])
            env.secret_files.append(PurePosixPath("/run/secrets") / target)
    return env
