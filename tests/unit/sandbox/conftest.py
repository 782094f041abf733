"""The default catalog, built (or read from the feature cache) once per session."""

from __future__ import annotations

import pytest

from services.sandbox.catalog.loader import LoadedCatalog, load_catalog
from services.sandbox.settings import SandboxSettings
from shared.config import load


@pytest.fixture(scope="session")
def default_settings() -> SandboxSettings:
    return load(SandboxSettings, {})


@pytest.fixture(scope="session")
def loaded(default_settings: SandboxSettings) -> LoadedCatalog:
    return load_catalog(
        default_settings.seed, default_settings.catalog_offers, default_settings.cache_dir
    )
