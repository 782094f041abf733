"""What each service reads from its environment, found in the code itself: the settings
dataclass whose ``ENV_PREFIX`` is ``FF_<SERVICE>`` (in ``services/<name>/settings.py`` or its
``server.py``) and ``shared.config.env_names`` over it."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from functools import partial
from types import ModuleType
from typing import Any

import pytest

from shared.config import env_names, load, secret_env_names
from tests.prerequisites import missing

Loader = Callable[[Mapping[str, str]], Any]


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def _not_written_yet(service: str) -> None:
    message = f"services/{service} has no settings module or server yet"
    missing(message)


def settings_for(service: str) -> tuple[type[Any], Loader]:
    """The settings class of ``service`` and the function that loads it from an environment
    (a module-level ``load_<service>_settings`` when the service has one: it may complete
    secrets from ``*_FILE`` and check them; otherwise ``shared.config.load``)."""
    prefix = f"FF_{service.upper()}"
    modules = [_module(f"services.{service}.{m}") for m in ("settings", "server")]
    found = [m for m in modules if m is not None]
    if not found:
        _not_written_yet(service)
    for module in found:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and getattr(value, "ENV_PREFIX", None) == prefix
            ):
                custom: Loader | None = getattr(module, f"load_{service}_settings", None)
                return value, custom or partial(load, value)
    pytest.fail(f"no dataclass with ENV_PREFIX = {prefix!r} in services.{service}")


def names_read(service: str) -> set[str]:
    settings_class, _ = settings_for(service)
    return set(env_names(settings_class))


def secret_names(service: str) -> set[str]:
    """The variables declared with ``setting(..., secret=True)``."""
    settings_class, _ = settings_for(service)
    return set(secret_env_names(settings_class))
