"""Field names and value types of the Istio resources deploy/istio uses, written from the Istio
API reference (networking.istio.io/v1 DestinationRule, VirtualService, Sidecar and
ServiceEntry, security.istio.io/v1 PeerAuthentication and AuthorizationPolicy). Only what these files may need is listed: an
unknown or misspelt field, a wrong type or an unknown enum value fails, as it would when
istiod rejects the object. Any field not listed here must be added from the reference first.
"""

from __future__ import annotations

from typing import Any

import jsonschema

Schema = dict[str, Any]

DURATION: Schema = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(h|m|s|ms)$"}
STRING: Schema = {"type": "string"}
STRINGS: Schema = {"type": "array", "items": STRING}
BOOL: Schema = {"type": "boolean"}
COUNT: Schema = {"type": "integer", "minimum": 0}
PERCENT: Schema = {"type": "integer", "minimum": 0, "maximum": 100}


def strict(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def one_of(*values: str) -> Schema:
    return {"enum": list(values)}


def array_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


LABEL_SELECTOR = strict({"matchLabels": {"type": "object", "additionalProperties": STRING}})
STRING_MATCH = {
    **strict({"exact": STRING, "prefix": STRING, "regex": STRING}),
    "minProperties": 1,
    "maxProperties": 1,
}
PORT_SELECTOR = strict({"number": {"type": "integer", "minimum": 1, "maximum": 65535}})

# --- networking.istio.io/v1 DestinationRule ------------------------------------------------
LOAD_BALANCER = strict(
    {
        "simple": one_of(
            "UNSPECIFIED", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN"
        ),
        "warmupDurationSecs": DURATION,
    }
)
CONNECTION_POOL = strict(
    {
        "tcp": strict(
            {
                "maxConnections": COUNT,
                "connectTimeout": DURATION,
                "maxConnectionDuration": DURATION,
                "idleTimeout": DURATION,
            }
        ),
        "http": strict(
            {
                "http1MaxPendingRequests": COUNT,
                "http2MaxRequests": COUNT,
                "maxRequestsPerConnection": COUNT,
                "maxRetries": COUNT,
                "idleTimeout": DURATION,
                "h2UpgradePolicy": one_of("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"),
                "useClientProtocol": BOOL,
                "maxConcurrentStreams": COUNT,
            }
        ),
    }
)
OUTLIER_DETECTION = strict(
    {
        "splitExternalLocalOriginErrors": BOOL,
        "consecutiveLocalOriginFailures": COUNT,
        "consecutiveGatewayErrors": COUNT,
        "consecutive5xxErrors": COUNT,
        "interval": DURATION,
        "baseEjectionTime": DURATION,
        "maxEjectionPercent": PERCENT,
        "minHealthPercent": PERCENT,
    }
)
CLIENT_TLS = strict({"mode": one_of("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"), "sni": STRING})
TRAFFIC_POLICY = strict(
    {
        "loadBalancer": LOAD_BALANCER,
        "connectionPool": CONNECTION_POOL,
        "outlierDetection": OUTLIER_DETECTION,
        "tls": CLIENT_TLS,
    }
)
DESTINATION_RULE = strict(
    {
        "host": STRING,
        "trafficPolicy": TRAFFIC_POLICY,
        "subsets": array_of(
            strict(
                {
                    "name": STRING,
                    "labels": {"type": "object", "additionalProperties": STRING},
                    "trafficPolicy": TRAFFIC_POLICY,
                },
                required=("name",),
            )
        ),
        "exportTo": STRINGS,
        "workloadSelector": LABEL_SELECTOR,
    },
    required=("host",),
)

# --- networking.istio.io/v1 VirtualService -------------------------------------------------
HTTP_MATCH = strict(
    {
        "name": STRING,
        "uri": STRING_MATCH,
        "method": STRING_MATCH,
        "authority": STRING_MATCH,
        "headers": {"type": "object", "additionalProperties": STRING_MATCH},
        "port": {"type": "integer"},
        "sourceLabels": {"type": "object", "additionalProperties": STRING},
        "gateways": STRINGS,
        "sourceNamespace": STRING,
    }
)
HTTP_RETRY = strict(
    {
        "attempts": COUNT,
        "perTryTimeout": DURATION,
        "retryOn": {"type": "string", "pattern": r"^[a-z0-9-]+(,[a-z0-9-]+)*$"},
        "retryRemoteLocalities": BOOL,
    },
    required=("attempts",),
)
DESTINATION = strict({"host": STRING, "subset": STRING, "port": PORT_SELECTOR}, required=("host",))
HTTP_ROUTE = strict(
    {
        "name": STRING,
        "match": array_of(HTTP_MATCH),
        "route": array_of(
            strict({"destination": DESTINATION, "weight": COUNT}, required=("destination",))
        ),
        "timeout": DURATION,
        "retries": HTTP_RETRY,
    },
    required=("route",),
)
VIRTUAL_SERVICE = strict(
    {
        "hosts": STRINGS,
        "gateways": STRINGS,
        "http": array_of(HTTP_ROUTE),
        "exportTo": STRINGS,
    },
    required=("hosts",),
)

# --- security.istio.io/v1 ------------------------------------------------------------------
MTLS = strict({"mode": one_of("UNSET", "DISABLE", "PERMISSIVE", "STRICT")})
PEER_AUTHENTICATION = strict(
    {
        "selector": LABEL_SELECTOR,
        "mtls": MTLS,
        "portLevelMtls": {"type": "object", "additionalProperties": MTLS},
    }
)
SOURCE = strict(
    {
        "principals": STRINGS,
        "notPrincipals": STRINGS,
        "requestPrincipals": STRINGS,
        "notRequestPrincipals": STRINGS,
        "namespaces": STRINGS,
        "notNamespaces": STRINGS,
        "ipBlocks": STRINGS,
        "notIpBlocks": STRINGS,
        "remoteIpBlocks": STRINGS,
        "notRemoteIpBlocks": STRINGS,
    }
)
OPERATION = strict(
    {
        "hosts": STRINGS,
        "notHosts": STRINGS,
        "ports": array_of({"type": "string", "pattern": r"^[0-9]+$"}),
        "notPorts": STRINGS,
        "methods": STRINGS,
        "notMethods": STRINGS,
        "paths": STRINGS,
        "notPaths": STRINGS,
    }
)
AUTHORIZATION_POLICY = strict(
    {
        "selector": LABEL_SELECTOR,
        "action": one_of("ALLOW", "DENY", "AUDIT", "CUSTOM"),
        "rules": array_of(
            strict(
                {
                    "from": array_of(strict({"source": SOURCE}, required=("source",))),
                    "to": array_of(strict({"operation": OPERATION}, required=("operation",))),
                    "when": array_of(
                        strict(
                            {"key": STRING, "values": STRINGS, "notValues": STRINGS},
                            required=("key",),
                        )
                    ),
                }
            )
        ),
    }
)

# --- networking.istio.io/v1 Sidecar and ServiceEntry ----------------------------------------
PORT_PROTOCOL = one_of("HTTP", "HTTPS", "GRPC", "HTTP2", "MONGO", "TCP", "TLS")
PORT = strict(
    {
        "number": {"type": "integer", "minimum": 1, "maximum": 65535},
        "protocol": PORT_PROTOCOL,
        "name": STRING,
        "targetPort": {"type": "integer", "minimum": 1, "maximum": 65535},
    },
    required=("number",),
)
WORKLOAD_SELECTOR = strict({"labels": {"type": "object", "additionalProperties": STRING}})
# Sidecar egress hosts are "namespace/dnsName": "." is the Sidecar's own namespace, "*" any,
# "~" none; the name may start with a "*." wildcard or be "*".
SIDECAR_HOST = {"type": "string", "pattern": r"^([.*~]|[a-z0-9-]+)/(\*|(\*\.)?[a-z0-9.-]+)$"}
SIDECAR = strict(
    {
        "workloadSelector": WORKLOAD_SELECTOR,
        "egress": array_of(
            strict(
                {
                    "port": PORT,
                    "bind": STRING,
                    "captureMode": one_of("DEFAULT", "IPTABLES", "NONE"),
                    "hosts": {**array_of(SIDECAR_HOST), "minItems": 1},
                },
                required=("hosts",),
            )
        ),
        "outboundTrafficPolicy": strict(
            {
                "mode": one_of("REGISTRY_ONLY", "ALLOW_ANY"),
                "egressProxy": strict({"host": STRING, "subset": STRING, "port": PORT_SELECTOR}),
            }
        ),
    }
)
SERVICE_ENTRY = strict(
    {
        "hosts": {**STRINGS, "minItems": 1},
        "addresses": STRINGS,
        "ports": array_of(PORT),
        "location": one_of("MESH_EXTERNAL", "MESH_INTERNAL"),
        "resolution": one_of("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"),
        "endpoints": array_of(
            strict(
                {
                    "address": STRING,
                    "ports": {"type": "object", "additionalProperties": COUNT},
                    "labels": {"type": "object", "additionalProperties": STRING},
                    "network": STRING,
                    "locality": STRING,
                    "weight": COUNT,
                    "serviceAccount": STRING,
                }
            )
        ),
        "workloadSelector": WORKLOAD_SELECTOR,
        "exportTo": STRINGS,
        "subjectAltNames": STRINGS,
    },
    required=("hosts",),
)

SPECS: dict[tuple[str, str], Schema] = {
    ("networking.istio.io/v1", "Sidecar"): SIDECAR,
    ("networking.istio.io/v1", "ServiceEntry"): SERVICE_ENTRY,
    ("networking.istio.io/v1", "DestinationRule"): DESTINATION_RULE,
    ("networking.istio.io/v1", "VirtualService"): VIRTUAL_SERVICE,
    ("security.istio.io/v1", "PeerAuthentication"): PEER_AUTHENTICATION,
    ("security.istio.io/v1", "AuthorizationPolicy"): AUTHORIZATION_POLICY,
}
RESOURCE_FIELDS = {"apiVersion", "kind", "metadata", "spec"}


def is_istio(obj: dict[str, Any]) -> bool:
    return str(obj.get("apiVersion", "")).split("/")[0].endswith(".istio.io")


def problems(obj: dict[str, Any]) -> list[str]:
    """Everything wrong with one Istio object (empty when it is valid)."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    if key not in SPECS:
        return [f"unknown Istio resource {key}"]
    found = [f"unexpected top-level field {f!r}" for f in sorted(set(obj) - RESOURCE_FIELDS)]
    if not obj.get("metadata", {}).get("name"):
        found.append("metadata.name is missing")
    validator = jsonschema.Draft202012Validator(SPECS[key])
    for error in validator.iter_errors(obj.get("spec", {})):
        path = ".".join(str(p) for p in error.absolute_path)
        found.append(f"spec.{path}: {error.message}")
    return found
