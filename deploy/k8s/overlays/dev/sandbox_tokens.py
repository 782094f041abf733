"""Fetch a fresh token pair for the gateway from the sandbox's admin API, as files.

The sandbox keeps its tokens in memory, so a gateway that talks to it gets new ones each time
it starts: the dev overlay runs this as the gateway's init container, deploy/compose.yaml as a
one-shot service. Standard library only, so it runs in any factoryfinder image:

    python sandbox_tokens.py SANDBOX_URL APP_KEY OUT_DIR

writes OUT_DIR/access-token and OUT_DIR/refresh-token. The sandbox's admin token, if it has
one, comes from the environment variable FF_SANDBOX_ADMIN_TOKEN.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

WAIT_SECONDS = 120.0
RETRY_SECONDS = 2.0


def fetch_pair(base_url: str, app_key: str, admin_token: str = "") -> dict[str, Any]:
    """POST /admin/apps/{app_key}/tokens, retrying while the sandbox is still starting."""
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/admin/apps/{app_key}/tokens", data=b"", method="POST"
    )
    if admin_token:
        request.add_header("Authorization", f"Bearer {admin_token}")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                pair: dict[str, Any] = json.load(response)
                return pair
        except urllib.error.HTTPError:
            raise  # the sandbox answered: a wrong app key or admin token will not fix itself
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(RETRY_SECONDS)


def write_pair(pair: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, key in (("access-token", "access_token"), ("refresh-token", "refresh_token")):
        staged = out_dir / f".{name}"
        staged.write_text(str(pair[key]), encoding="utf-8")
        staged.chmod(0o640)
        staged.replace(out_dir / name)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, app_key, out_dir = argv
    pair = fetch_pair(base_url, app_key, os.environ.get("FF_SANDBOX_ADMIN_TOKEN", ""))
    write_pair(pair, Path(out_dir))
    print(f"sandbox tokens for app {app_key} written to {out_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
