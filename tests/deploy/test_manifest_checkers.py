"""The rendered overlays through the checkers an operator runs, tools nobody here wrote:

- kubeconform, strict (unknown and duplicate fields fail), against the API schemas of the
  oldest and the newest Kubernetes deploy/README.md claims, read offline from
  .tools/kubernetes-json-schema (tests/deploy/kube_schemas.py);
- kube-score: no CRITICAL finding. A check we decide against is ignored here, in
  IGNORED_CHECKS, with the reason beside it, and nowhere else (no annotations in deploy/).

Istio objects have no schema in either tool: tests/deploy/test_istio.py checks them.
`make tools` installs both tools; without them the checks skip locally and fail in CI.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.istio_schema import is_istio
from tests.deploy.kube_schemas import KUBERNETES_VERSIONS, LOCATION_TEMPLATE, normalized
from tests.deploy.rendered_manifests import OVERLAYS, REPO, Manifest
from tests.prerequisites import missing

TOOLS = REPO / ".tools" / "bin"
SCHEMAS = REPO / ".tools" / "kubernetes-json-schema"
CRITICAL = 1  # kube-score's grade for a critical finding (warning 5, ok 10)
IGNORED_CHECKS = {
    # Every image is pinned (ours by release tag, third-party ones by tag and digest), so the
    # node's cached copy is the image asked for; Always would make every pod start, restart
    # and reschedule depend on the registry answering, for no difference in what runs.
    "container-image-pull-policy": "pinned images: IfNotPresent gets the same bytes",
}


def _tool(name: str) -> Path:
    path = TOOLS / name
    if not path.is_file():
        missing(f"{name} is missing: `make tools` builds it with `go install` (needs Go)")
    return path


def _write(objects: list[Manifest], path: Path) -> Path:
    """The overlay as kustomize rendered it, less the Istio objects (no schema in the tools)."""
    path.write_text(yaml.safe_dump_all([o for o in objects if not is_istio(o)]), encoding="utf-8")
    return path


def kubeconform(manifests: Path, version: str) -> dict[str, Any]:
    if not (SCHEMAS / f"{normalized(version)}-local-strict").is_dir():
        missing(f"no schemas for Kubernetes {version} in {SCHEMAS}: run `make tools`")
    result = subprocess.run(
        [
            str(_tool("kubeconform")),
            "-strict",
            "-summary",
            "-output=json",
            f"-kubernetes-version={normalized(version)[1:]}",
            f"-schema-location={SCHEMAS}/{LOCATION_TEMPLATE}",
            str(manifests),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    report["exit"] = result.returncode
    return report


def critical_findings(manifests: Path, version: str) -> list[str]:
    result = subprocess.run(
        [
            str(_tool("kube-score")),
            "score",
            "--output-format=json",
            f"--kubernetes-version={normalized(version).rsplit('.', 1)[0]}",
            *(f"--ignore-test={check}" for check in IGNORED_CHECKS),
            str(manifests),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.startswith("["), result.stderr
    return [
        f"{obj['object_name']}: {check['check']['id']}: "
        f"{comment['path']} {comment['summary']}".replace("  ", " ")
        for obj in json.loads(result.stdout)
        for check in obj["checks"]
        if check["grade"] == CRITICAL and not check["skipped"]
        for comment in check["comments"] or [{"path": "", "summary": ""}]
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubeconform_strict_finds_no_error(
    overlays: dict[str, list[Manifest]], overlay: str, version: str, tmp_path: Path
) -> None:
    report = kubeconform(_write(overlays[overlay], tmp_path / f"{overlay}.yaml"), version)
    problems = [f"{r['kind']}/{r['name']}: {r['msg']}" for r in report["resources"]]
    assert problems == [], report
    summary = report["summary"]
    assert (summary["invalid"], summary["errors"], summary["skipped"]) == (0, 0, 0), summary
    assert summary["valid"] == len([o for o in overlays[overlay] if not is_istio(o)])
    assert report["exit"] == 0


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kube_score_finds_nothing_critical(
    overlays: dict[str, list[Manifest]], overlay: str, version: str, tmp_path: Path
) -> None:
    assert critical_findings(_write(overlays[overlay], tmp_path / f"{overlay}.yaml"), version) == []


def test_the_checkers_catch_what_they_are_here_for(tmp_path: Path) -> None:
    """A misspelt field fails the offline strict schemas; a StatefulSet whose serviceName is
    not a headless Service and whose probes are one probe twice is CRITICAL for kube-score."""
    probe = {"exec": {"command": ["true"]}}
    broken: list[Manifest] = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"portz": []}},
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "s",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "db",
                                "image": "db:1.0",
                                "readinessProbe": probe,
                                "livenessProbe": probe,
                            }
                        ]
                    },
                },
            },
        },
    ]
    manifests = _write(broken, tmp_path / "broken.yaml")
    report = kubeconform(manifests, KUBERNETES_VERSIONS[0])
    assert report["summary"]["invalid"] == 1 and report["exit"] == 1
    assert "'portz' not allowed" in report["resources"][0]["msg"]
    found = " ".join(critical_findings(manifests, KUBERNETES_VERSIONS[0]))
    assert "statefulset-has-servicename" in found and "pod-probes-identical" in found
