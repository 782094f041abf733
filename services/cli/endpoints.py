"""Where a running ``factoryfinder up`` can be found without exports.

``up`` writes its endpoints and the development API key to one well-known file
(``$FF_ENDPOINTS_FILE``, else ``$XDG_STATE_HOME/factoryfinder/endpoints.json``, else
``~/.local/state/factoryfinder/endpoints.json``), readable by its owner only, and removes
it when it stops. The client commands read it when neither ``--target``/``--api-key`` nor
``FF_TARGET``/``FF_API_KEY`` say otherwise, so a second terminal needs no exports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_TARGET = "127.0.0.1:50051"


def well_known_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("FF_ENDPOINTS_FILE"):
        return Path(env["FF_ENDPOINTS_FILE"]).expanduser()
    state = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")) / ".local" / "state")
    return Path(state).expanduser() / "factoryfinder" / "endpoints.json"


def write(path: Path, endpoints: Mapping[str, str]) -> None:
    """Atomically (readers that poll never see it half written), owner-only (it holds a key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(dict(endpoints), indent=2))
    partial.replace(path)


def remove_if_ours(path: Path, api_key: str) -> None:
    """Remove the file unless another ``up`` has replaced it since."""
    if read(path).get("api_key") == api_key:
        path.unlink(missing_ok=True)


def read(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def resolve(target: str, api_key: str) -> tuple[str, str]:
    """Flags/variables first, then the running set's file, then the default port."""
    if target and api_key:
        return target, api_key
    found = read(well_known_path())
    if not target:
        target = found.get("aggregator", DEFAULT_TARGET)
        # The key belongs to the set in the file; only take it for that set's address.
        if not api_key and target == found.get("aggregator"):
            api_key = found.get("api_key", "")
    elif not api_key and target == found.get("aggregator"):
        api_key = found.get("api_key", "")
    return target, api_key
