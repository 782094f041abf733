from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.customizability import decide
from services.planning.domain import CustomizationClaim, DetailFacts, Evidence, OfferFacts


def offer(title: str = "", description: str = "", biz_type: int = 1) -> OfferFacts:
    detail = DetailFacts(True, biz_type=biz_type, description=description)
    return OfferFacts("o1", detail, title=title)


def test_processing_biz_type_is_customizable() -> None:
    decision = decide(offer(biz_type=2))
    assert decision.supported
    assert decision.evidence[0] == Evidence(
        "biz_type", "2", 1.0, "bizType 2: a processing (加工) offer, makes to order"
    )
    assert decision.made_to_sample  # as ranking says it: one rule for both


def test_a_product_attribute_in_the_description_decides_as_in_ranking() -> None:
    assert decide(offer(title="T恤", description="加工定制：是")).supported
    assert not decide(offer(title="定制T恤", description="加工定制：否")).supported


@pytest.mark.parametrize(
    "word",
    ["来样加工", "来图加工", "来样定做", "定制", "订制", "定做", "OEM", "odm", "贴牌", "打样"],
)
def test_each_customization_word_counts(word: str) -> None:
    decision = decide(offer(title=f"男士T恤 {word} 批发"))
    assert decision.supported
    assert ("title_word", word.upper() if word.isascii() else word) in {
        (e.signal, e.value) for e in decision.evidence
    }


def test_made_to_sample_and_fast_sampling_from_the_description() -> None:
    decision = decide(offer(description="支持来图加工,快速打样,三天出样"))
    assert decision.supported and decision.made_to_sample and decision.fast_sampling


def test_made_to_sample_phrases_and_other_fast_sampling_words() -> None:
    decision = decide(offer(title="看样定制 当天打样"))
    assert decision.supported and decision.made_to_sample and decision.fast_sampling


def test_goods_offer_without_words_is_refused_with_evidence() -> None:
    decision = decide(offer(title="现货纯棉T恤 批发"))
    assert not decision.supported
    assert [(e.signal, e.value, e.weight) for e in decision.evidence] == [
        ("biz_type", "1", -0.5),
        ("title_word", "", -0.5),
    ]


@pytest.mark.parametrize(
    "text", ["现货不定制", "不支持来样加工", "暂不提供打样", "无法定制", "不接OEM"]
)
def test_negated_words_count_against(text: str) -> None:
    decision = decide(offer(title=text))
    assert not decision.supported
    assert any(e.weight < 0 and e.signal == "title_word" and e.value for e in decision.evidence)


def test_stainless_steel_is_not_a_negation() -> None:
    decision = decide(offer(title="304不锈钢合页定制"))
    assert decision.supported
    assert ("title_word", "定制", 1.0) in {(e.signal, e.value, e.weight) for e in decision.evidence}


def test_oem_inside_a_latin_word_is_not_the_service() -> None:
    assert not decide(offer(title="POEMS notebook")).supported


def test_a_claim_is_used_as_it_stands() -> None:
    claim = CustomizationClaim(
        supported=False,
        evidence=(Evidence("company_name", "XX商贸", -1.0, "a trading company"),),
    )
    decision = decide(OfferFacts("o1", DetailFacts(True, biz_type=2), customization=claim))
    assert not decision.supported
    assert decision.evidence == claim.evidence


def test_a_claim_without_evidence_says_where_it_came_from() -> None:
    claim = CustomizationClaim(
        supported=True, custom_min_order=200, sample_fee=Decimal("80"), fast_sampling=True
    )
    decision = decide(OfferFacts("o1", DetailFacts(True), customization=claim))
    assert (decision.supported, decision.custom_min_order, decision.sample_fee) == (
        True,
        200,
        Decimal("80"),
    )
    assert decision.fast_sampling
    assert [(e.signal, e.value) for e in decision.evidence] == [
        ("detail_field", "customization.supported=true")
    ]
