"""Building the kustomize overlays and reading the deployment files, for the offline checks."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.prerequisites import missing

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
OVERLAYS = ("dev", "prod")
NAMESPACE = "factoryfinder"
# Every service of the project, and the one that speaks HTTP instead of gRPC.
SERVICES = ("preprocess", "gateway", "ranking", "planning", "aggregator", "sandbox")
GRPC_SERVICES = SERVICES[:-1]

Manifest = dict[str, Any]


def kustomize_binary() -> str:
    """The kustomize that `make tools` installs (or one on PATH). Without it the checks skip,
    except under CI, where a missing tool is a failure."""
    local = REPO / ".tools" / "bin" / "kustomize"
    found = str(local) if local.is_file() else shutil.which("kustomize")
    if found is None:
        message = "kustomize is missing: `make tools` builds it with `go install` (needs Go)"
        missing(message)
    return found


def kustomize_build(binary: str, directory: Path) -> list[Manifest]:
    result = subprocess.run(
        [binary, "build", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(objects: list[Manifest], *kinds: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] in kinds]


def named(objects: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def workloads(objects: list[Manifest]) -> list[Manifest]:
    return of_kind(objects, "Deployment", "StatefulSet")


def app_name(workload: Manifest) -> str:
    name: str = workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
    return name


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Manifest) -> Iterator[dict[str, Any]]:
    yield from pod_spec(workload)["containers"]


def server_workloads(objects: list[Manifest]) -> list[Manifest]:
    """The workloads that run factoryfinder itself (not redis)."""
    return [w for w in workloads(objects) if app_name(w) in SERVICES]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
