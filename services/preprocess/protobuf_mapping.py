"""Messages <-> preprocess's domain values: the photo's role in, the prepared photo and the
comparisons out."""

from __future__ import annotations

from factoryfinder.v1 import common_pb2, preprocess_pb2

from services.preprocess.enhancement import PhotoRole
from services.preprocess.image_comparison import Comparison
from services.preprocess.pipeline import PreparedPhoto
from shared.errors import FieldViolation, invalid_argument

_ROLES = {
    common_pb2.PHOTO_ROLE_UNSPECIFIED: PhotoRole.PRODUCT,
    common_pb2.PHOTO_ROLE_PRODUCT: PhotoRole.PRODUCT,
    common_pb2.PHOTO_ROLE_DETAIL: PhotoRole.DETAIL,
    common_pb2.PHOTO_ROLE_SCENE: PhotoRole.SCENE,
}


def photo_role(photo: common_pb2.Photo) -> PhotoRole:
    role = _ROLES.get(photo.role)
    if role is None:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"unknown photo role {photo.role}",
            FieldViolation("photo.role", "PRODUCT, DETAIL or SCENE"),
        )
    return role


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
                    pair_scale_similarity=outcome.pair_scale_similarity or 0.0,
                    has_pair_scale_similarity=outcome.pair_scale_similarity is not None,
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
