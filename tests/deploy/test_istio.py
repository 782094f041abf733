"""deploy/istio: every object checked against the Istio API's field names and types
(tests/deploy/istio_schema.py), and the mesh policy says what the design says."""

from __future__ import annotations

import pytest

from services.preprocess.settings import PreprocessSettings
from shared.config import load
from tests.deploy.istio_schema import is_istio, problems
from tests.deploy.rendered_manifests import NAMESPACE, Manifest, named, of_kind, pod_spec

INTERNAL = ("preprocess", "gateway", "ranking", "planning")
QUOTA_READ = "/factoryfinder.v1.GatewayService/GetQuotaUsage"


def test_every_istio_object_uses_real_fields(istio_only: list[Manifest]) -> None:
    assert {o["kind"] for o in istio_only if is_istio(o)} == {
        "DestinationRule",
        "VirtualService",
        "PeerAuthentication",
        "AuthorizationPolicy",
        "Sidecar",
        "ServiceEntry",
    }
    found = {f"{o['kind']}/{o['metadata']['name']}": problems(o) for o in istio_only if is_istio(o)}
    assert {name: errors for name, errors in found.items() if errors} == {}


def test_the_schema_catches_misspelt_and_mistyped_fields() -> None:
    rule = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": "x"},
        "spec": {
            "host": "x",
            "trafficPolicy": {
                "loadBalancer": {"simple": "LEAST_REQUESTS"},
                "outlierDetection": {"consecutive5xxErrors": "5", "baseEjectTime": "30s"},
            },
        },
    }
    found = " ".join(problems(rule))
    assert "LEAST_REQUESTS" in found
    assert "'5' is not of type 'integer'" in found
    assert "baseEjectTime" in found


def test_prod_includes_the_mesh_policy(
    overlays: dict[str, list[Manifest]], istio_only: list[Manifest]
) -> None:
    missing = [o["metadata"]["name"] for o in istio_only if o not in overlays["prod"]]
    assert missing == []
    assert [o for o in overlays["dev"] if is_istio(o)] == []
    namespace = named(overlays["prod"], "Namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["istio-injection"] == "enabled"


def _covers(host: str, service: str) -> bool:
    fqdn = f"{service}.{NAMESPACE}.svc.cluster.local"
    return host in (service, fqdn) or (host.startswith("*.") and fqdn.endswith(host[1:]))


def test_every_service_is_balanced_per_call_with_outlier_detection(
    overlays: dict[str, list[Manifest]],
) -> None:
    objects = overlays["prod"]
    rules = of_kind(objects, "DestinationRule")
    for service in of_kind(objects, "Service"):
        name = service["metadata"]["name"]
        (rule,) = [r for r in rules if _covers(r["spec"]["host"], name)]
        policy = rule["spec"]["trafficPolicy"]
        assert policy["loadBalancer"]["simple"] == "LEAST_REQUEST"
        assert policy["outlierDetection"]["maxEjectionPercent"] <= 50
        assert policy["tls"]["mode"] == "ISTIO_MUTUAL"


def _routes(objects: list[Manifest], host: str) -> list[dict[str, object]]:
    (service,) = [v for v in of_kind(objects, "VirtualService") if v["spec"]["hosts"] == [host]]
    routes: list[dict[str, object]] = service["spec"]["http"]
    return routes


def test_no_mesh_retries_on_calls_that_spend_upstream_quota(
    overlays: dict[str, list[Manifest]],
) -> None:
    objects = overlays["prod"]
    routes = _routes(objects, "gateway")
    # Routes are matched in order: the last one catches every quota-spending method.
    assert "match" not in routes[-1]
    for route in routes:
        matches = route.get("match", [])
        reads_quota_only = matches == [{"uri": {"exact": QUOTA_READ}}]
        if not reads_quota_only:
            assert route["retries"] == {"attempts": 0}, route["name"]
    # The public API fans out to the gateway: the same holds one hop earlier.
    for route in _routes(objects, "aggregator"):
        assert route["retries"] == {"attempts": 0}


def test_every_route_has_a_timeout_and_bounded_retries(
    overlays: dict[str, list[Manifest]],
) -> None:
    for service in of_kind(overlays["prod"], "VirtualService"):
        for route in service["spec"]["http"]:
            assert "timeout" in route
            retries = route["retries"]
            assert retries["attempts"] <= 2
            if retries["attempts"]:
                assert "cancelled" not in retries["retryOn"]
                assert "deadline-exceeded" not in retries["retryOn"]


def test_mutual_tls_is_strict_for_the_whole_namespace(overlays: dict[str, list[Manifest]]) -> None:
    (peer,) = of_kind(overlays["prod"], "PeerAuthentication")
    assert peer["metadata"]["namespace"] == NAMESPACE
    assert "selector" not in peer["spec"]
    assert peer["spec"]["mtls"]["mode"] == "STRICT"
    assert "portLevelMtls" not in peer["spec"]


@pytest.mark.parametrize("service", INTERNAL)
def test_only_the_aggregator_identity_may_call_internal_services(
    overlays: dict[str, list[Manifest]], service: str
) -> None:
    objects = overlays["prod"]
    workload = named(objects, "Deployment", service)
    labels = workload["spec"]["template"]["metadata"]["labels"]
    policies = [
        p
        for p in of_kind(objects, "AuthorizationPolicy")
        if p["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert [p["spec"]["action"] for p in policies] == ["ALLOW"]
    principals = {
        principal
        for rule in policies[0]["spec"]["rules"]
        for source in rule["from"]
        for principal in source["source"]["principals"]
    }
    account = pod_spec(named(objects, "Deployment", "aggregator"))["serviceAccountName"]
    assert principals == {f"cluster.local/ns/{NAMESPACE}/sa/{account}"}


def _sidecar_of(objects: list[Manifest], app: str) -> Manifest:
    """The Sidecar that configures ``app``'s proxy: its own, else the namespace default."""
    sidecars = of_kind(objects, "Sidecar")
    own = [
        s
        for s in sidecars
        if s["spec"].get("workloadSelector", {}).get("labels", {}).get("app.kubernetes.io/name")
        == app
    ]
    (chosen,) = own or [s for s in sidecars if "workloadSelector" not in s["spec"]]
    return chosen


def _reaches(sidecar: Manifest, host: str) -> bool:
    """Whether one of the sidecar's catch-all egress hosts names ``host`` in this namespace."""
    for listener in sidecar["spec"]["egress"]:
        if "port" in listener:
            continue
        for entry in listener["hosts"]:
            namespace, _, name = entry.partition("/")
            if namespace in (".", "*") and (
                name in ("*", host) or (name.startswith("*.") and host.endswith(name[1:]))
            ):
                return True
    return False


def test_preprocess_fetches_offer_images_from_exactly_the_hosts_the_mesh_opens(
    overlays: dict[str, list[Manifest]],
) -> None:
    """The service's own fence (FF_PREPROCESS_IMAGE_HOSTS, unset in prod: its default) and
    the mesh's egress agree: a host the mesh opens but the service refuses leaves those
    offers uncompared (1688's rows point at Alibaba Cloud object storage now and then), a
    host the service allows but the mesh refuses fails each download slowly."""
    prod = overlays["prod"]
    set_in_prod = {
        env["name"]
        for deployment in of_kind(prod, "Deployment")
        for container in pod_spec(deployment)["containers"]
        for env in container.get("env", [])
    } | {key for config in of_kind(prod, "ConfigMap") for key in config.get("data", {})}
    assert "FF_PREPROCESS_IMAGE_HOSTS" not in set_in_prod
    mesh = {
        host
        for entry in of_kind(prod, "ServiceEntry")
        if entry["metadata"]["name"] == "offer-image-hosts"
        for host in entry["spec"]["hosts"]
    }
    default = load(PreprocessSettings, {}).image_hosts
    assert {("*" + h) if h.startswith(".") else h for h in default} == mesh


def test_only_the_gateway_reaches_1688_and_only_preprocess_its_image_hosts(
    overlays: dict[str, list[Manifest]],
) -> None:
    """Issue 15: the gateway is the one door to the 1688 API and does no image work;
    preprocess downloads the offers' images. Nothing else leaves the mesh."""
    objects = overlays["prod"]
    external = {
        host: entry
        for entry in of_kind(objects, "ServiceEntry")
        for host in entry["spec"]["hosts"]
        if entry["spec"]["location"] == "MESH_EXTERNAL"
    }
    assert {h: external[h]["metadata"]["name"] for h in external} == {
        "gw.open.1688.com": "upstream-1688",
        "*.alicdn.com": "offer-image-hosts",
        "*.aliyuncs.com": "offer-image-hosts",
    }
    assert {p["number"] for p in external["gw.open.1688.com"]["spec"]["ports"]} == {443}
    apps = [*INTERNAL, "aggregator", "redis"]
    reach = {app: {h for h in external if _reaches(_sidecar_of(objects, app), h)} for app in apps}
    assert reach == {
        "gateway": {"gw.open.1688.com"},
        "preprocess": {"*.alicdn.com", "*.aliyuncs.com"},
        "ranking": set(),
        "planning": set(),
        "aggregator": set(),
        "redis": set(),
    }
    # Unlisted hosts: refused everywhere but preprocess (callers' photo URLs, any public host).
    open_to_any = {
        app
        for app in apps
        if _sidecar_of(objects, app)["spec"]["outboundTrafficPolicy"]["mode"] == "ALLOW_ANY"
    }
    assert open_to_any == {"preprocess"}
    for app in apps:  # every proxy still reaches the namespace's own services
        assert _reaches(_sidecar_of(objects, app), f"redis.{NAMESPACE}.svc.cluster.local"), app
