"""PlanningService over gRPC: protobuf in, plans out.

The rules live in ``comparison.py`` and ``custom_order_plan.py``; this module
only checks the request's shape, converts messages (``protobuf_mapping.py``)
and turns a single refused offer into FAILED_PRECONDITION, as the contract says.
"""

from __future__ import annotations

import grpc
from factoryfinder.v1 import planning_pb2, planning_pb2_grpc

from services.planning.comparison import compare
from services.planning.errors import refusal_error
from services.planning.protobuf_mapping import (
    comparison_to_proto,
    offer_from_proto,
    order_from_proto,
)
from services.planning.settings import PlanningSettings
from shared.errors import FieldViolation, invalid_argument
from shared.grpc_server import RunningServer, ServiceSpec, run_service, start_server

SERVICE_NAME = planning_pb2.DESCRIPTOR.services_by_name["PlanningService"].full_name


def build_plans(
    request: planning_pb2.BuildPlansRequest, settings: PlanningSettings
) -> planning_pb2.BuildPlansResponse:
    """One BuildPlans call; raises ServiceError for a bad request or a single refused offer."""
    order = order_from_proto(request.order)
    if not 1 <= len(request.offers) <= settings.max_offers:
        limit = f"1 to {settings.max_offers} offers"
        raise invalid_argument(
            "INVALID_REQUEST", f"give {limit}", FieldViolation("offers", f"{limit} with detail")
        )
    comparison = compare([offer_from_proto(o) for o in request.offers], order, settings)
    if len(request.offers) == 1 and comparison.refusals:
        raise refusal_error(comparison.refusals[0])
    return comparison_to_proto(comparison)


class PlanningServicer(planning_pb2_grpc.PlanningServiceServicer):
    def __init__(self, settings: PlanningSettings) -> None:
        self._settings = settings

    async def BuildPlans(
        self,
        request: planning_pb2.BuildPlansRequest,
        context: grpc.aio.ServicerContext[
            planning_pb2.BuildPlansRequest, planning_pb2.BuildPlansResponse
        ],
    ) -> planning_pb2.BuildPlansResponse:
        # Pure arithmetic on a handful of offers: microseconds, no need for a thread.
        return build_plans(request, self._settings)


async def build(settings: PlanningSettings) -> ServiceSpec:
    servicer = PlanningServicer(settings)

    def register(server: grpc.aio.Server) -> None:
        planning_pb2_grpc.add_PlanningServiceServicer_to_server(servicer, server)

    return ServiceSpec("planning", [SERVICE_NAME], register)


async def create_server(settings: PlanningSettings) -> RunningServer:
    """Start a planning server (port 0 in settings = any free port; see ``.port``)."""
    return await start_server(await build(settings), settings)


def main(argv: list[str]) -> int:
    return run_service("planning", PlanningSettings, build)
