"""PreprocessService over gRPC: protobuf in, the prepared JPEG out.

The rules live in ``pipeline.py`` and the modules it uses; this module only
takes the photo out of the request (bytes, or a URL fetched by
``url_fetch.py``), hands it to the worker processes (``worker_pool.py``) so
the event loop never decodes, and answers through ``protobuf_mapping.py``. A refused
photo becomes a rich status in ``errors.py`` (the spec's ``map_error``).
"""

from __future__ import annotations

import grpc
from factoryfinder.v1 import common_pb2, preprocess_pb2, preprocess_pb2_grpc

from services.preprocess.errors import URL_FIELD, ImageRejected, to_service_error
from services.preprocess.image_comparison import Candidate, ImageComparer
from services.preprocess.offer_images import FetchLimits, OfferImageFetcher
from services.preprocess.pipeline import PreparedPhoto
from services.preprocess.protobuf_mapping import comparison_response, photo_role, response_for
from services.preprocess.settings import PreprocessSettings
from services.preprocess.url_fetch import UrlFetcher
from services.preprocess.visual_similarity import GridComparator
from services.preprocess.worker_pool import WorkerPool
from shared.errors import FieldViolation, invalid_argument
from shared.grpc_server import RunningServer, ServiceSpec, run_service, start_server

SERVICE_NAME = preprocess_pb2.DESCRIPTOR.services_by_name["PreprocessService"].full_name


def fetch_limits(settings: PreprocessSettings) -> FetchLimits:
    return FetchLimits(
        hosts=tuple(settings.image_hosts),
        max_bytes=settings.image_max_bytes,
        timeout_s=settings.image_timeout_seconds,
        concurrency=settings.image_fetch_concurrency,
        cache_bytes=settings.image_cache_bytes,
        allow_private=settings.allow_private_urls,
    )


class PreprocessServicer(preprocess_pb2_grpc.PreprocessServiceServicer):
    def __init__(
        self,
        pool: WorkerPool,
        fetcher: UrlFetcher,
        comparer: ImageComparer,
        settings: PreprocessSettings,
    ) -> None:
        self._pool = pool
        self._fetcher = fetcher
        self._comparer = comparer
        self._settings = settings

    async def _prepare(self, photo: common_pb2.Photo) -> PreparedPhoto:
        role = photo_role(photo)
        source = photo.WhichOneof("source")
        if source == "image_data":
            return await self._pool.run(photo.image_data, role)
        if source == "image_url":
            data = await self._fetcher.fetch(photo.image_url)
            try:
                return await self._pool.run(data, role)
            except ImageRejected as rejected:
                raise rejected.for_field(URL_FIELD) from None
        raise invalid_argument(
            "INVALID_REQUEST",
            "the photo has neither image_data nor image_url",
            FieldViolation("photo", "give image_data or image_url"),
        )

    async def PrepareImage(
        self,
        request: preprocess_pb2.PrepareImageRequest,
        context: grpc.aio.ServicerContext[
            preprocess_pb2.PrepareImageRequest, preprocess_pb2.PrepareImageResponse
        ],
    ) -> preprocess_pb2.PrepareImageResponse:
        prepared = await self._prepare(request.photo)
        # The aggregator compares this photo with the offers the upstream finds for it: its
        # description is made meanwhile, off the comparison's critical path.
        self._comparer.describe_ahead(prepared.jpeg)
        return response_for(prepared)

    async def CompareImages(
        self,
        request: preprocess_pb2.CompareImagesRequest,
        context: grpc.aio.ServicerContext[
            preprocess_pb2.CompareImagesRequest, preprocess_pb2.CompareImagesResponse
        ],
    ) -> preprocess_pb2.CompareImagesResponse:
        limit = self._settings.compare_max_candidates
        if len(request.candidates) > limit:
            raise invalid_argument(
                "INVALID_REQUEST",
                f"at most {limit} candidates are compared, got {len(request.candidates)}",
                FieldViolation("candidates", f"give at most {limit}"),
            )
        if not request.query_jpeg:
            raise invalid_argument(
                "INVALID_REQUEST",
                "query_jpeg is empty",
                FieldViolation("query_jpeg", "the prepared photo (PreparedImage.jpeg)"),
            )
        candidates = [Candidate(c.id, c.image_url) for c in request.candidates]
        pairs = not request.skip_similar_pairs
        compared = await self._comparer.compare(request.query_jpeg, candidates, pairs)
        return comparison_response(compared)


async def build(settings: PreprocessSettings) -> ServiceSpec:
    pool = WorkerPool(settings)
    fetcher = UrlFetcher(settings)
    images = OfferImageFetcher(fetch_limits(settings))
    comparer = ImageComparer(
        images,
        GridComparator(),
        settings.image_max_pixels,
        settings.cached_descriptions,
        settings.image_niceness,
    )
    servicer = PreprocessServicer(pool, fetcher, comparer, settings)

    def register(server: grpc.aio.Server) -> None:
        preprocess_pb2_grpc.add_PreprocessServiceServicer_to_server(servicer, server)

    async def on_start() -> None:
        await pool.start()

    async def on_stop() -> None:
        await fetcher.close()
        await images.close()
        comparer.close()
        await pool.close()

    return ServiceSpec(
        "preprocess", [SERVICE_NAME], register, on_start, on_stop, map_error=to_service_error
    )


async def create_server(settings: PreprocessSettings) -> RunningServer:
    """Start a preprocess server (port 0 in settings = any free port; see ``.port``)."""
    return await start_server(await build(settings), settings)


def main(argv: list[str]) -> int:
    return run_service("preprocess", PreprocessSettings, build)
