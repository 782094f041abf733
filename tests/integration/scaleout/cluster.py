"""A whole set on one machine, as real processes: the sandbox, N preprocess and M
gateway replicas, ranking, planning and one aggregator in front.

The sandbox's admin API counts what reached the "upstream"; each child logs
to its own file under ``log_dir``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from factoryfinder.v1 import common_pb2, search_pb2, search_pb2_grpc

from services.cli import provisioning
from services.cli.launcher import Child, spawn_service, stop_all, wait_serving
from services.sandbox.admin.client import SandboxAdmin

API_KEY = "scale-out-key"
UPLOAD = "product.image.upload"
QUERY = "product.search.imageQuery"
_CALL_TIMEOUT_S = 120


@dataclass
class Cluster:
    children: list[Child]
    app_key: str

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.children[0].address}"

    @property
    def aggregator(self) -> Child:
        return self.children[-1]

    def replicas(self, name: str) -> list[Child]:
        return [child for child in self.children if child.name == name]

    async def calls(self, api: str) -> int:
        async with SandboxAdmin(self.sandbox_url) as admin:
            return await admin.call_count(self.app_key, api)

    async def stop(self) -> None:
        await stop_all(self.children)


async def start_cluster(
    log_dir: Path,
    *,
    preprocess: int = 1,
    gateways: int = 1,
    gateway_env: Mapping[str, str] | None = None,
) -> Cluster:
    children: list[Child] = []
    try:
        app = provisioning.SandboxApp.fresh()
        sandbox_env = {**app.sandbox_env(), "FF_SANDBOX_QPS_DEFAULT": "0"}
        children.append(await spawn_service("sandbox", sandbox_env, log_dir, "--port", "0"))
        env = await provisioning.gateway_env_for_sandbox(
            f"http://{children[0].address}", app, log_dir, {}
        )
        env.update(FF_GATEWAY_QPS="1000", FF_GATEWAY_BURST="1000", **(gateway_env or {}))
        plan = [("preprocess", {"FF_PREPROCESS_WORKERS": "1"})] * preprocess
        plan += [("gateway", env)] * gateways + [("ranking", {}), ("planning", {})]
        for index, (name, service_env) in enumerate(plan):
            children.append(
                await spawn_service(name, service_env, log_dir, log_name=f"{name}-{index}")
            )
        by_kind: dict[str, list[str]] = {}
        for child in children[1:]:
            by_kind.setdefault(child.name, []).append(child.address)
        addresses = {kind: ",".join(found) for kind, found in by_kind.items()}
        aggregator_env = provisioning.aggregator_env(addresses, 0, API_KEY, "scale")
        children.append(await spawn_service("aggregator", aggregator_env, log_dir))
        await asyncio.gather(*(wait_serving(c.address) for c in children[1:]))
        return Cluster(children, app.app_key)
    except BaseException:
        await stop_all(children)
        raise


class Caller:
    """The public API of a cluster's aggregator, as a client sees it."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = search_pb2_grpc.SearchServiceStub(channel)

    async def search(
        self, data: bytes = b"", page_token: str = ""
    ) -> search_pb2.SearchByImageResponse:
        request = search_pb2.SearchByImageRequest(page_token=page_token)
        if data:
            request.photo.CopyFrom(common_pb2.Photo(image_data=data))
        response: search_pb2.SearchByImageResponse = await self._stub.SearchByImage(
            request, metadata=(("authorization", f"Bearer {API_KEY}"),), timeout=_CALL_TIMEOUT_S
        )
        return response


def spent(response: search_pb2.SearchByImageResponse, api: str) -> int:
    return sum(line.calls for line in response.quota_spent if line.api == api)
