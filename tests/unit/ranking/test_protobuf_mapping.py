"""Protobuf ↔ ranking domain: nothing the caller sent is lost, money stays exact."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from factoryfinder.v1 import common_pb2
from google.protobuf.message import Message

from services.ranking.domain import Detail, Filters, SupplierKind
from services.ranking.errors import InvalidRequest
from services.ranking.protobuf_mapping import (
    filters_from_proto,
    offer_from_proto,
    response_to_proto,
    unique_offers,
)
from services.ranking.ranking import rank
from shared.money import PriceTier, from_money, to_money

D = Decimal


def wire_offer(offer_id: str = "610001", **fields: object) -> common_pb2.Offer:
    message = common_pb2.Offer(
        offer_id=offer_id,
        title="纯棉T恤 来样加工",
        image_url="https://cbu01.alicdn.com/img/1.jpg",
        detail_url="https://detail.1688.com/offer/610001.html",
        similarity=87.5,
        price=to_money(D("19.90")),
        price_ladder=[
            common_pb2.PriceTier(min_quantity=2, max_quantity=99, unit_price=to_money(D("19.90"))),
            common_pb2.PriceTier(min_quantity=100, unit_price=to_money(D("17.35"))),
        ],
        min_order=2,
        category_id="1008003",
        supplier=common_pb2.Supplier(
            company_name="广州市白云区永盛服装厂",
            province="广东",
            city="广州",
            years_on_platform=9,
            seller_identities=["super_factory", "tp_member"],
            certifications=["certified_factory"],
        ),
        image_phash=2**64 - 1,
        has_image_phash=True,
    )
    for name, value in fields.items():
        if isinstance(value, Message):
            getattr(message, name).CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def test_offer_fields_are_read_exactly() -> None:
    offer = offer_from_proto(wire_offer())
    assert offer.offer_id == "610001"
    assert offer.price == D("19.90")
    assert offer.price_ladder == (PriceTier(2, 99, D("19.90")), PriceTier(100, None, D("17.35")))
    assert offer.supplier.seller_identities == ("super_factory", "tp_member")
    assert offer.supplier.years_on_platform == 9
    assert offer.image_phash == 2**64 - 1
    assert offer.detail is None


@pytest.mark.parametrize(
    ("given", "read"), [(87.5, 87.5), (-3.0, 0.0), (130.0, 100.0), (math.nan, 0.0), (math.inf, 0.0)]
)
def test_similarity_is_kept_between_0_and_100(given: float, read: float) -> None:
    assert offer_from_proto(wire_offer(similarity=given)).similarity == read


def test_a_hash_of_zero_counts_only_when_flagged() -> None:
    assert offer_from_proto(wire_offer(image_phash=0, has_image_phash=True)).image_phash == 0
    assert offer_from_proto(wire_offer(image_phash=0, has_image_phash=False)).image_phash is None


def test_zero_price_is_unpublished() -> None:
    message = wire_offer()
    message.ClearField("price")
    assert offer_from_proto(message).price is None
    assert offer_from_proto(wire_offer(price=to_money(D(0)))).price is None


def test_detail_is_used_only_when_available() -> None:
    detail = common_pb2.OfferDetail(
        status=common_pb2.DETAIL_STATUS_AVAILABLE,
        price_ladder=[common_pb2.PriceTier(min_quantity=50, unit_price=to_money(D("15.5")))],
        min_order=50,
        biz_type=2,
        description="支持OEM",
        sample_fee=to_money(D(60)),
    )
    assert offer_from_proto(wire_offer(detail=detail)).detail == Detail(
        (PriceTier(50, None, D("15.5")),), 50, 2, "支持OEM", D(60)
    )
    detail.status = common_pb2.DETAIL_STATUS_ACL_DECLINED
    assert offer_from_proto(wire_offer(detail=detail)).detail is None


def test_filters() -> None:
    message = common_pb2.Filters(
        purchase_quantity=200,
        max_min_order=100,
        supplier_kinds=[
            common_pb2.SUPPLIER_KIND_SOURCE_FACTORY,
            common_pb2.SUPPLIER_KIND_UNSPECIFIED,
        ],
        made_to_sample_only=True,
        regions=["广州", "虎门"],
        min_similarity=60,
        price_max=to_money(D("30.5")),
    )
    filters = filters_from_proto(message)
    assert filters.supplier_kinds == frozenset({SupplierKind.SOURCE_FACTORY})
    assert (filters.price_min, filters.price_max) == (None, D("30.5"))
    assert filters.regions == ("广州", "虎门")
    assert (filters.purchase_quantity, filters.max_min_order, filters.min_similarity) == (
        200,
        100,
        60,
    )


def test_an_unknown_supplier_kind_number_is_a_bad_request() -> None:
    message = common_pb2.Filters()
    message.supplier_kinds.append(common_pb2.SupplierKind.ValueType(42))
    with pytest.raises(InvalidRequest) as caught:
        filters_from_proto(message)
    assert caught.value.field_name == "filters.supplier_kinds"


def test_repeated_offers_keep_the_most_similar_copy_whatever_the_order() -> None:
    low, high = wire_offer(similarity=50), wire_offer(similarity=90)
    other = wire_offer("610002")
    for order in ([low, high, other], [other, high, low]):
        kept, dropped = unique_offers(order)
        assert dropped == 1
        assert {o.offer_id: o.similarity for o in kept} == {"610001": 90, "610002": 87.5}


def test_an_offer_without_an_id_is_a_bad_request() -> None:
    with pytest.raises(InvalidRequest) as caught:
        unique_offers([wire_offer(), wire_offer(offer_id="")])
    assert caught.value.field_name == "offers[1].offer_id"


def test_response_keeps_the_callers_offer_and_writes_the_inferences_in() -> None:
    original = wire_offer()
    result = rank(
        [offer_from_proto(original)], filters_from_proto(common_pb2.Filters()), locale="en"
    )
    response = response_to_proto(result, {"610001": original}, duplicates=2)
    ranked = response.offers[0]
    assert ranked.rank == 1
    assert ranked.offer.image_url == original.image_url
    assert ranked.offer.detail_url == original.detail_url
    assert ranked.offer.supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert 0 < ranked.offer.supplier.kind_confidence <= 1
    assert [e.signal for e in ranked.offer.supplier.kind_evidence][:2] == [
        "seller_identity",
        "company_name",
    ]
    assert ranked.offer.customization.made_to_sample
    assert list(ranked.offer.customization.services) == ["来样加工"]
    assert ranked.score.total == sum(c.points for c in ranked.score.components) == 88
    assert ranked.score.price_basis == "listed_price"
    assert from_money(ranked.score.compared_unit_price) == D("19.90")
    assert from_money(ranked.score.average_unit_price) == D("19.90")
    assert ranked.score.price_ratio == 1.0
    assert response.profile == "default"
    assert response.filter_reports[-1] == common_pb2.FilterReport(
        filter="duplicate_offer_id", removed=2
    )
    assert response.analysis.top_factory_offer_id == "610001"
    assert (
        original.supplier.kind == common_pb2.SUPPLIER_KIND_UNSPECIFIED
    )  # the input is not touched


def test_the_live_fields_are_read() -> None:
    message = wire_offer(upstream_rank=7)
    message.supplier.id = "b2b-3f9a0c"
    message.visual_match.compared = True
    message.visual_match.similarity = 87.5
    offer = offer_from_proto(message)
    assert (offer.upstream_rank, offer.compared, offer.similarity) == (7, True, 87.5)
    assert offer.supplier.supplier_id == "b2b-3f9a0c"


@pytest.mark.parametrize(
    ("similarity", "match", "compared"),
    [
        (0.0, None, False),  # nothing measured yet
        (64.0, None, True),  # a caller from before visual_match: taken at its word
        (0.0, common_pb2.VisualMatch(unavailable_reason="too large"), False),
        (0.0, common_pb2.VisualMatch(compared=True), True),  # measured, and nothing alike
    ],
)
def test_whether_the_similarity_was_measured(
    similarity: float, match: common_pb2.VisualMatch | None, compared: bool
) -> None:
    message = wire_offer(similarity=similarity)
    if match is not None:
        message.visual_match.CopyFrom(match)
    assert offer_from_proto(message).compared is compared


@pytest.mark.parametrize(
    ("match", "pair_scale"),
    [
        (common_pb2.VisualMatch(compared=True, similarity=80.0), None),  # no pair scale sent
        (
            common_pb2.VisualMatch(
                compared=True,
                similarity=80.0,
                pair_scale_similarity=86.5,
                has_pair_scale_similarity=True,
            ),
            86.5,
        ),
        (
            common_pb2.VisualMatch(
                unavailable_reason="HTTP 404",
                pair_scale_similarity=86.5,
                has_pair_scale_similarity=True,
            ),
            None,
        ),
    ],
)
def test_the_pair_scale_similarity_is_read_when_measured(
    match: common_pb2.VisualMatch, pair_scale: float | None
) -> None:
    message = wire_offer(similarity=match.similarity)
    message.visual_match.CopyFrom(match)
    offer = offer_from_proto(message)
    assert offer.pair_scale_similarity == pair_scale
    # What a crop is weighed on: the pair scale when measured, else the similarity.
    assert offer.pair_scale == (match.similarity if pair_scale is None else pair_scale)


def test_the_answer_on_the_wire_names_the_source_supplier() -> None:
    factory = wire_offer("1", similarity=90.0)
    trader = wire_offer("2", similarity=88.0, price=to_money(D("25.00")))
    trader.supplier.CopyFrom(common_pb2.Supplier(company_name="义乌市优品贸易有限公司"))
    mug = wire_offer("3", similarity=30.0, title="陶瓷马克杯", image_phash=0x0F0F)
    result = rank([offer_from_proto(o) for o in (factory, trader, mug)], Filters(), locale="en")
    reply = response_to_proto(result, {o.offer_id: o for o in (factory, trader, mug)}, 0)
    answer = reply.answer
    assert answer.found and answer.source_offer_id == "1"
    assert answer.source_supplier.company_name == "广州市白云区永盛服装厂"
    assert answer.source_supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert [(m.offer_id, m.role) for m in answer.match_set] == [
        ("1", common_pb2.MATCH_ROLE_SOURCE),
        ("2", common_pb2.MATCH_ROLE_RESELLER),
    ]
    assert round(answer.match_set[1].markup_over_source, 4) == round(25 / 19.9 - 1, 4)
    assert [e.signal for e in answer.source_evidence][:2] == ["visual_match", "supplier_kind"]


def test_the_details_attributes_and_offer_identities_are_read() -> None:
    detail = common_pb2.OfferDetail(
        status=common_pb2.DETAIL_STATUS_AVAILABLE,
        attributes=[
            common_pb2.ProductAttribute(name="加工定制", value="是"),
            common_pb2.ProductAttribute(name="材质", value="棉"),
        ],
        offer_identities=["tp_member", "powerful_merchants"],
    )
    offer = offer_from_proto(wire_offer(detail=detail))
    assert offer.detail is not None
    assert offer.detail.attributes == (("加工定制", "是"), ("材质", "棉"))
    assert offer.supplier.seller_identities == ("super_factory", "tp_member", "powerful_merchants")
