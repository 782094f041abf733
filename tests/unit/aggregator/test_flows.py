"""The public flows with the eye: what is asked of preprocess, what lands on the offers and in
the answer, and how a failed comparison degrades instead of failing. The internal services
are stand-ins that record their requests (the real ones are covered end to end)."""

from __future__ import annotations

import time

import pytest
from factoryfinder.v1 import common_pb2, gateway_pb2, preprocess_pb2, ranking_pb2, search_pb2

from services.aggregator import flows
from services.aggregator.downstream import CallScope
from shared.errors import Code, ServiceError


def _scope() -> CallScope:
    return CallScope("req-1", "tenant", time.monotonic() + 30)


def _offer(offer_id: str) -> common_pb2.Offer:
    return common_pb2.Offer(offer_id=offer_id, image_url=f"https://cbu01.alicdn.com/{offer_id}.jpg")


class StandIn:
    """Answers like the internal services would; photo n finds ``found[n]``."""

    compare_timeout = 5.0
    compare_reserve = 0.5

    def __init__(self, found: list[list[str]], similarity: dict[tuple[bytes, str], float]):
        self.found = found
        self.similarity = similarity
        self.compare_fails = False
        self.compared: list[tuple[bytes, list[str]]] = []
        self.paired: list[bytes] = []  # the queries of the comparisons that asked for pairs
        self.searched: list[gateway_pb2.SearchOffersRequest] = []
        self.ranked: list[ranking_pb2.RankOffersRequest] = []

    async def prepare(
        self, request: preprocess_pb2.PrepareImageRequest, scope: CallScope
    ) -> preprocess_pb2.PrepareImageResponse:
        return preprocess_pb2.PrepareImageResponse(
            image=common_pb2.PreparedImage(jpeg=request.photo.image_data)
        )

    async def search(
        self, request: gateway_pb2.SearchOffersRequest, scope: CallScope
    ) -> gateway_pb2.SearchOffersResponse:
        self.searched.append(request)
        index = int(request.image.jpeg.decode()[-1])
        offers = [_offer(i) for i in self.found[index]]
        for rank, offer in enumerate(offers, start=1):
            offer.upstream_rank = rank
        return gateway_pb2.SearchOffersResponse(
            offers=offers,
            picture_regions=common_pb2.PictureRegions(
                searched=common_pb2.SubjectBox(left=0.1, top=0.1, right=0.9, bottom=0.9)
            ),
        )

    async def compare(
        self, request: preprocess_pb2.CompareImagesRequest, scope: CallScope, budget_s: float
    ) -> preprocess_pb2.CompareImagesResponse:
        assert 0 < budget_s <= self.compare_timeout
        self.compared.append((request.query_jpeg, [c.id for c in request.candidates]))
        if self.compare_fails:
            raise ServiceError(Code.UNAVAILABLE, "SERVICE_UNAVAILABLE", "preprocess is down")
        response = preprocess_pb2.CompareImagesResponse(method="test")
        for candidate in request.candidates:
            value = self.similarity.get((request.query_jpeg, candidate.id), 10.0)
            response.comparisons.append(
                preprocess_pb2.ImageComparison(
                    id=candidate.id,
                    # On the pairs' scale: 5 points more (the finer grids mark photos down).
                    match=common_pb2.VisualMatch(
                        compared=True,
                        similarity=value,
                        pair_scale_similarity=value + 5,
                        has_pair_scale_similarity=True,
                    ),
                    phash=7,
                )
            )
        ids = [c.id for c in request.candidates]
        if not request.skip_similar_pairs:
            self.paired.append(request.query_jpeg)
        if "a" in ids and "b" in ids and not request.skip_similar_pairs:
            response.similar_pairs.append(
                common_pb2.ImagePair(first_offer_id="a", second_offer_id="b", similarity=90)
            )
        return response

    async def rank(
        self, request: ranking_pb2.RankOffersRequest, scope: CallScope
    ) -> ranking_pb2.RankOffersResponse:
        self.ranked.append(request)
        offers = sorted(request.offers, key=lambda o: -o.similarity)
        return ranking_pb2.RankOffersResponse(
            offers=[common_pb2.RankedOffer(offer=o, rank=i + 1) for i, o in enumerate(offers)],
            answer=common_pb2.Answer(found=True, source_offer_id=offers[0].offer_id),
        )


def _photo(index: int) -> common_pb2.Photo:
    box = common_pb2.SubjectBox(left=0.2, top=0.2, right=0.8, bottom=0.8)
    return common_pb2.Photo(image_data=f"photo{index}".encode(), subject=box)


async def test_a_search_is_compared_by_the_eye_and_answers_with_rankings_answer() -> None:
    ds = StandIn([["a", "b", "c"]], {(b"photo0", "a"): 92.0, (b"photo0", "b"): 80.0})
    request = search_pb2.SearchByImageRequest(
        photo=_photo(0), options=search_pb2.SearchOptions(keyword="纯棉")
    )
    response = await flows.search_by_image(ds, request, _scope())  # type: ignore[arg-type]
    assert ds.searched[0].keyword == "纯棉"
    assert ds.searched[0].subject.left == pytest.approx(0.2)
    assert ds.compared == [(b"photo0", ["a", "b", "c"])]
    ranked = ds.ranked[0]
    assert {o.offer_id: o.similarity for o in ranked.offers} == {"a": 92, "b": 80, "c": 10}
    assert all(o.visual_match.compared and o.has_image_phash for o in ranked.offers)
    assert [(p.first_offer_id, p.second_offer_id) for p in ranked.image_pairs] == [("a", "b")]
    assert response.answer.source_offer_id == "a"
    assert response.picture_regions.searched.right == pytest.approx(0.9)
    assert "compare" in [t.stage for t in response.timings]


async def test_a_failed_comparison_degrades_the_search_instead_of_failing_it() -> None:
    ds = StandIn([["a", "b"]], {})
    ds.compare_fails = True
    request = search_pb2.SearchByImageRequest(photo=_photo(0))
    response = await flows.search_by_image(ds, request, _scope())  # type: ignore[arg-type]
    assert [r.offer.offer_id for r in response.offers] == ["a", "b"]
    for offer in ds.ranked[0].offers:
        assert not offer.visual_match.compared
        assert offer.similarity == 0
        assert "SERVICE_UNAVAILABLE" in offer.visual_match.unavailable_reason
    assert not ds.ranked[0].image_pairs


async def test_verification_measures_every_photo_against_every_offer_found() -> None:
    similarity = {
        (b"photo0", "a"): 90.0,
        (b"photo1", "a"): 80.0,
        (b"photo2", "a"): 70.0,  # photo 2's search missed "a": its eye still judges it
        (b"photo0", "b"): 95.0,
        (b"photo1", "b"): 5.0,
        (b"photo2", "b"): 7.0,
    }
    ds = StandIn([["a", "b"], ["a", "b", "c"], ["b", "c"]], similarity)
    request = search_pb2.VerifyByImagesRequest(photos=[_photo(0), _photo(1), _photo(2)])
    response = await flows.verify_by_images(ds, request, _scope())  # type: ignore[arg-type]
    # First, as each search comes back: the offers no other photo brought yet (each image
    # is described once); photo 2 brought nothing new and is not compared yet.
    assert ds.compared[:2] == [(b"photo0", ["a", "b"]), (b"photo1", ["c"])]
    # Then each photo with the offers it has not been compared with; the first photo's
    # call takes every offer (its own first) and is the one that looks for pairs.
    second_round = {query: ids for query, ids in ds.compared[2:]}
    assert second_round == {
        b"photo0": ["a", "b", "c"],
        b"photo1": ["a", "b"],
        b"photo2": ["a", "b", "c"],
    }
    assert ds.paired == [b"photo0"]
    assert [(p.first_offer_id, p.second_offer_id) for p in ds.ranked[0].image_pairs] == [("a", "b")]
    combined = {v.ranked.offer.offer_id: v.combined_similarity for v in response.offers}
    assert combined["a"] == pytest.approx(80.0)  # (90 + 80 + 70) / 3
    assert combined["b"] == pytest.approx(35.7, abs=0.1)  # found by all three, looks like one
    assert {v.ranked.offer.offer_id: v.found_by for v in response.offers}["a"] == 2
    offers = {o.offer_id: o for o in ds.ranked[0].offers}
    assert offers["a"].similarity == pytest.approx(80.0)
    assert offers["a"].visual_match.compared
    # On the pairs' scale, the mean over the same photos: (95 + 85 + 75) / 3.
    assert offers["a"].visual_match.pair_scale_similarity == pytest.approx(85.0)
    assert offers["a"].visual_match.has_pair_scale_similarity
    # Its best place in any photo's search: first for photos 0 and 1, second for photo 2's "c".
    assert {o: offers[o].upstream_rank for o in offers} == {"a": 1, "b": 1, "c": 2}
    assert response.answer.source_offer_id == "a"
    assert "compare" in [t.stage for t in response.timings]


async def test_verification_pairs_only_offers_that_one_photo_found_together() -> None:
    # "a" and "b" are never in one photo's results: the round that compares every photo
    # with every offer sees them side by side, but they are not paired.
    ds = StandIn([["a", "c"], ["b", "c"]], {})
    request = search_pb2.VerifyByImagesRequest(photos=[_photo(0), _photo(1)])
    await flows.verify_by_images(ds, request, _scope())  # type: ignore[arg-type]
    assert any({"a", "b"} <= set(ids) for _query, ids in ds.compared)
    assert not ds.ranked[0].image_pairs
    # Found together by one photo: paired.
    ds = StandIn([["a", "b"], ["b", "c"]], {})
    await flows.verify_by_images(ds, request, _scope())  # type: ignore[arg-type]
    assert [(p.first_offer_id, p.second_offer_id) for p in ds.ranked[0].image_pairs] == [("a", "b")]


async def test_a_photo_whose_first_comparison_failed_is_not_compared_again() -> None:
    ds = StandIn([["a", "b"], ["a", "b"]], {})
    ds.compare_fails = True
    request = search_pb2.VerifyByImagesRequest(photos=[_photo(0), _photo(1)])
    response = await flows.verify_by_images(ds, request, _scope())  # type: ignore[arg-type]
    # Photo 0's first comparison failed and it is not asked again; photo 1 brought nothing
    # new, so its one call is the comparison with every offer (which fails too).
    assert ds.compared == [(b"photo0", ["a", "b"]), (b"photo1", ["a", "b"])]
    for offer in ds.ranked[0].offers:
        assert not offer.visual_match.compared
    assert {v.ranked.offer.offer_id for v in response.offers} == {"a", "b"}


@pytest.mark.parametrize(
    ("mode", "min_photos", "field"),
    [
        (search_pb2.VERIFY_MODE_CONSENSUS, 3, "min_photos"),  # more than the 2 photos given
        (search_pb2.VERIFY_MODE_CONSENSUS, -1, "min_photos"),
        (9, 0, "mode"),  # a mode this server does not know
    ],
)
async def test_a_verification_that_cannot_be_met_is_refused_before_any_search(
    mode: int, min_photos: int, field: str
) -> None:
    ds = StandIn([["a"], ["a"]], {})
    request = search_pb2.VerifyByImagesRequest(
        photos=[_photo(0), _photo(1)],
        mode=mode,  # type: ignore[arg-type]
        min_photos=min_photos,
    )
    with pytest.raises(ServiceError) as refused:
        await flows.verify_by_images(ds, request, _scope())  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.reason) == (Code.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [v.field for v in refused.value.field_violations] == [field]
    assert ds.searched == []


@pytest.mark.parametrize(
    ("table", "field", "photo", "expected"),
    [
        (flows._GATEWAY_FIELDS, "price_min", "photo", "options.filters.price_min"),
        (flows._GATEWAY_FIELDS, "page_size", "photo", "options.page_size"),
        (flows._GATEWAY_FIELDS, "subject", "photos[2]", "photos[2].subject"),
        (flows._GATEWAY_FIELDS, "image.width", "photo", "photo.width"),
        (flows._GATEWAY_FIELDS, "sort", "photo", "sort"),  # made by the aggregator: kept
        (flows._RANKING_FIELDS, "filters.regions", "photo", "options.filters.regions"),
        (flows._RANKING_FIELDS, "profile", "photo", "options.profile"),
        (flows._RANKING_FIELDS, "offers[3].offer_id", "photo", "offers[3].offer_id"),
    ],
)
def test_a_downstream_field_is_named_by_the_callers_path(
    table: dict[str, str], field: str, photo: str, expected: str
) -> None:
    assert flows.caller_path(field, table, photo) == expected
