"""Offline checks of deploy/k8s: both overlays build, every object is valid for the Kubernetes
API, and the hardening, probes, scaling and secret rules of the deployment hold."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from shared import tracing
from tests.deploy.container_env import kubernetes_env
from tests.deploy.istio_schema import is_istio
from tests.deploy.kube_schemas import KUBERNETES_VERSIONS
from tests.deploy.rendered_manifests import (
    GRPC_SERVICES,
    NAMESPACE,
    OVERLAYS,
    Manifest,
    app_name,
    containers,
    named,
    of_kind,
    pod_spec,
    server_workloads,
    workloads,
)

GRPC_PORT = 50051


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_the_kubernetes_api(
    overlays: dict[str, list[Manifest]], overlay: str, version: str
) -> None:
    errors = []
    checked = 0
    for obj in overlays[overlay]:
        if is_istio(obj):
            continue  # tests/deploy/test_istio.py
        try:
            kubernetes_validate.validate(obj, version, strict=True)
            checked += 1
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(exc.message)
    assert errors == []
    assert checked >= 25


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lands_in_the_factoryfinder_namespace(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    outside = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in overlays[overlay]
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != NAMESPACE
    ]
    assert outside == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_only_references(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = overlays[overlay]
    assert of_kind(objects, "Secret") == []
    referenced = set()
    for workload in workloads(objects):
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                referenced.add(volume["secret"]["secretName"])
        for container in containers(workload):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    referenced.add(ref["name"])
    assert referenced == {"gateway-upstream-credentials", "aggregator-api-keys"}


def _is_hardened(workload: Manifest) -> list[str]:
    spec = pod_spec(workload)
    name = workload["metadata"]["name"]
    problems = []
    pod_security = spec.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{name}: runAsNonRoot")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: seccompProfile")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: service account token mounted")
    for container in [*spec.get("initContainers", []), *containers(workload)]:
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: writable root filesystem")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: privilege escalation")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{name}: capabilities not dropped")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            # Ephemeral storage too: the scheduler reserves nothing for /tmp and logs without.
            if set(resources.get(kind, {})) != {"cpu", "memory", "ephemeral-storage"}:
                problems.append(f"{name}: {kind} must set cpu, memory and ephemeral-storage")
        image = container["image"]
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            problems.append(f"{name}: image {image} has no pinned tag")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_is_hardened(overlays: dict[str, list[Manifest]], overlay: str) -> None:
    problems = [p for w in workloads(overlays[overlay]) for p in _is_hardened(w)]
    assert problems == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_its_own_service_account(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = overlays[overlay]
    accounts = {sa["metadata"]["name"]: sa for sa in of_kind(objects, "ServiceAccount")}
    for workload in workloads(objects):
        account = pod_spec(workload)["serviceAccountName"]
        assert account == app_name(workload)
        assert accounts[account]["automountServiceAccountToken"] is False


def _env_number(container: dict[str, Any], objects: list[Manifest], suffix: str) -> float:
    env = kubernetes_env(objects, {}, container, {})
    matches = [v for k, v in env.values.items() if k.endswith(suffix)]
    assert len(matches) == 1, f"expected one *{suffix} setting"
    return float(matches[0])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grpc_servers_have_native_grpc_probes_that_survive_a_drain(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = overlays[overlay]
    servers = [w for w in server_workloads(objects) if app_name(w) in GRPC_SERVICES]
    assert sorted(app_name(w) for w in servers) == sorted(GRPC_SERVICES)
    for workload in servers:
        spec = pod_spec(workload)
        (container,) = containers(workload)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["grpc"] == GRPC_PORT
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == ports["grpc"], probe
        grace = spec["terminationGracePeriodSeconds"]
        drain = _env_number(container, objects, "_DRAIN_DELAY_SECONDS")
        in_flight = _env_number(container, objects, "_GRACE_SECONDS")
        assert drain + in_flight < grace, "the pod is killed before its drain ends"
        liveness = container["livenessProbe"]
        # A draining server says NOT_SERVING; the liveness probe must not restart it meanwhile.
        assert liveness["periodSeconds"] * liveness["failureThreshold"] > grace


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_are_grpc_with_named_ports_that_reach_the_pods(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = overlays[overlay]
    for name in GRPC_SERVICES:
        service = named(objects, "Service", name)
        (port,) = service["spec"]["ports"]
        assert (port["name"], port["appProtocol"], port["port"]) == ("grpc", "grpc", GRPC_PORT)
        workload = named(objects, "Deployment", name)
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        (container,) = containers(workload)
        assert port["targetPort"] in {p["name"] for p in container["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_server_has_a_disruption_budget(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = overlays[overlay]
    budgets = of_kind(objects, "PodDisruptionBudget")
    for workload in of_kind(objects, "Deployment"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        covering = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(covering) == 1, workload["metadata"]["name"]
        assert covering[0]["spec"].get("maxUnavailable") == 1


def _autoscaled(objects: list[Manifest]) -> dict[str, Manifest]:
    return {
        h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")
    }


def test_prod_scales_preprocess_and_the_aggregator_on_cpu(
    overlays: dict[str, list[Manifest]],
) -> None:
    objects = overlays["prod"]
    scalers = _autoscaled(objects)
    assert set(scalers) == {"preprocess", "aggregator"}
    for name, scaler in scalers.items():
        (metric,) = scaler["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert scaler["spec"]["minReplicas"] >= 2
        # The HPA owns the count: a replicas field would fight it on every apply.
        assert "replicas" not in named(objects, "Deployment", name)["spec"]
    assert (
        scalers["preprocess"]["spec"]["maxReplicas"] > scalers["preprocess"]["spec"]["minReplicas"]
    )


def test_prod_runs_replicated_gateways_on_redis(overlays: dict[str, list[Manifest]]) -> None:
    objects = overlays["prod"]
    gateway = named(objects, "Deployment", "gateway")
    assert gateway["spec"]["replicas"] >= 2
    assert gateway["spec"]["strategy"]["type"] == "RollingUpdate"
    for name in ("ranking", "planning"):
        assert named(objects, "Deployment", name)["spec"]["replicas"] >= 2
    settings = [
        c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("gateway-")
    ]
    assert settings[0]["data"]["FF_GATEWAY_STORE_URL"].startswith("redis://redis:6379/")
    named(objects, "StatefulSet", "redis")
    assert "sandbox" not in {app_name(w) for w in workloads(objects)}


def test_dev_runs_one_of_each_with_the_sandbox_and_the_embedded_store(
    overlays: dict[str, list[Manifest]],
) -> None:
    objects = overlays["dev"]
    assert _autoscaled(objects) == {}
    names = sorted(app_name(w) for w in workloads(objects))
    assert names == sorted([*GRPC_SERVICES, "sandbox"])
    for workload in workloads(objects):
        assert workload["spec"].get("replicas", 1) == 1
    settings = [
        c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("gateway-")
    ]
    assert "FF_GATEWAY_STORE_URL" not in settings[0]["data"]
    assert settings[0]["data"]["FF_GATEWAY_UPSTREAM_URL"].startswith("http://sandbox:")
    # Two pods with two embedded stores would keep two quota ledgers.
    assert named(objects, "Deployment", "gateway")["spec"]["strategy"]["type"] == "Recreate"


def test_prod_redis_keeps_every_acknowledged_write(overlays: dict[str, list[Manifest]]) -> None:
    """The quota ledger lives in Redis: every write appended and fsynced before the reply, no
    second (RDB) copy to restore from, on a volume claim; its own headless Service."""
    objects = overlays["prod"]
    redis = named(objects, "StatefulSet", "redis")
    (container,) = containers(redis)
    args = container["args"]
    settings = {args[i]: args[i + 1] for i in range(0, len(args), 2)}
    assert settings["--appendonly"] == "yes" and settings["--appendfsync"] == "always"
    assert settings["--save"] == ""
    mounted = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in redis["spec"]["volumeClaimTemplates"]}
    assert settings["--dir"] in {mounted[name] for name in claims}
    governing = named(objects, "Service", redis["spec"]["serviceName"])
    assert governing["spec"]["clusterIP"] == "None"
    assert container["readinessProbe"] != container["livenessProbe"]
    assert "@sha256:" in container["image"]


def test_prod_wires_the_otlp_endpoint_as_one_setting_empty_by_default(
    overlays: dict[str, list[Manifest]],
) -> None:
    objects = overlays["prod"]
    endpoints = set()
    for workload in server_workloads(objects):
        (container,) = containers(workload)
        env = kubernetes_env(objects, pod_spec(workload), container, {})
        endpoints.add(env.values.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    assert endpoints == {""}
    # Empty means off: no span recorded, nothing exported.
    assert not tracing.exporting({"OTEL_EXPORTER_OTLP_ENDPOINT": ""})
    assert tracing.exporting({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"})
