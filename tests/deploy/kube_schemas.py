"""The Kubernetes API schemas for kubeconform, offline, from what `kubernetes-validate` ships.

kubernetes-validate keeps one JSON schema per kind and version (``deployment-apps-v1.json``:
kubeconform's own file names) whose references point at ``/api/_definitions.json`` under the
``$id`` ``https://kubernetes.io/api/...``: resolved as written they would be fetched from the
network. Written here without the ``$id`` and with the references made relative, they resolve
to the ``_definitions.json`` beside them, so kubeconform reads them with
``-schema-location DIR/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/...``.

Run by `tests/deploy/install-tools.sh` (``python -m tests.deploy.kube_schemas TARGET``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import kubernetes_validate

# Oldest Kubernetes minor we support (native grpc probes are GA since 1.27) and the newest
# kubernetes-validate knows: deploy/README.md claims exactly these.
OLDEST = "1.27"
NEWEST = ".".join(kubernetes_validate.utils.latest_version().split(".")[:2])
KUBERNETES_VERSIONS = (OLDEST, NEWEST)
SHIPPED = Path(kubernetes_validate.__file__).resolve().parent / "kubernetes-json-schema"
REMOTE_DEFINITIONS = '"/api/_definitions.json#'
LOCAL_DEFINITIONS = '"_definitions.json#'
# kubeconform expands this per resource; "-strict" is added by its -strict flag.
LOCATION_TEMPLATE = "{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"


def normalized(version: str) -> str:
    """kubeconform's NormalizedKubernetesVersion: ``1.27`` -> ``v1.27.0``."""
    parts = version.split(".")
    return "v" + ".".join(parts + ["0"] * (3 - len(parts)))


def offline_schema(text: str) -> str:
    """One shipped schema file made to resolve its references beside itself."""
    schema = json.loads(text.replace(REMOTE_DEFINITIONS, LOCAL_DEFINITIONS))
    schema.pop("$id", None)
    return json.dumps(schema)


def write(target: Path, versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> int:
    """Write the strict schemas of ``versions`` under ``target``; the number of files."""
    written = 0
    for version in versions:
        folder = f"{normalized(version)}-local-strict"
        source, destination = SHIPPED / folder, target / folder
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        for path in sorted(source.glob("*.json")):
            (destination / path.name).write_text(
                offline_schema(path.read_text(encoding="utf-8")), encoding="utf-8"
            )
            written += 1
    return written


if __name__ == "__main__":
    count = write(Path(sys.argv[1]))
    print(f"kube_schemas: {count} schema files for Kubernetes {', '.join(KUBERNETES_VERSIONS)}")
