"""1688 replayed from real bodies: the captures in ``../shared/real-1688/`` behind a
local HTTP server on 127.0.0.1 that checks the gateway's signed calls like 1688 does.

Each test says which body answers which API (``Replay.routes``). A payload can be
served in 1688's own envelope ``{"result": {"success", "code", "message", "result"}}``
or in the relay's ``{code|success, data}`` (how most captures were relayed).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from shared.aop_signing import verify

# The team's captures live beside the project (``../shared/real-1688`` from its root).
REAL_DIR = Path(
    os.environ.get("FF_REAL_1688_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared" / "real-1688"
)
APP_KEY = "3344556"
SECRET = "replay-secret-0123"
TOKEN = "replay-token-0123"
ENVELOPES = ("1688", "relay")


def load(name: str) -> Any:
    """A capture as JSON (fails the test when the folder or file is missing)."""
    return json.loads((REAL_DIR / name).read_text(encoding="utf-8"))


def payload(body: Any) -> Any:
    """What 1688 calls ``result.result``, out of either envelope."""
    if "data" in body and ("code" in body or "success" in body):
        return body["data"]
    return body["result"]["result"]


def served(name: str, envelope: str) -> Any:
    """Capture ``name`` in ``envelope``; 1688's own is rebuilt around the payload (its doc
    sample's ``success`` is the placeholder "是否成功")."""
    body = load(name)
    inner = payload(body)
    if envelope == "1688":
        return {"result": {"success": True, "code": "200", "message": "", "result": inner}}
    return body if "data" in body else {"code": 200, "message": "操作成功", "data": inner}


def outside_pool(offer_id: object) -> Any:
    """queryProductDetail's refusal of an offer outside its curated pool, inside a 200."""
    message = f"offerId:{offer_id} 不是精选货源商品"
    return {"result": {"success": False, "code": "500", "message": message}}


@dataclass(frozen=True)
class Reply:
    body: Any
    status: int = 200


Route = Callable[[dict[str, str]], Reply]


@dataclass
class Replay:
    """The server. ``routes[api]`` answers each call of ``api`` from its form params."""

    routes: dict[str, Route] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/openapi"

    def called(self, api: str) -> list[dict[str, str]]:
        return [form for name, form in self.calls if name == api]

    def answer(self, path: str, form: dict[str, str]) -> Reply:
        relative = path.removeprefix("/openapi/")
        api = relative.split("/")[3]
        self.calls.append((api, form))
        if api == "currentTime":
            return Reply({"result": int(time.time() * 1000)})
        if not verify(relative, form, SECRET):
            return Reply({"error_code": "gw.SignatureInvalid", "error_message": "bad"}, 400)
        route = self.routes.get(api)
        if route is None:
            return Reply({"error_code": "gw.APIUnsupported", "error_message": api}, 400)
        if api != "getToken" and form.get("access_token") != TOKEN:
            return Reply(load("error__401_request_need_user_authorized.json"), 401)
        return route(form)

    def start(self) -> None:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reply = replay.answer(self.path, dict(parse_qsl(raw.decode())))
                data = json.dumps(reply.body, ensure_ascii=False).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def always(body: Any, status: int = 200) -> Route:
    return lambda form: Reply(body, status)


def gateway_env(replay: Replay, **extra: str) -> dict[str, str]:
    env = {
        "FF_GATEWAY_UPSTREAM_URL": replay.url,
        "FF_GATEWAY_APP_KEY": APP_KEY,
        "FF_GATEWAY_APP_SECRET": SECRET,
        "FF_GATEWAY_ACCESS_TOKEN": TOKEN,
        "FF_GATEWAY_REFRESH_TOKEN": "replay-refresh-0123",
        "FF_GATEWAY_STORE_URL": "memory://",
        "FF_GATEWAY_PORT": "0",
        "FF_GATEWAY_DRAIN_DELAY_SECONDS": "0",
        "FF_GATEWAY_GRACE_SECONDS": "0",
        "FF_GATEWAY_MAX_ATTEMPTS": "3",
        "FF_GATEWAY_RETRY_BASE_DELAY_S": "0.02",
        "FF_GATEWAY_RETRY_MAX_DELAY_S": "0.05",
        "FF_GATEWAY_FREQUENCY_BACKOFF_S": "0.05",
        "FF_GATEWAY_QPS": "500",
        "FF_GATEWAY_BURST": "100",
    }
    env.update(extra)
    return env
