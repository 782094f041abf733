"""RankingService over gRPC: protobuf in, ranked offers out.

The rules live in ``ranking.py`` and the modules it calls; this module only
converts messages (``protobuf_mapping.py``); ``errors.py`` turns a rejected request
into its status.
"""

from __future__ import annotations

import grpc
from factoryfinder.v1 import ranking_pb2, ranking_pb2_grpc

from services.ranking.errors import to_service_error
from services.ranking.protobuf_mapping import (
    filters_from_proto,
    offer_from_proto,
    pairs_from_proto,
    response_to_proto,
    unique_offers,
)
from services.ranking.ranking import rank
from services.ranking.settings import RankingSettings
from shared.grpc_server import RunningServer, ServiceSpec, run_service, start_server

SERVICE_NAME = ranking_pb2.DESCRIPTOR.services_by_name["RankingService"].full_name


def rank_offers(
    request: ranking_pb2.RankOffersRequest, settings: RankingSettings
) -> ranking_pb2.RankOffersResponse:
    """One RankOffers call; raises InvalidRequest for a bad request."""
    offers, duplicates = unique_offers(request.offers)
    result = rank(
        [offer_from_proto(o) for o in offers],
        filters_from_proto(request.filters),
        request.profile,
        request.locale,
        settings.grouping_rules(),
        pairs_from_proto(request.image_pairs),
        settings.match_rules(),
    )
    return response_to_proto(result, {o.offer_id: o for o in offers}, duplicates)


class RankingServicer(ranking_pb2_grpc.RankingServiceServicer):
    def __init__(self, settings: RankingSettings) -> None:
        self._settings = settings

    async def RankOffers(
        self,
        request: ranking_pb2.RankOffersRequest,
        context: grpc.aio.ServicerContext[
            ranking_pb2.RankOffersRequest, ranking_pb2.RankOffersResponse
        ],
    ) -> ranking_pb2.RankOffersResponse:
        # CPU only: a worker thread would add no capacity under the GIL; replicas do.
        return rank_offers(request, self._settings)


async def build(settings: RankingSettings) -> ServiceSpec:
    servicer = RankingServicer(settings)

    def register(server: grpc.aio.Server) -> None:
        ranking_pb2_grpc.add_RankingServiceServicer_to_server(servicer, server)

    return ServiceSpec("ranking", [SERVICE_NAME], register, map_error=to_service_error)


async def create_server(settings: RankingSettings) -> RunningServer:
    """Start a ranking server (port 0 in settings = any free port; see ``.port``)."""
    return await start_server(await build(settings), settings)


def main(argv: list[str]) -> int:
    return run_service("ranking", RankingSettings, build)
