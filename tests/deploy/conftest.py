"""Shared fixtures for the deployment checks: each overlay is built once per session."""

from __future__ import annotations

import pytest

from tests.deploy.rendered_manifests import (
    DEPLOY,
    OVERLAYS,
    Manifest,
    kustomize_binary,
    kustomize_build,
)


@pytest.fixture(scope="session")
def kustomize() -> str:
    return kustomize_binary()


@pytest.fixture(scope="session")
def overlays(kustomize: str) -> dict[str, list[Manifest]]:
    """overlay name -> every object `kustomize build` renders for it."""
    return {
        name: kustomize_build(kustomize, DEPLOY / "k8s" / "overlays" / name) for name in OVERLAYS
    }


@pytest.fixture(scope="session")
def istio_only(kustomize: str) -> list[Manifest]:
    return kustomize_build(kustomize, DEPLOY / "istio")
