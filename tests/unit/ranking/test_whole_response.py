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
    ("bench", 50, "en", ""): "0bc27d9057dce608fdcfcbccdc0e5e98920192cf9fea07aaa6beb7137cac67c0",
    ("bench", 50, "zh", "seed"): "c5ec08ebf012c2a720caf24ccc75099d6a5c3d8021027cf9d8a76da9d526c1d5",
    (
        "bench",
        50,
        "en",
        "price",
    ): "291d31f233e671acba486c441921ad605d1b1b468cd04f1b80e3b95ca0e47e22",
    (
        "bench",
        50,
        "zh",
        "similarity",
    ): "ede79b28c7d45cef756b95c8062367c3b145fe147a92daafb12195f392899891",
    ("bench", 300, "en", ""): "f3f7ce9cd2042895bb4115d1577e459352086eb233b1f7aef8827c8e94ead50c",
    (
        "bench",
        300,
        "zh",
        "seed",
    ): "91788b81b098fe38499151127361c5922c8748de942299554cffdb7aa4aad628",
    (
        "bench",
        300,
        "en",
        "price",
    ): "65f60263630fed104348053c8d81e696c9e790a2913d4909f50bd55ec441cdf5",
    (
        "bench",
        300,
        "zh",
        "similarity",
    ): "4d89402c5e2a5efdee1365e24bf645a271086f4a83cb65b7b722defa1ad42a93",
    ("detailed", 50, "en", ""): "23efce9dd3a2d0fea36bee93c1e1a74e3a2d4394cb9f6c17c150f9a403a0e1f2",
    (
        "detailed",
        50,
        "zh",
        "seed",
    ): "0cf888fdb4d9cdfb8d4dd9a08772aa2ae1c5ee3535ca9ad34503b6d2d07236b0",
    (
        "detailed",
        50,
        "en",
        "price",
    ): "84fe5c349b132a2f33b67decbcea8d461490dd3fe1fe3b8ba2f0ea8ea4e11ab7",
    (
        "detailed",
        50,
        "zh",
        "similarity",
    ): "55c28d0228c7224ba6fe3008cf173d238d8ccae7a37b480744b6a023bb4b5437",
    ("detailed", 300, "en", ""): "b864504dffc7ed736d7000476b0b292a1ff20399a25fb4741824ecfd67540cd9",
    (
        "detailed",
        300,
        "zh",
        "seed",
    ): "6251c354e0716f26259be375b6db09e2776c608b0cedb947b4e8b87a95e3c66d",
    (
        "detailed",
        300,
        "en",
        "price",
    ): "ec6b74201b1caf7679f1d38adcd4f5ac596ecf10f9135407b5ff6e6b068523b9",
    (
        "detailed",
        300,
        "zh",
        "similarity",
    ): "8355055f3d04232e2b5dc1f1d54fd9cddf821ab57a224ee18b4c2ca0b5876c35",
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
