"""A whole RankOffers response, byte for byte, on realistic requests.

The digests were taken from the code before ranking's CPU work (session 9): any change to a
score, breakdown, reason, group, answer or wording, or to which caller fields are echoed,
changes the bytes. A deliberate change of behaviour updates them, and says so in its commit.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from factoryfinder.v1 import common_pb2, ranking_pb2

from services.ranking.server import rank_offers
from services.ranking.settings import RankingSettings
from shared.config import load
from shared.money import to_money
from tests.bench.bench_ranking import make_request

D = Decimal


def detailed_request(count: int, locale: str, profile: str) -> ranking_pb2.RankOffersRequest:
    """The bench's live-shaped page, with what details and suppliers add on a real page:
    ladders, sample fees, attributes, the detail's identities, named and located
    suppliers, an offer repeated by merged pages, a price filter and a region filter."""
    request = make_request(count, seed=11)
    request.locale = locale
    request.profile = profile
    request.filters.price_max.CopyFrom(to_money(D("180")))
    request.filters.min_similarity = 10
    for index, offer in enumerate(request.offers):
        supplier = offer.supplier
        if index % 3 == 0:
            supplier.province, supplier.city = "广东", "广州"
            supplier.years_on_platform = index % 11
        if index % 4 == 1:
            supplier.company_name = f"义乌市{index}贸易有限公司"
            supplier.certifications.append("certified_factory")
        if index % 7 == 2:
            offer.min_order = 50 * (index % 5)
        if offer.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE:
            detail = offer.detail
            detail.price_ladder.add(min_quantity=2, max_quantity=99, unit_price=offer.price)
            cheaper = to_money(D(offer.price.units) * D("0.9") + D(index) / 100)
            detail.price_ladder.add(min_quantity=100, unit_price=cheaper)
            detail.min_order = 2 + index
            detail.sample_fee.CopyFrom(to_money(D("35.50")))
            detail.attributes.add(name="加工定制", value="是" if index % 2 else "否")
            detail.offer_identities.append("super_factory")
            offer.price_ladder.extend(detail.price_ladder)
    request.offers.append(request.offers[3])  # a repeat from merged pages
    return request


SETTINGS = load(RankingSettings, {}, drain_delay_seconds=0.0)
CASES = {
    ("bench", 50, "en", ""): "bbd9071f0bf3e116aa78ddc530b352d3727d0d18fe9102275d036583c9340d7f",
    ("bench", 50, "zh", "seed"): "e426f7c302465759df19629d8fb59296a8a4d7a7007a01cfee0c2a9ec1410e52",
    (
        "bench",
        50,
        "en",
        "price",
    ): "0951ab37358a76342e32b02f4d05556711bfa3b9469962de208ab449e7bff872",
    (
        "bench",
        50,
        "zh",
        "similarity",
    ): "29cef16a83ccdf02378684f82384a1546bec6d2bc45143c2ac9224d23f1603ea",
    ("bench", 300, "en", ""): "0cd360893a46f52e8611681467678841e97795d23f5d9f8f2170aade4b85998c",
    (
        "bench",
        300,
        "zh",
        "seed",
    ): "7e0aa2a0718e8eb2eaf81c30cda4f7cd47fb81734620c71a15c54348fb78dd9f",
    (
        "bench",
        300,
        "en",
        "price",
    ): "59073595a2b2ab2a76c86595f69d8f9283ab49167c4dfed7ba3206d9ed53b7e3",
    (
        "bench",
        300,
        "zh",
        "similarity",
    ): "c708c8a864bd261eee15a5642f859bbffd59e732fd74e69380704f4778bdf5bd",
    ("detailed", 50, "en", ""): "94dc3b1be8652c73ff24cbe5bc1fb47c32479e60236880b7de7ea8b86122e174",
    (
        "detailed",
        50,
        "zh",
        "seed",
    ): "ae1f6f16c67d097ed70bc0e63673c11bf04b75618e1149f297f382bd4562e85c",
    (
        "detailed",
        50,
        "en",
        "price",
    ): "2a987313c56f038f78db55d787e3b05b2e593858f07124ed823fa19221dfab7b",
    (
        "detailed",
        50,
        "zh",
        "similarity",
    ): "35c2a2b289e1238bf19825b0dd8f1b01f66a245dd63d400d55df370a8f147275",
    ("detailed", 300, "en", ""): "0b0d114a1a0789d854fcc7d231b5c83e5b1514b6a8a1cab47c8fe5782e0b6914",
    (
        "detailed",
        300,
        "zh",
        "seed",
    ): "c9f6b0f723788bc4e82df008f4ea12a54b8b2bbee4b1223b26114b90a8c1ecf8",
    (
        "detailed",
        300,
        "en",
        "price",
    ): "fe36a8bb9919b0e734dbe8cc9aec2c3192eeb6322439ca3b86db1914b56fa5c8",
    (
        "detailed",
        300,
        "zh",
        "similarity",
    ): "4aea353fa64f92ec5436b6855cf5fed637b03f2a8a1da1fda113b38ca5f2e436",
}


def digest(request: ranking_pb2.RankOffersRequest) -> str:
    response = rank_offers(request, SETTINGS)
    return hashlib.sha256(response.SerializeToString(deterministic=True)).hexdigest()


def request_for(shape: str, count: int, locale: str, profile: str) -> ranking_pb2.RankOffersRequest:
    if shape == "bench":
        request = make_request(count)
        request.locale, request.profile = locale, profile
        return request
    return detailed_request(count, locale, profile)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_whole_response_is_unchanged(case: tuple[str, int, str, str]) -> None:
    assert digest(request_for(*case)) == CASES[case]
