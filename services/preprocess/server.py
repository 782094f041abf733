"""PreprocessService over gRPC: protobuf in, the prepared JPEG out.

The rules live in ``pipeline.py`` and the modules it uses; this module only
takes the photo out of the request (bytes, or a URL fetched by
``url_fetch.py``), hands it to the worker processes (``worker_pool.py``) so
the event loop never decodes, and maps results and rejections to protobuf:
a bad photo is INVALID_ARGUMENT (a failed fetch UNAVAILABLE) with a
``BadRequest`` field violation and an ``ErrorInfo`` reason.
"""

from __future__ import annotations

import grpc
from factoryfinder.v1 import common_pb2, preprocess_pb2, preprocess_pb2_grpc

from services.preprocess.enhancement import PhotoRole
from services.preprocess.image_comparison import Candidate, Comparison, ImageComparer
from services.preprocess.offer_images import FetchLimits, OfferImageFetcher
from services.preprocess.pipeline import PreparedPhoto
from services.preprocess.rejections import URL_FIELD, ImageRejected, Reason
from services.preprocess.settings import PreprocessSettings
from services.preprocess.url_fetch import UrlFetcher
from services.preprocess.visual_similarity import GridComparator, UnreadableImage
from services.preprocess.worker_pool import WorkerPool
from shared.config import load_or_exit
from shared.errors import Code, FieldViolation, ServiceError, invalid_argument
from shared.grpc_server import RunningServer, ServiceSpec, run, start_server

SERVICE_NAME = preprocess_pb2.DESCRIPTOR.services_by_name["PreprocessService"].full_name

_ROLES = {
    common_pb2.PHOTO_ROLE_UNSPECIFIED: PhotoRole.PRODUCT,
    common_pb2.PHOTO_ROLE_PRODUCT: PhotoRole.PRODUCT,
    common_pb2.PHOTO_ROLE_DETAIL: PhotoRole.DETAIL,
    common_pb2.PHOTO_ROLE_SCENE: PhotoRole.SCENE,
}


def rejection_error(rejected: ImageRejected) -> ServiceError:
    """The rich status for a refused photo: which field, and a reason callers can switch on."""
    code = (
        Code.UNAVAILABLE if rejected.reason == Reason.IMAGE_FETCH_FAILED else Code.INVALID_ARGUMENT
    )
    return ServiceError(
        code,
        rejected.reason,
        rejected.message,
        field_violations=(FieldViolation(rejected.field, rejected.message),),
    )


def response_for(prepared: PreparedPhoto) -> preprocess_pb2.PrepareImageResponse:
    return preprocess_pb2.PrepareImageResponse(
        image=common_pb2.PreparedImage(
            jpeg=prepared.jpeg,
            width=prepared.width,
            height=prepared.height,
            sha256=prepared.sha256,
            phash=prepared.phash,
        ),
        report=common_pb2.ImageReport(
            source_format=prepared.source_format,
            source_width=prepared.source_width,
            source_height=prepared.source_height,
            source_byte_size=prepared.source_byte_size,
            output_byte_size=prepared.byte_size,
            jpeg_quality=prepared.jpeg_quality,
            steps=prepared.steps,
            warnings=prepared.warnings,
        ),
    )


def comparison_response(comparison: Comparison) -> preprocess_pb2.CompareImagesResponse:
    response = preprocess_pb2.CompareImagesResponse(method=comparison.method)
    for outcome in comparison.outcomes:
        response.comparisons.append(
            preprocess_pb2.ImageComparison(
                id=outcome.id,
                match=common_pb2.VisualMatch(
                    compared=outcome.compared,
                    similarity=outcome.similarity,
                    unavailable_reason=outcome.reason,
                ),
                phash=outcome.phash,
                from_cache=outcome.from_cache,
            )
        )
    for pair in comparison.pairs:
        response.similar_pairs.append(
            common_pb2.ImagePair(
                first_offer_id=pair.first,
                second_offer_id=pair.second,
                similarity=pair.similarity,
                wider_offer_id=pair.wider,
            )
        )
    return response


def fetch_limits(settings: PreprocessSettings) -> FetchLimits:
    return FetchLimits(
        hosts=tuple(settings.image_hosts),
        max_bytes=settings.image_max_bytes,
        timeout_s=settings.image_timeout_seconds,
        concurrency=settings.image_fetch_concurrency,
        cache_bytes=settings.image_cache_bytes,
        allow_private=settings.allow_private_urls,
    )


def _role(photo: common_pb2.Photo) -> PhotoRole:
    role = _ROLES.get(photo.role)
    if role is None:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"unknown photo role {photo.role}",
            FieldViolation("photo.role", "PRODUCT, DETAIL or SCENE"),
        )
    return role


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
        role = _role(photo)
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
        try:
            prepared = await self._prepare(request.photo)
        except ImageRejected as rejected:
            raise rejection_error(rejected) from None
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
        try:
            comparison = await self._comparer.compare(request.query_jpeg, candidates)
        except UnreadableImage as exc:
            raise invalid_argument(
                Reason.NOT_AN_IMAGE.value,
                f"query_jpeg is not an image: {exc}",
                FieldViolation("query_jpeg", "the prepared photo (PreparedImage.jpeg)"),
            ) from None
        return comparison_response(comparison)


async def build(settings: PreprocessSettings) -> ServiceSpec:
    pool = WorkerPool(settings)
    fetcher = UrlFetcher(settings)
    images = OfferImageFetcher(fetch_limits(settings))
    comparer = ImageComparer(
        images, GridComparator(), settings.image_max_pixels, settings.cached_descriptions
    )
    servicer = PreprocessServicer(pool, fetcher, comparer, settings)

    def register(server: grpc.aio.Server) -> None:
        preprocess_pb2_grpc.add_PreprocessServiceServicer_to_server(servicer, server)

    async def on_start() -> None:
        await pool.start()

    async def on_stop() -> None:
        await fetcher.close()
        await images.close()
        await pool.close()

    return ServiceSpec("preprocess", [SERVICE_NAME], register, on_start, on_stop)


async def create_server(settings: PreprocessSettings) -> RunningServer:
    """Start a preprocess server (port 0 in settings = any free port; see ``.port``)."""
    return await start_server(await build(settings), settings)


def main(argv: list[str]) -> int:
    settings = load_or_exit(PreprocessSettings)

    async def spec() -> ServiceSpec:
        return await build(settings)

    return run("preprocess", spec, settings)
