"""The NetworkPolicies of each overlay, evaluated for every pair of pods and every port:
only the aggregator reaches the internal services; only the gateway (to the 1688 API) and
preprocess (to image hosts and photo URLs) leave the cluster, and only for public addresses."""

from __future__ import annotations

import pytest

from tests.deploy.network_reach import Endpoint, can_connect
from tests.deploy.rendered_manifests import (
    NAMESPACE,
    OVERLAYS,
    Manifest,
    app_name,
    containers,
    of_kind,
    workloads,
)

NAMESPACE_LABELS = {"kubernetes.io/metadata.name": NAMESPACE}
INTERNAL = ("preprocess", "gateway", "ranking", "planning")
# Every connection between the project's own pods that an overlay may allow.
EXPECTED = {
    # In dev the sandbox is both the 1688 API (the gateway's) and its image host (preprocess's).
    "dev": {("aggregator", s, 50051) for s in INTERNAL}
    | {("gateway", "sandbox", 8080), ("preprocess", "sandbox", 8080)},
    "prod": {("aggregator", s, 50051) for s in INTERNAL} | {("gateway", "redis", 6379)},
}
PUBLIC_ADDRESS = "203.0.113.7"  # TEST-NET-3: any address outside the cluster
CALLER_ELSEWHERE = Endpoint("caller", {"app": "shop"}, {"kubernetes.io/metadata.name": "shop"})


def _pods(objects: list[Manifest]) -> dict[str, tuple[Endpoint, list[int]]]:
    pods = {}
    for workload in workloads(objects):
        ports = {
            p.get("name", str(p["containerPort"])): p["containerPort"]
            for c in containers(workload)
            for p in c.get("ports", [])
        }
        labels = workload["spec"]["template"]["metadata"]["labels"]
        endpoint = Endpoint(app_name(workload), labels, NAMESPACE_LABELS, ports)
        pods[app_name(workload)] = (endpoint, sorted(ports.values()))
    return pods


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_intended_hops_are_open_inside_the_namespace(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    policies = of_kind(overlays[overlay], "NetworkPolicy")
    pods = _pods(overlays[overlay])
    open_hops = {
        (source.name, target.name, port)
        for source, _ in pods.values()
        for target, ports in pods.values()
        for port in ports
        if source is not target and can_connect(policies, NAMESPACE_LABELS, source, target, port)
    }
    assert open_hops == EXPECTED[overlay]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_and_preprocess_leave_the_cluster(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    policies = of_kind(overlays[overlay], "NetworkPolicy")
    outside = Endpoint("internet", address=PUBLIC_ADDRESS)
    leaving = {
        (pod.name, port)
        for pod, _ in _pods(overlays[overlay]).values()
        for port in (80, 443, 8080)
        if can_connect(policies, NAMESPACE_LABELS, pod, outside, port)
    }
    # The gateway calls the 1688 API over HTTPS (and downloads no images); preprocess fetches
    # the offers' images and the callers' photo URLs, HTTP or HTTPS.
    assert leaving == {("gateway", 443), ("preprocess", 80), ("preprocess", 443)}
    # Private ranges stay closed to both (no business there; a URL pointing inside is an attack).
    private = Endpoint("node", address="10.1.2.3")
    pods = _pods(overlays[overlay])
    for name in ("gateway", "preprocess"):
        assert not can_connect(policies, NAMESPACE_LABELS, pods[name][0], private, 443), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_callers_from_other_namespaces_reach_the_aggregator_only(
    overlays: dict[str, list[Manifest]], overlay: str
) -> None:
    policies = of_kind(overlays[overlay], "NetworkPolicy")
    reachable = {
        (pod.name, port)
        for pod, ports in _pods(overlays[overlay]).values()
        for port in ports
        if can_connect(policies, NAMESPACE_LABELS, CALLER_ELSEWHERE, pod, port)
    }
    assert reachable == {("aggregator", 50051)}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_can_resolve_names(overlays: dict[str, list[Manifest]], overlay: str) -> None:
    policies = of_kind(overlays[overlay], "NetworkPolicy")
    dns = Endpoint(
        "kube-dns", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}
    )
    for pod, _ in _pods(overlays[overlay]).values():
        assert can_connect(policies, NAMESPACE_LABELS, pod, dns, 53), pod.name
