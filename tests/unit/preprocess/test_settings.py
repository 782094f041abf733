"""Preprocess settings come from FF_PREPROCESS_* variables and are checked at start."""

from __future__ import annotations

import os

import pytest

from services.preprocess.settings import PreprocessSettings, effective_cpu_count
from shared.config import ConfigError, env_names, load


def test_defaults_are_the_upstream_rules() -> None:
    settings = load(PreprocessSettings, environ={})
    assert (settings.long_side_max, settings.short_side_min, settings.min_side_floor) == (
        1200,
        800,
        64,
    )
    assert (settings.target_bytes, settings.max_output_bytes) == (500_000, 2_000_000)
    assert settings.max_input_bytes == 25_000_000
    assert settings.allow_private_urls is False
    assert settings.worker_count == effective_cpu_count() >= 1


def test_read_from_the_environment() -> None:
    environ = {
        "FF_PREPROCESS_LONG_SIDE_MAX": "1600",
        "FF_PREPROCESS_WORKERS": "3",
        "FF_PREPROCESS_ALLOW_PRIVATE_URLS": "true",
        "FF_PREPROCESS_FETCH_TIMEOUT_SECONDS": "2.5",
        "FF_PREPROCESS_PORT": "50061",
    }
    settings = load(PreprocessSettings, environ=environ)
    assert settings.long_side_max == 1600
    assert settings.worker_count == 3
    assert settings.allow_private_urls is True
    assert settings.fetch_timeout_seconds == 2.5
    assert settings.port == 50061


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"FF_PREPROCESS_SHORT_SIDE_MIN": "1300"}, "SHORT_SIDE_MIN"),
        ({"FF_PREPROCESS_TARGET_BYTES": "3000000"}, "TARGET_BYTES"),
        ({"FF_PREPROCESS_MIN_SIDE_FLOOR": "900"}, "MIN_SIDE_FLOOR"),
        ({"FF_PREPROCESS_JPEG_QUALITY": "120"}, "FF_PREPROCESS_JPEG_QUALITY"),
        ({"FF_PREPROCESS_ALLOW_PRIVATE_URLS": "perhaps"}, "FF_PREPROCESS_ALLOW_PRIVATE_URLS"),
    ],
)
def test_inconsistent_settings_are_refused(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(PreprocessSettings, environ=environ)


def test_every_variable_is_prefixed() -> None:
    names = env_names(PreprocessSettings)
    assert "FF_PREPROCESS_ALLOW_PRIVATE_URLS" in names
    assert "FF_PREPROCESS_PORT" in names
    assert all(name.startswith("FF_PREPROCESS_") for name in names)


def test_effective_cpu_count_respects_affinity() -> None:
    assert 1 <= effective_cpu_count() <= len(os.sched_getaffinity(0))
