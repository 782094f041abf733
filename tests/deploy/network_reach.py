"""Who may open a connection to whom, under a set of Kubernetes NetworkPolicies.

A small model of the NetworkPolicy rules (networking.k8s.io/v1): a policy selects pods of its
namespace; once any policy selects a pod for a direction, only what some rule allows passes.
A connection needs the source's egress and the destination's ingress. Enough to check the
intent of deploy/k8s without a cluster.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Policy = Mapping[str, Any]


@dataclass(frozen=True)
class Endpoint:
    """A pod (labels, namespace labels, named ports) or an address outside the cluster."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    named_ports: Mapping[str, int] = field(default_factory=dict)
    address: str | None = None  # set for addresses outside the cluster

    @property
    def is_pod(self) -> bool:
        return self.address is None


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Label selector semantics; an empty selector selects everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = (
            expression["key"],
            expression["operator"],
            expression.get("values", []),
        )
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _policy_types(policy: Policy) -> list[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]


def _peer_matches(
    peer: Mapping[str, Any], other: Endpoint, own_namespace: Mapping[str, str]
) -> bool:
    if "ipBlock" in peer:
        if other.address is None:
            return False  # pod traffic is matched by selectors (pod IPs are not modelled)
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.address)
        inside = address in ipaddress.ip_network(block["cidr"])
        return inside and not any(
            address in ipaddress.ip_network(c) for c in block.get("except", [])
        )
    if not other.is_pod:
        return False
    if "namespaceSelector" in peer:
        in_namespace = selects(peer["namespaceSelector"], other.namespace_labels)
    else:
        in_namespace = dict(other.namespace_labels) == dict(own_namespace)
    return in_namespace and (
        "podSelector" not in peer or selects(peer["podSelector"], other.labels)
    )


def _port_matches(
    rule_ports: Iterable[Mapping[str, Any]] | None, port: int, target: Endpoint
) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != "TCP":
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            wanted = target.named_ports.get(wanted)
        if wanted is not None and wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


def _allowed(
    policies: Iterable[Policy], subject: Endpoint, other: Endpoint, port: int, direction: str
) -> bool:
    """Whether ``subject``'s policies let traffic through in ``direction`` to/from ``other``."""
    rule_key, peer_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    port_owner = subject if direction == "Ingress" else other
    applicable = [
        p
        for p in policies
        if direction in _policy_types(p) and selects(p["spec"].get("podSelector"), subject.labels)
    ]
    if not applicable:
        return True
    for policy in applicable:
        for rule in policy["spec"].get(rule_key) or []:
            peers = rule.get(peer_key)
            peer_ok = not peers or any(
                _peer_matches(p, other, subject.namespace_labels) for p in peers
            )
            if peer_ok and _port_matches(rule.get("ports"), port, port_owner):
                return True
    return False


def can_connect(
    policies: Sequence[Policy],
    namespace: Mapping[str, str],
    source: Endpoint,
    target: Endpoint,
    port: int,
) -> bool:
    """TCP from ``source`` to ``target:port``. ``policies`` are those of the one namespace
    modelled (labels ``namespace``); endpoints elsewhere are not restricted by them."""

    def governed(endpoint: Endpoint) -> bool:
        return endpoint.is_pod and dict(endpoint.namespace_labels) == dict(namespace)

    egress_ok = not governed(source) or _allowed(policies, source, target, port, "Egress")
    ingress_ok = not governed(target) or _allowed(policies, target, source, port, "Ingress")
    return egress_ok and ingress_ok
