"""Supplier kind inferred from each signal, with the evidence a buyer can check."""

from __future__ import annotations

import pytest

from services.ranking import supplier_kind
from services.ranking.domain import SupplierKind
from services.ranking.supplier_kind import infer_kind, is_factory_certificate
from tests.unit.ranking.offers import BRAND, FACTORY, MANUFACTURER, TRADER, detail, offer

S = SupplierKind


@pytest.mark.parametrize(
    ("company", "kind", "word"),
    [
        (FACTORY, S.SOURCE_FACTORY, "厂"),
        (MANUFACTURER, S.MANUFACTURER, "制衣"),
        ("宁波精工制造有限公司", S.MANUFACTURER, "制造"),
        ("佛山顺德实业有限公司", S.MANUFACTURER, "实业"),
        ("曹县华韵工艺品有限公司", S.MANUFACTURER, "工艺品"),
        (TRADER, S.TRADING_COMPANY, "贸易"),
        ("广州市荔湾区新潮商贸有限公司", S.TRADING_COMPANY, "商贸"),
        ("汕头市澄海区乐乐玩具商行", S.TRADING_COMPANY, "商行"),  # 玩具 alone: a maker
        ("广州市诚华服饰有限公司", S.MANUFACTURER, "服饰"),
        ("深圳市恒达电子有限公司", S.MANUFACTURER, "电子"),
        ("深圳市云端电子商务有限公司", S.TRADING_COMPANY, "电子商务"),
        ("浙江远航进出口有限公司", S.TRADING_COMPANY, "进出口"),
        (BRAND, S.BRAND, "品牌"),
        ("李宁官方旗舰店", S.BRAND, "旗舰店"),
    ],
)
def test_company_name_alone_decides_the_kind(company: str, kind: S, word: str) -> None:
    inferred = infer_kind(offer(company=company, title="短袖"), "en")
    assert inferred.kind is kind
    deciding = next(e for e in inferred.evidence if e.value == word)
    assert deciding.signal == "company_name"
    assert deciding.weight > 0
    assert word in deciding.note
    assert 0 < inferred.confidence <= 1


def test_super_factory_identity_makes_a_source_factory_even_with_a_neutral_name() -> None:
    inferred = infer_kind(
        offer(company="广州永盛服饰有限公司", identities=("super_factory",)), "en"
    )
    assert inferred.kind is S.SOURCE_FACTORY
    assert inferred.evidence[0].signal == "seller_identity"
    assert inferred.evidence[0].value == "super_factory"
    assert inferred.evidence[0].weight == 3.0


def test_tp_member_says_nothing_and_powerful_merchants_alone_is_too_weak() -> None:
    inferred = infer_kind(offer(identities=("tp_member", "powerful_merchants")), "en")
    assert inferred.kind is S.UNKNOWN
    assert inferred.confidence == 0.0
    assert [(e.signal, e.value, e.weight) for e in inferred.evidence] == [
        ("seller_identity", "powerful_merchants", 1.0),
        ("seller_identity", "tp_member", 0.0),
        ("company_name", "", 0.0),
        ("detail_field", "", 0.0),
    ]
    assert [e.note for e in inferred.evidence][1:] == [
        "1688 seller identity tp_member (paid membership): says nothing about the kind",
        "company name not provided by the upstream",
        "offer detail not fetched: bizType and product attributes unknown",
    ]


def test_powerful_merchants_with_a_factory_title_is_a_source_factory() -> None:
    inferred = infer_kind(offer(title="源头工厂T恤", identities=("powerful_merchants",)), "en")
    assert inferred.kind is S.SOURCE_FACTORY


def test_a_made_to_order_attribute_counts_for_a_maker() -> None:
    attributes = (("加工定制", "是"), ("加印LOGO", "可以"))
    inferred = infer_kind(offer(title="源头工厂T恤", details=detail(attributes=attributes)), "en")
    assert inferred.kind is S.SOURCE_FACTORY
    assert ("detail_field", "加工定制: 是") in [(e.signal, e.value) for e in inferred.evidence]


def test_confidence_reflects_what_was_missing() -> None:
    full = infer_kind(
        offer(identities=("super_factory",), company="张三", details=detail(biz_type=1)), "en"
    )
    row_only = infer_kind(offer(identities=("super_factory",)), "en")
    assert full.kind is row_only.kind is S.SOURCE_FACTORY
    assert row_only.confidence == round(full.confidence * 0.85 * 0.9, 2)


def test_biz_type_2_processing_makes_a_source_factory() -> None:
    inferred = infer_kind(offer(details=detail(biz_type=2)), "en")
    assert inferred.kind is S.SOURCE_FACTORY
    assert [(e.signal, e.value) for e in inferred.evidence if e.weight] == [("biz_type", "2")]


def test_biz_type_3_agency_makes_a_trading_company() -> None:
    inferred = infer_kind(offer(details=detail(biz_type=3)), "en")
    assert inferred.kind is S.TRADING_COMPANY


def test_title_word_alone_is_not_enough_because_traders_write_it_too() -> None:
    inferred = infer_kind(offer(title="厂家直销纯棉T恤"), "en")
    assert inferred.kind is S.UNKNOWN
    assert [(e.signal, e.value) for e in inferred.evidence if e.weight] == [
        ("title_word", "厂家直销")
    ]


def test_title_word_turns_a_manufacturer_into_the_source_factory() -> None:
    plain = infer_kind(offer(company=MANUFACTURER, title="纯棉T恤"), "en")
    claimed = infer_kind(offer(company=MANUFACTURER, title="源头工厂纯棉T恤"), "en")
    assert plain.kind is S.MANUFACTURER
    assert claimed.kind is S.SOURCE_FACTORY
    assert claimed.confidence < 1


def test_title_word_does_not_outweigh_a_trading_company_name() -> None:
    inferred = infer_kind(offer(company=TRADER, title="厂家直销纯棉T恤"), "en")
    assert inferred.kind is S.TRADING_COMPANY
    title = next(e for e in inferred.evidence if e.signal == "title_word")
    assert title.weight < 0  # it spoke against the decision


def test_verified_factory_certificate_makes_a_source_factory() -> None:
    inferred = infer_kind(offer(certifications=("certified_factory",)), "en")
    assert inferred.kind is S.SOURCE_FACTORY
    assert inferred.factory_certified
    assert inferred.evidence[0].signal == "certification"


def test_quality_certificate_counts_for_the_bonus_but_only_tips_the_kind() -> None:
    alone = infer_kind(offer(certifications=("ISO9001",)), "en")
    maker = infer_kind(offer(company=MANUFACTURER, certifications=("ISO 9001:2015",)), "en")
    assert alone.kind is S.UNKNOWN
    assert maker.kind is S.MANUFACTURER
    assert alone.factory_certified and maker.factory_certified


def test_years_on_the_platform_tip_a_close_call() -> None:
    mixed = "义乌华美制衣贸易有限公司"  # 制衣 (maker 2.0) against 贸易 (trader 2.5)
    young = infer_kind(offer(company=mixed, years=1), "en")
    established = infer_kind(offer(company=mixed, years=6), "en")
    assert young.kind is S.TRADING_COMPANY
    assert established.kind is S.UNKNOWN  # 2.5 against 2.5: too close to call
    assert ("years_on_platform", "6") in [(e.signal, e.value) for e in established.evidence]


def test_strong_evidence_is_more_confident_than_a_single_signal() -> None:
    single = infer_kind(offer(company=FACTORY), "en")
    strong = infer_kind(
        offer(
            company=FACTORY,
            identities=("super_factory",),
            certifications=("certified_factory",),
            details=detail(),
        ),
        "en",
    )
    assert strong.kind is single.kind is S.SOURCE_FACTORY
    assert strong.confidence == 1.0
    assert single.confidence < strong.confidence


def test_no_signal_at_all_is_unknown() -> None:
    inferred = infer_kind(offer(company="张三", details=detail()), "zh")
    assert (inferred.kind, inferred.confidence, inferred.evidence) == (S.UNKNOWN, 0.0, ())


def test_notes_follow_the_locale() -> None:
    zh = [e.note for e in infer_kind(offer(company=FACTORY, details=detail()), "zh").evidence]
    en = [e.note for e in infer_kind(offer(company=FACTORY, details=detail()), "en").evidence]
    assert zh == ["公司名含「服装」：生产厂家", "公司名含「厂」：源头工厂"]
    assert en == [
        "company name contains 服装: a manufacturer",
        "company name contains 厂: a source factory",
    ]


def test_a_line_of_business_does_not_hide_a_trading_word() -> None:
    inferred = infer_kind(offer(company="深圳市优选电子商务有限公司"), "en")
    assert inferred.kind is S.TRADING_COMPANY
    assert [e.value for e in inferred.evidence if e.weight] == ["电子商务"]


@pytest.mark.parametrize(
    ("certificate", "counts"),
    [
        ("certified_factory", True),
        ("工厂认证", True),
        ("ISO9001", True),
        ("CE", False),
        ("", False),
    ],
)
def test_factory_certificates(certificate: str, counts: bool) -> None:
    assert is_factory_certificate(certificate) is counts


def test_every_title_word_holds_a_character_looked_for_first() -> None:
    assert all("厂" in word or "产" in word for word in supplier_kind._TITLE_WORDS)
