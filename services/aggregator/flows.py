"""The public API's flows: which internal service is asked what, in which order.

single search:  preprocess → gateway → preprocess (compare: factoryfinder's own eye) → ranking
verification:   (preprocess → gateway → compare the offers no other photo brought yet) per
                photo, concurrently → compare each photo with the other offers found, and
                look for near-duplicates among all of them once → combine → ranking
plan:           the order checked (shared.order_spec: nothing is paid for a bad one) →
                gateway detail per offer, concurrently → ranking (customization
                inference with evidence) → planning
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from factoryfinder.v1 import (
    common_pb2,
    gateway_pb2,
    planning_pb2,
    preprocess_pb2,
    ranking_pb2,
    search_pb2,
)
from google.protobuf import duration_pb2

from services.aggregator import verification, visual
from services.aggregator.downstream import CallScope, Downstream
from shared.errors import Code, FieldViolation, ServiceError, invalid_argument
from shared.grpc_errors import to_status_proto
from shared.order_spec import checked_order

MIN_PHOTOS, MAX_PHOTOS = 2, 6
_CONFIDENCE = {
    verification.Confidence.HIGH: search_pb2.CONFIDENCE_HIGH,
    verification.Confidence.MEDIUM: search_pb2.CONFIDENCE_MEDIUM,
    verification.Confidence.LOW: search_pb2.CONFIDENCE_LOW,
}


class Timings:
    def __init__(self) -> None:
        self._started = time.perf_counter()
        self.stages: list[common_pb2.StageTiming] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        duration = duration_pb2.Duration()
        duration.FromNanoseconds(int(seconds * 1e9))
        self.stages.append(common_pb2.StageTiming(stage=name, duration=duration))

    def finish(self) -> list[common_pb2.StageTiming]:
        self.add("total", time.perf_counter() - self._started)
        return self.stages


def merge_spend(*spends: Iterable[common_pb2.QuotaSpend]) -> list[common_pb2.QuotaSpend]:
    total: Counter[str] = Counter()
    for spend in spends:
        for line in spend:
            total[line.api] += line.calls
    return [common_pb2.QuotaSpend(api=api, calls=calls) for api, calls in sorted(total.items())]


def _check_photo(photo: common_pb2.Photo, field: str) -> None:
    if photo.WhichOneof("source") is None:
        raise invalid_argument(
            "INVALID_REQUEST",
            "a photo needs image_data or image_url",
            FieldViolation(field, "set image_data (bytes) or image_url (http/https)"),
        )


# How the aggregator builds the gateway's and ranking's requests from the caller's: a field
# that one of them names in its BadRequest is renamed to the field of the caller's request
# it came from (SearchByImage, VerifyByImages and BatchSearch all carry ``options``), so a
# caller reads "options.filters.price_min", not the gateway's "price_min". The photo's path
# is the caller's ("photo", or "photos[i]" in a verification).
_GATEWAY_FIELDS = {
    "image": "{photo}",
    "subject": "{photo}.subject",
    "page_size": "options.page_size",
    "page_token": "page_token",
    "enrich_top_k": "options.enrich_top_k",
    "locale": "options.locale",
    "keyword": "options.keyword",
    "category_id": "options.filters.category_id",
    "price_min": "options.filters.price_min",
    "price_max": "options.filters.price_max",
    "certified_factory_only": "options.filters.certified_factory_only",
}
_RANKING_FIELDS = {
    "filters": "options.filters",
    "profile": "options.profile",
    "locale": "options.locale",
}


def caller_path(field: str, table: Mapping[str, str], photo: str = "photo") -> str:
    """``field`` of a downstream request as the path of the caller's field it came from;
    unchanged when the caller has no such field (the aggregator made it)."""
    head, dot, rest = field.partition(".")
    if head not in table:
        return field
    return table[head].format(photo=photo) + dot + rest


@contextmanager
def _caller_paths(table: Mapping[str, str], photo: str = "photo") -> Iterator[None]:
    try:
        yield
    except ServiceError as error:
        error.field_violations = tuple(
            FieldViolation(caller_path(v.field, table, photo), v.description)
            for v in error.field_violations
        )
        raise


def _gateway_request(
    image: common_pb2.PreparedImage | None,
    options: search_pb2.SearchOptions,
    page_token: str = "",
    photo: common_pb2.Photo | None = None,
) -> gateway_pb2.SearchOffersRequest:
    filters = options.filters
    request = gateway_pb2.SearchOffersRequest(
        page_size=options.page_size,
        page_token=page_token,
        category_id=filters.category_id,
        certified_factory_only=filters.certified_factory_only,
        enrich_top_k=options.enrich_top_k,
        locale=options.locale,
        keyword=options.keyword,
    )
    if image is not None:
        request.image.CopyFrom(image)
    if photo is not None and photo.HasField("subject"):
        request.subject.CopyFrom(photo.subject)
    if filters.HasField("price_min"):
        request.price_min.CopyFrom(filters.price_min)
    if filters.HasField("price_max"):
        request.price_max.CopyFrom(filters.price_max)
    return request


def _rank_request(
    offers: Iterable[common_pb2.Offer],
    options: search_pb2.SearchOptions,
    pairs: Iterable[common_pb2.ImagePair] = (),
) -> ranking_pb2.RankOffersRequest:
    return ranking_pb2.RankOffersRequest(
        offers=offers,
        filters=options.filters,
        profile=options.profile,
        locale=options.locale,
        image_pairs=pairs,
    )


async def _compare(
    ds: Downstream,
    query_jpeg: bytes,
    offers: Iterable[common_pb2.Offer],
    scope: CallScope,
    pairs: bool = True,
) -> preprocess_pb2.CompareImagesResponse | str:
    """The comparison, or why there is none (a failure degrades the search, never fails it)."""
    request = visual.compare_request(query_jpeg, offers, pairs)
    if not request.candidates:
        return preprocess_pb2.CompareImagesResponse()
    budget = min(ds.compare_timeout, scope.remaining() - ds.compare_reserve)
    if budget <= 0:
        return "visual comparison skipped: too little time left before the deadline"
    try:
        return await ds.compare(request, scope, budget)
    except ServiceError as exc:
        return f"visual comparison unavailable ({exc.reason})"


async def _prepare(
    ds: Downstream, photo: common_pb2.Photo, scope: CallScope, timings: Timings, label: str
) -> preprocess_pb2.PrepareImageResponse:
    with timings.stage(f"preprocess{label}"):
        return await ds.prepare(preprocess_pb2.PrepareImageRequest(photo=photo), scope)


async def search_by_image(
    ds: Downstream, request: search_pb2.SearchByImageRequest, scope: CallScope
) -> search_pb2.SearchByImageResponse:
    timings = Timings()
    has_photo = request.HasField("photo") and request.photo.WhichOneof("source") is not None
    if not has_photo and not request.page_token:
        _check_photo(request.photo, "photo")
    response = search_pb2.SearchByImageResponse(request_id=scope.request_id)
    image = None
    if has_photo:
        prepared = await _prepare(ds, request.photo, scope, timings, "")
        image = prepared.image
        response.image.CopyFrom(prepared.report)
    with timings.stage("gateway"), _caller_paths(_GATEWAY_FIELDS):
        found = await ds.search(
            _gateway_request(image, request.options, request.page_token, request.photo), scope
        )
    offers = list(found.offers)
    pairs: list[common_pb2.ImagePair] = []
    if image is None:
        visual.mark_unavailable(offers, "no photo in this request (a page token alone)")
    else:
        with timings.stage("compare"):
            compared = await _compare(ds, image.jpeg, offers, scope)
        if isinstance(compared, str):
            visual.mark_unavailable(offers, compared)
        else:
            visual.apply(offers, compared)
            pairs = list(compared.similar_pairs)
    with timings.stage("ranking"), _caller_paths(_RANKING_FIELDS):
        ranked = await ds.rank(_rank_request(offers, request.options, pairs), scope)
    response.answer.CopyFrom(ranked.answer)
    if found.HasField("picture_regions"):
        response.picture_regions.CopyFrom(found.picture_regions)
    response.offers.extend(ranked.offers)
    response.groups.extend(ranked.groups)
    response.analysis.CopyFrom(ranked.analysis)
    response.filter_reports.extend(ranked.filter_reports)
    response.next_page_token = found.next_page_token
    response.total_results = found.total_results
    response.from_cache = found.from_cache
    response.quota_spent.extend(merge_spend(found.quota_spent))
    response.enriched_count = found.enriched_count
    response.timings.extend(timings.finish())
    return response


@dataclass(frozen=True)
class _PhotoResult:
    prepared: preprocess_pb2.PrepareImageResponse
    found: gateway_pb2.SearchOffersResponse
    # The photo compared with the offers it brought first (see _search_photo).
    compared: preprocess_pb2.CompareImagesResponse | str


async def _search_photo(
    ds: Downstream,
    index: int,
    photo: common_pb2.Photo,
    options: search_pb2.SearchOptions,
    scope: CallScope,
    timings: Timings,
    brought: set[str],
) -> _PhotoResult:
    """One photo's search, compared at once with the offers no other photo has brought yet
    (``brought`` is shared by the photos): photos of one product find mostly the same
    offers, and comparisons that run at once would each download and describe the same
    images. Each image is described once here, while the other photos' searches are still
    with the upstream; the round after the searches compares each photo with the rest from
    the descriptions by then in preprocess's cache. No near-duplicate pairs here: they
    are looked for once, over every offer, in that round."""
    prepared = await _prepare(ds, photo, scope, timings, f"[{index}]")
    with timings.stage(f"gateway[{index}]"), _caller_paths(_GATEWAY_FIELDS, f"photos[{index}]"):
        found = await ds.search(_gateway_request(prepared.image, options, photo=photo), scope)
    first = [offer for offer in found.offers if offer.offer_id not in brought]
    brought.update(offer.offer_id for offer in first)
    with timings.stage(f"compare[{index}]"):
        compared = await _compare(ds, prepared.image.jpeg, first, scope, pairs=False)
    return _PhotoResult(prepared, found, compared)


def _outcome(index: int, result: _PhotoResult | BaseException) -> search_pb2.PhotoOutcome:
    if isinstance(result, ServiceError):
        return search_pb2.PhotoOutcome(index=index, ok=False, error=to_status_proto(result))
    if isinstance(result, BaseException):
        raise result
    return search_pb2.PhotoOutcome(
        index=index,
        ok=True,
        offers_found=len(result.found.offers),
        image=result.prepared.report,
        from_cache=result.found.from_cache,
    )


async def _cross_compare(
    ds: Downstream,
    results: Sequence[tuple[int, _PhotoResult]],
    offers: Mapping[str, common_pb2.Offer],
    scope: CallScope,
) -> tuple[dict[str, dict[int, visual.Seen]], list[common_pb2.ImagePair]]:
    """Every photo's measured view of every offer any photo found, and the near-duplicate
    pairs among each photo's own offers.

    Each photo is compared with the offers its first comparison left out. Pairs do not
    depend on the photo, so they are looked for once, by the first photo's call, over
    every offer (its own first, in the upstream's order), and kept when one photo found
    both offers, as a comparison of each photo's own offers finds them. A photo whose first
    comparison failed is not asked again (preprocess is down or the deadline is near) and
    keeps no view."""
    asking = [(i, r) for i, r in results if not isinstance(r.compared, str)]
    pairing = asking[0][0] if asking else None

    async def rest(
        index: int, result: _PhotoResult
    ) -> tuple[int, dict[str, visual.Seen], Sequence[common_pb2.ImagePair]]:
        assert not isinstance(result.compared, str)
        seen = visual.outcomes(result.compared)
        if index == pairing:
            own = {offer.offer_id for offer in result.found.offers}
            others = [o for offer_id, o in offers.items() if offer_id not in own]
            wanted = [*result.found.offers, *others]
        else:
            wanted = [o for offer_id, o in offers.items() if offer_id not in seen]
        more = await _compare(ds, result.prepared.image.jpeg, wanted, scope, pairs=index == pairing)
        if isinstance(more, str):
            return index, seen, ()
        seen.update(visual.outcomes(more))
        return index, seen, more.similar_pairs

    views = await asyncio.gather(*(rest(i, r) for i, r in asking))
    measured: dict[str, dict[int, visual.Seen]] = {}
    for index, seen, _pairs in views:
        for offer_id, one in seen.items():
            measured.setdefault(offer_id, {})[index] = one
    found_together = [{o.offer_id for o in r.found.offers} for _i, r in results]
    pairs = [
        pair
        for _index, _seen, found in views
        for pair in found
        if any({pair.first_offer_id, pair.second_offer_id} <= ids for ids in found_together)
    ]
    return measured, visual.pairs_of([pairs])


def _check_photo_count(count: int) -> None:
    if not MIN_PHOTOS <= count <= MAX_PHOTOS:
        raise ServiceError(
            Code.INVALID_ARGUMENT,
            "PHOTO_COUNT",
            f"verification takes {MIN_PHOTOS} to {MAX_PHOTOS} photos, got {count}",
            field_violations=[
                FieldViolation("photos", f"give {MIN_PHOTOS} to {MAX_PHOTOS} photos")
            ],
        )


_VERIFY_MODES = (
    search_pb2.VERIFY_MODE_UNSPECIFIED,
    search_pb2.VERIFY_MODE_STRICT,
    search_pb2.VERIFY_MODE_CONSENSUS,
)


def _check_agreement(request: search_pb2.VerifyByImagesRequest) -> None:
    """A mode we know and a ``min_photos`` the photos can meet, before any search is paid."""
    problem = None
    if request.mode not in _VERIFY_MODES:
        problem = FieldViolation("mode", f"must be STRICT or CONSENSUS, not {request.mode}")
    elif not 0 <= request.min_photos <= len(request.photos):
        problem = FieldViolation(
            "min_photos",
            f"must be from 0 (the default) to the {len(request.photos)} photos given, "
            f"not {request.min_photos}",
        )
    if problem is not None:
        raise invalid_argument("INVALID_REQUEST", f"{problem.field} {problem.description}", problem)


async def verify_by_images(
    ds: Downstream, request: search_pb2.VerifyByImagesRequest, scope: CallScope
) -> search_pb2.VerifyByImagesResponse:
    _check_photo_count(len(request.photos))
    _check_agreement(request)
    for index, photo in enumerate(request.photos):
        _check_photo(photo, f"photos[{index}]")
    timings = Timings()
    brought: set[str] = set()
    results = await asyncio.gather(
        *(
            _search_photo(ds, i, photo, request.options, scope, timings, brought)
            for i, photo in enumerate(request.photos)
        ),
        return_exceptions=True,
    )
    outcomes = [_outcome(i, result) for i, result in enumerate(results)]
    succeeded = [(i, r) for i, r in enumerate(results) if not isinstance(r, BaseException)]
    if len(succeeded) < MIN_PHOTOS:
        failures = {f"photo_{o.index}": o.error.message for o in outcomes if not o.ok}
        raise ServiceError(
            Code.FAILED_PRECONDITION,
            "TOO_FEW_PHOTOS",
            f"only {len(succeeded)} of {len(outcomes)} photos could be searched; 2 are needed",
            metadata=failures,
        )
    mode = (
        verification.Mode.STRICT
        if request.mode == search_pb2.VERIFY_MODE_STRICT
        else verification.Mode.CONSENSUS
    )
    required = verification.required_photos(
        mode, request.min_photos, len(request.photos), len(succeeded)
    )
    offers: dict[str, common_pb2.Offer] = {}
    best_rank: dict[str, int] = {}
    for _index, result in succeeded:
        for offer in result.found.offers:
            offers.setdefault(offer.offer_id, offer)
            if offer.upstream_rank > 0:
                kept = best_rank.get(offer.offer_id, offer.upstream_rank)
                best_rank[offer.offer_id] = min(kept, offer.upstream_rank)
    with timings.stage("compare"):
        views, pairs = await _cross_compare(ds, succeeded, offers, scope)
    measured = {
        offer_id: {i: one.similarity for i, one in seen.items() if one.compared}
        for offer_id, seen in views.items()
    }
    sightings: dict[str, list[verification.Sighting]] = {}
    for index, result in succeeded:
        for offer in result.found.offers:
            one = views.get(offer.offer_id, {}).get(index)
            sightings.setdefault(offer.offer_id, []).append(
                verification.Sighting(index, one.similarity if one and one.compared else 0.0)
            )
    agreements = {
        a.offer_id: a for a in verification.combine(sightings, required, len(succeeded), measured)
    }
    combined = []
    for offer_id, agreement in agreements.items():
        offer = common_pb2.Offer()
        offer.CopyFrom(offers[offer_id])
        # Its best place in any photo's search: the upstream's order, across the photos.
        offer.upstream_rank = best_rank.get(offer_id, 0)
        _set_combined_view(offer, views.get(offer_id, {}), agreement.combined_similarity)
        combined.append(offer)
    with timings.stage("ranking"), _caller_paths(_RANKING_FIELDS):
        ranked = await ds.rank(_rank_request(combined, request.options, pairs), scope)
    response = search_pb2.VerifyByImagesResponse(
        groups=ranked.groups,
        analysis=ranked.analysis,
        photos=outcomes,
        mode=search_pb2.VERIFY_MODE_STRICT
        if mode is verification.Mode.STRICT
        else search_pb2.VERIFY_MODE_CONSENSUS,
        min_photos=required,
        quota_spent=merge_spend(*(result.found.quota_spent for _i, result in succeeded)),
        request_id=scope.request_id,
        filter_reports=ranked.filter_reports,
        answer=ranked.answer,
    )
    for ranked_offer in ranked.offers:
        agreement = agreements[ranked_offer.offer.offer_id]
        response.offers.append(
            search_pb2.VerifiedOffer(
                ranked=ranked_offer,
                combined_similarity=agreement.combined_similarity,
                found_by=agreement.found_by,
                photo_indexes=agreement.photo_indexes,
                confidence=_CONFIDENCE[agreement.confidence],
            )
        )
    response.timings.extend(timings.finish())
    return response


def _set_combined_view(
    offer: common_pb2.Offer, seen: Mapping[int, visual.Seen], combined: float
) -> None:
    """The offer's visual match over every photo: compared when any photo could be."""
    compared = [one for one in seen.values() if one.compared]
    if compared:
        # On the pairs' scale too: the mean over the same photos, when each has one.
        scales = [one.pair_scale for one in compared if one.pair_scale is not None]
        pair_scale = sum(scales) / len(scales) if len(scales) == len(compared) else None
        visual.set_seen(offer, visual.Seen(True, combined, "", compared[0].phash, pair_scale))
        return
    reasons = sorted({one.reason for one in seen.values() if one.reason})
    visual.set_seen(offer, visual.Seen(False, 0.0, "; ".join(reasons) or "not compared"))


async def plan_custom_order(
    ds: Downstream,
    request: search_pb2.PlanCustomOrderRequest,
    scope: CallScope,
    max_offers: int,
) -> search_pb2.PlanCustomOrderResponse:
    offer_ids = list(dict.fromkeys(i.strip() for i in request.offer_ids if i.strip()))
    if not offer_ids or len(offer_ids) > max_offers:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"give 1 to {max_offers} offer ids",
            FieldViolation("offer_ids", f"1 to {max_offers} distinct offer ids"),
        )
    checked_order(request.order)  # a bad order is refused before any detail is paid for
    fetched = await asyncio.gather(
        *(
            ds.detail(
                gateway_pb2.GetOfferDetailRequest(offer_id=i, locale=request.order.locale), scope
            )
            for i in offer_ids
        ),
        return_exceptions=True,
    )
    # One offer that cannot be fetched (gone, declined) is a refusal, not a failed call.
    details = [d for d in fetched if isinstance(d, gateway_pb2.GetOfferDetailResponse)]
    failed = [
        (i, e) for i, e in zip(offer_ids, fetched, strict=True) if isinstance(e, BaseException)
    ]
    for _offer_id, error in failed:
        if not isinstance(error, ServiceError) or not details:
            raise error
    inferred = await ds.rank(
        ranking_pb2.RankOffersRequest(
            offers=[d.offer for d in details], locale=request.order.locale
        ),
        scope,
    )
    by_id = {r.offer.offer_id: r.offer for r in inferred.offers}
    offers = [by_id.get(d.offer.offer_id, d.offer) for d in details]
    plans = await ds.plan(planning_pb2.BuildPlansRequest(offers=offers, order=request.order), scope)
    unfetched = [
        planning_pb2.PlanRefusal(offer_id=offer_id, reason=error.reason, message=error.message)
        for offer_id, error in failed
        if isinstance(error, ServiceError)
    ]
    return search_pb2.PlanCustomOrderResponse(
        plans=plans.plans,
        refusals=[*plans.refusals, *unfetched],
        quota_spent=merge_spend(*(d.quota_spent for d in details)),
        request_id=scope.request_id,
    )


async def get_quota(ds: Downstream, scope: CallScope) -> search_pb2.GetQuotaResponse:
    usage = await ds.quota(scope)
    return search_pb2.GetQuotaResponse(
        tenant=scope.tenant,
        usage=usage.tenant_usage or usage.app_usage,
        app_usage=usage.app_usage,
        resets_at=usage.resets_at,
    )
