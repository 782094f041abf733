"""The comparison's outcome written onto offers, and near-duplicate pairs merged."""

from __future__ import annotations

from factoryfinder.v1 import common_pb2, preprocess_pb2

from services.aggregator import visual


def _offers(*ids: str) -> list[common_pb2.Offer]:
    return [
        common_pb2.Offer(offer_id=i, image_url=f"https://cbu01.alicdn.com/{i}.jpg") for i in ids
    ]


def _comparison(
    offer_id: str, similarity: float, reason: str = "", phash: int = 0
) -> preprocess_pb2.ImageComparison:
    return preprocess_pb2.ImageComparison(
        id=offer_id,
        match=common_pb2.VisualMatch(
            compared=not reason, similarity=similarity, unavailable_reason=reason
        ),
        phash=phash,
    )


def test_the_request_names_each_offer_once_in_order() -> None:
    request = visual.compare_request(b"jpeg", [*_offers("1", "2"), *_offers("1")])
    assert request.query_jpeg == b"jpeg"
    assert [(c.id, c.image_url) for c in request.candidates] == [
        ("1", "https://cbu01.alicdn.com/1.jpg"),
        ("2", "https://cbu01.alicdn.com/2.jpg"),
    ]


def test_measured_similarity_reason_and_phash_land_on_the_offers() -> None:
    offers = _offers("1", "2", "3")
    offers[1].similarity = 42.0  # whatever was there before is replaced
    response = preprocess_pb2.CompareImagesResponse(
        comparisons=[_comparison("1", 87.5, phash=0xABC), _comparison("2", 0, "HTTP 404")]
    )
    visual.apply(offers, response)
    assert offers[0].similarity == 87.5
    assert offers[0].visual_match == common_pb2.VisualMatch(compared=True, similarity=87.5)
    assert (offers[0].image_phash, offers[0].has_image_phash) == (0xABC, True)
    assert offers[1].similarity == 0
    assert not offers[1].visual_match.compared
    assert offers[1].visual_match.unavailable_reason == "HTTP 404"
    assert not offers[1].has_image_phash
    assert offers[2].visual_match.unavailable_reason.startswith("not compared")


def test_the_pair_scale_similarity_lands_on_the_offer_when_measured() -> None:
    offers = _offers("1", "2", "3")
    measured = _comparison("1", 80.0)
    measured.match.pair_scale_similarity = 86.5
    measured.match.has_pair_scale_similarity = True
    response = preprocess_pb2.CompareImagesResponse(
        comparisons=[measured, _comparison("2", 70.0), _comparison("3", 0, "HTTP 404")]
    )
    assert visual.outcomes(response)["1"].pair_scale == 86.5
    visual.apply(offers, response)
    assert (
        offers[0].visual_match.pair_scale_similarity,
        offers[0].visual_match.has_pair_scale_similarity,
    ) == (86.5, True)
    assert not offers[1].visual_match.has_pair_scale_similarity  # none measured: none sent
    assert not offers[2].visual_match.has_pair_scale_similarity


def test_a_failed_comparison_marks_every_offer_with_the_reason() -> None:
    offers = _offers("1", "2")
    visual.mark_unavailable(offers, "visual comparison unavailable (SERVICE_UNAVAILABLE)")
    assert {o.visual_match.unavailable_reason for o in offers} == {
        "visual comparison unavailable (SERVICE_UNAVAILABLE)"
    }
    assert all(o.HasField("visual_match") and o.similarity == 0 for o in offers)


def test_pairs_from_several_comparisons_are_merged_keeping_the_best() -> None:
    def pair(a: str, b: str, s: float) -> common_pb2.ImagePair:
        return common_pb2.ImagePair(first_offer_id=a, second_offer_id=b, similarity=s)

    first = preprocess_pb2.CompareImagesResponse(
        similar_pairs=[pair("1", "2", 88), pair("1", "3", 90)]
    )
    second = preprocess_pb2.CompareImagesResponse(similar_pairs=[pair("2", "1", 93)])
    merged = visual.pairs_of([first.similar_pairs, second.similar_pairs])
    assert sorted((p.first_offer_id, p.second_offer_id, p.similarity) for p in merged) == [
        ("1", "3", 90),
        ("2", "1", 93),
    ]
