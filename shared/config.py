"""Typed settings read from environment variables, validated at start.

Each service declares one frozen dataclass whose fields are made with
:func:`setting`; ``load(SettingsClass)`` reads them all and stops with a
:class:`ConfigError` naming the variable on the first missing or bad value.
Names may contain ``{prefix}``, replaced by the class's ``ENV_PREFIX`` so the
common server settings are shared by every service. A ``secret=True`` setting
is read from ``NAME`` or, failing that, from the file named by ``NAME_FILE``.

``env_names(SettingsClass)`` lists every variable a service reads; the
deployment checks compare it with the manifests.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")
S = TypeVar("S")

_META = "factoryfinder.env"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class _Spec:
    name: str
    parse: Callable[[str], Any]
    secret: bool


_MISSING: Any = dataclasses.MISSING


def setting(
    name: str,
    default: Any = _MISSING,
    *,
    parse: Callable[[str], Any] = str,
    secret: bool = False,
) -> Any:
    """Declare a dataclass field read from the environment variable ``name``.

    With no ``default`` the variable is required. ``parse`` turns the text into
    the value and raises ``ValueError`` with a reason when it is bad. ``secret``
    values are never echoed in error messages.
    """
    spec = _Spec(name=name, parse=parse, secret=secret)
    if default is _MISSING:
        return dataclasses.field(metadata={_META: spec})
    if isinstance(default, list | dict | set):
        frozen = default
        return dataclasses.field(
            default_factory=lambda: type(frozen)(frozen), metadata={_META: spec}
        )
    return dataclasses.field(default=default, metadata={_META: spec})


def _resolve(cls: type[Any], name: str) -> str:
    prefix: str = getattr(cls, "ENV_PREFIX", "FF")
    return name.replace("{prefix}", prefix)


def env_names(cls: type[Any]) -> list[str]:
    """Every environment variable ``cls`` reads."""
    return [
        _resolve(cls, f.metadata[_META].name)
        for f in dataclasses.fields(cls)
        if _META in f.metadata
    ]


@dataclasses.dataclass(frozen=True)
class SettingInfo:
    """One setting as documented: ``factoryfinder settings`` and the settings reference."""

    variable: str
    default: str
    secret: bool
    required: bool
    description: str


def describe(cls: type[Any]) -> list[SettingInfo]:
    """Every setting of ``cls`` with its default written in the syntax the variable takes
    (``true``, ``a,b``, ``key=value,key=value``) and its description: the comment written
    right above the field in the settings class, joined into one line. Secrets never show
    their default."""
    comments = _field_comments(cls)
    rows = []
    for f in dataclasses.fields(cls):
        spec: _Spec | None = f.metadata.get(_META)
        if spec is None:
            continue
        required = False
        if f.default is not dataclasses.MISSING:
            default = "" if spec.secret else format_value(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = format_value(f.default_factory())
        else:
            default, required = "", True
        rows.append(
            SettingInfo(
                _resolve(cls, spec.name), default, spec.secret, required, comments.get(f.name, "")
            )
        )
    return rows


_FIELD_LINE = re.compile(r"^\s+(\w+)\s*:[^=]*=\s*setting\(")


def _field_comments(cls: type[Any]) -> dict[str, str]:
    """field name -> the ``#`` comment lines right above it (section rulers left out)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass) or klass is object:
            continue
        try:
            lines, _ = inspect.getsourcelines(klass)
        except (OSError, TypeError):
            continue
        pending: list[str] = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("#"):
                text = stripped.lstrip("#").strip()
                if text.startswith("---"):
                    pending = []
                elif text:
                    pending.append(text)
                continue
            match = _FIELD_LINE.match(line)
            if match and pending:
                found[match.group(1)] = " ".join(pending)
            if stripped:
                pending = []
    return found


def format_value(value: Any) -> str:
    """A value as its variable would be written: ``true``, ``a,b``, ``key=value,key=value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return format_value(value.value)
    if isinstance(value, float):
        return f"{value:g}" if value == value and abs(value) < 1e15 else repr(value)
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(item, Mapping):  # nested: key@inner=value
                items += [
                    f"{format_value(key)}@{format_value(k)}={format_value(v)}"
                    for k, v in item.items()
                ]
            else:
                items.append(f"{format_value(key)}={format_value(item)}")
        return ",".join(items)
    if isinstance(value, list | tuple | set | frozenset):
        parts = []
        for item in value:
            if isinstance(item, tuple) and len(item) == 2:
                key, inner = item
                parts.append(f"{'*' if key is None else format_value(key)}={format_value(inner)}")
            else:
                parts.append(format_value(item))
        return ",".join(parts)
    return str(value)


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """The one map syntax: ``key=value,key=value`` (blanks dropped). ``key:value`` is still
    read, for settings written before the syntax was unified."""
    pairs = []
    for item in parse_list(text):
        key, sep, value = item.partition("=")
        if not sep:
            key, sep, value = item.partition(":")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"expected key=value, got {item!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def secret_env_names(cls: type[Any]) -> list[str]:
    """The variables of ``cls`` declared ``secret=True`` (never echoed, never in manifests as values)."""
    return [
        _resolve(cls, f.metadata[_META].name)
        for f in dataclasses.fields(cls)
        if _META in f.metadata and f.metadata[_META].secret
    ]


def load(cls: type[S], environ: Mapping[str, str] | None = None, **overrides: Any) -> S:
    """Build ``cls`` from ``environ`` (default ``os.environ``); ``overrides`` win."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in overrides:
            values[f.name] = overrides[f.name]
            continue
        spec: _Spec | None = f.metadata.get(_META)
        if spec is None:
            continue
        name = _resolve(cls, spec.name)
        # A secret may also come from the file named by NAME_FILE (Kubernetes/compose secrets).
        raw = secret_value(env, name) if spec.secret else env.get(name)
        if raw is None or raw == "":
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{name} is required but not set")
            continue
        try:
            values[f.name] = spec.parse(raw)
        except (ValueError, TypeError) as exc:
            shown = "<secret>" if spec.secret else repr(raw)
            raise ConfigError(f"{name}={shown} is invalid: {exc}") from None
    return cls(**values)


def load_or_exit(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """:func:`load` for process start-up: a bad setting stops the process with exit code 2
    and one line on stderr naming the variable."""
    try:
        return load(cls, environ)
    except ConfigError as exc:
        print(f"factoryfinder: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


# --- parsers -----------------------------------------------------------------


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true/false")


def int_range(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text.strip())
        if low is not None and value < low:
            raise ValueError(f"must be >= {low}")
        if high is not None and value > high:
            raise ValueError(f"must be <= {high}")
        return value

    return parse


def float_range(low: float | None = None, high: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text.strip())
        if value != value:  # NaN
            raise ValueError("not a number")
        if low is not None and value < low:
            raise ValueError(f"must be >= {low}")
        if high is not None and value > high:
            raise ValueError(f"must be <= {high}")
        return value

    return parse


def parse_list(text: str) -> list[str]:
    """Comma-separated values, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def one_of(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def secret_value(environ: Mapping[str, str], name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Kubernetes style)."""
    direct = environ.get(name)
    if direct:
        return direct.strip()
    path = environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """Settings every gRPC service shares; subclasses set ``ENV_PREFIX``."""

    ENV_PREFIX: ClassVar[str] = "FF"

    # Address the gRPC server listens on (0.0.0.0 in containers).
    host: str = setting("{prefix}_HOST", "127.0.0.1")
    # Port of the gRPC server; 0 = any free port (the real one is printed). A port in use is
    # refused.
    port: int = setting("{prefix}_PORT", 0, parse=int_range(0, 65535))
    # Port of the Prometheus /metrics endpoint; -1 = off, 0 = any free port.
    metrics_port: int = setting("{prefix}_METRICS_PORT", -1, parse=int_range(-1, 65535))
    # Largest gRPC message received or sent, in bytes.
    max_message_bytes: int = setting(
        "{prefix}_MAX_MESSAGE_BYTES", 32 * 1024 * 1024, parse=int_range(1024, 1 << 30)
    )
    # On SIGTERM, how long in-flight calls may finish before they are cancelled.
    grace_seconds: float = setting("{prefix}_GRACE_SECONDS", 10.0, parse=float_range(0, 600))
    # Time between turning health NOT_SERVING and refusing new calls, so load
    # balancers and the mesh stop routing here first.
    drain_delay_seconds: float = setting(
        "{prefix}_DRAIN_DELAY_SECONDS", 1.0, parse=float_range(0, 120)
    )
    # Lowest level of the JSON log lines written: DEBUG, INFO, WARNING or ERROR.
    log_level: str = setting(
        "{prefix}_LOG_LEVEL", "INFO", parse=one_of("DEBUG", "INFO", "WARNING", "ERROR")
    )
