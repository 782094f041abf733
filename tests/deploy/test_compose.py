"""deploy/compose.yaml: valid under the Compose Specification (its JSON schema, vendored as
compose-spec.schema.json: the Docker CLI here has no compose plugin), the whole set is there,
and every factoryfinder container runs hardened from its own Dockerfile target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.deploy.image_recipe import DOCKERFILE, parse
from tests.deploy.rendered_manifests import DEPLOY, GRPC_SERVICES, REPO, SERVICES, load_yaml

SCHEMA = Path(__file__).with_name("compose-spec.schema.json")


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    return document


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(_compose())
    ]
    assert errors == []


def test_the_schema_rejects_a_misspelt_key() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {"services": {"gateway": {"image": "x", "readonly": True}}}
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_the_whole_set_is_there() -> None:
    assert set(_compose()["services"]) == {*SERVICES, "redis", "sandbox-tokens"}


def test_each_service_builds_its_own_target_from_the_repository_root() -> None:
    _, stages = parse()
    targets = {s.name for s in stages}
    for name in SERVICES:
        build = _compose()["services"][name]["build"]
        assert build["target"] == name and name in targets
        context = (DEPLOY / build["context"]).resolve()
        assert context == REPO
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_containers_are_hardened() -> None:
    for name, service in _compose()["services"].items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "privileged" not in service, name


def test_only_the_gateway_and_preprocess_reach_outside_only_the_aggregator_is_published() -> None:
    """The gateway calls the 1688 API; preprocess downloads images (issue 15)."""
    document = _compose()
    internal = {n for n, net in document["networks"].items() if (net or {}).get("internal")}
    for name, service in document["services"].items():
        outside = set(service.get("networks", ["default"])) - internal
        expected = {"gateway": {"upstream"}, "preprocess": {"upstream"}, "aggregator": {"edge"}}
        expected_here = expected.get(name, set())
        assert outside == expected_here, name
        published = service.get("ports", [])
        assert published == (["50051:50051"] if name == "aggregator" else []), name


def test_grpc_services_start_after_their_dependencies_are_healthy() -> None:
    services = _compose()["services"]
    waits_for = services["aggregator"]["depends_on"]
    assert set(waits_for) == set(GRPC_SERVICES) - {"aggregator"}
    assert {w["condition"] for w in waits_for.values()} == {"service_healthy"}
    assert services["gateway"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_secret_files_are_never_committed() -> None:
    ignored = (DEPLOY / "secrets" / ".gitignore").read_text(encoding="utf-8").split()
    assert "*" in ignored
    files = {s["file"] for s in _compose()["secrets"].values()}
    assert files and all(f.startswith("./secrets/") for f in files)
