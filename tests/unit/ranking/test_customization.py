"""Customization inferred from bizType, title and description words, with evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.planning.customizability import decide as decide_for_planning
from services.planning.domain import DetailFacts, OfferFacts
from services.ranking.customization import infer_customization
from tests.unit.ranking.offers import detail, offer


def test_processing_biz_type_takes_custom_orders_and_makes_to_sample() -> None:
    custom = infer_customization(offer(title="短袖", details=detail(biz_type=2)), "en")
    assert custom.supported and custom.made_to_sample
    assert [(e.signal, e.value, e.weight) for e in custom.evidence] == [("biz_type", "2", 1.0)]


@pytest.mark.parametrize("word", ["来样加工", "来图加工", "来样定制", "来图定制"])
def test_made_to_sample_words_in_the_title(word: str) -> None:
    custom = infer_customization(offer(title=f"纯棉T恤{word}"), "en")
    assert custom.supported and custom.made_to_sample
    assert custom.services == (word,)
    assert custom.evidence[0].signal == "title_word"


@pytest.mark.parametrize("word", ["定制", "订制", "定做", "OEM", "ODM", "贴牌"])
def test_custom_order_words_mean_supported_but_not_made_to_sample(word: str) -> None:
    custom = infer_customization(offer(title=f"纯棉T恤 支持{word}"), "en")
    assert custom.supported and not custom.made_to_sample
    assert custom.services == (word,)


def test_description_words_count_and_are_case_insensitive() -> None:
    custom = infer_customization(
        offer(title="短袖", details=detail(description="可接oem订单")), "en"
    )
    assert custom.supported
    assert [(e.signal, e.value) for e in custom.evidence] == [("description_word", "OEM")]


@pytest.mark.parametrize("title", ["POEMS诗集批发", "ODMS配件", "韩版xODM"])
def test_oem_and_odm_inside_a_latin_word_are_not_services(title: str) -> None:
    custom = infer_customization(offer(title=title), "en")
    assert not custom.supported and custom.services == ()


def test_oem_next_to_chinese_or_digits_is_a_service() -> None:
    custom = infer_customization(offer(title="OEM定制300件起 ODM2024"), "en")
    assert custom.services == ("OEM", "定制", "ODM")
    assert custom.custom_min_order == 300


def test_plain_title_is_not_customizable() -> None:
    custom = infer_customization(offer(title="纯棉T恤男短袖"), "en")
    assert not custom.supported and not custom.made_to_sample
    assert custom.evidence == ()


def test_a_refusal_wins_over_a_claim() -> None:
    custom = infer_customization(offer(title="现货 OEM 不支持定制"), "en")
    assert not custom.supported
    refused = next(e for e in custom.evidence if e.value == "定制")
    assert refused.weight == -1.0
    assert "negated" in refused.note


@pytest.mark.parametrize("title", ["定制T恤 本款不支持定制", "本款不支持定制 定制T恤"])
def test_a_refusal_of_a_word_wins_wherever_it_stands(title: str) -> None:
    custom = infer_customization(offer(title=title), "en")
    assert not custom.supported
    assert [(e.value, e.weight) for e in custom.evidence] == [("定制", -1.0)]


def test_a_negation_elsewhere_in_the_title_is_not_a_refusal() -> None:
    custom = infer_customization(offer(title="不起球不掉色定制logo卫衣"), "en")
    assert custom.supported


def test_refusing_samples_still_allows_other_custom_orders() -> None:
    custom = infer_customization(offer(title="支持OEM 不接来样加工"), "en")
    assert custom.supported and not custom.made_to_sample


@pytest.mark.parametrize(("text", "minimum"), [("定制499件起", 499), ("来样定制，500件起订", 500)])
def test_custom_minimum_next_to_a_customization_word(text: str, minimum: int) -> None:
    custom = infer_customization(offer(title=text), "en")
    assert custom.custom_min_order == minimum
    assert any(e.note.startswith("custom minimum stated") for e in custom.evidence)


def test_an_ordinary_minimum_order_is_not_a_custom_minimum() -> None:
    assert infer_customization(offer(title="纯棉T恤 100件起批"), "en").custom_min_order == 0


def test_sample_fee_from_the_detail_wins_over_the_text() -> None:
    custom = infer_customization(
        offer(title="定制 打样费80元", details=detail(sample_fee="50.00")), "en"
    )
    assert custom.sample_fee == Decimal("50.00")
    assert ("detail_field", "50.00") in [(e.signal, e.value) for e in custom.evidence]


@pytest.mark.parametrize(("text", "fee"), [("打样费80元", "80"), ("样品费 ¥35.5", "35.5")])
def test_sample_fee_from_the_text(text: str, fee: str) -> None:
    assert infer_customization(offer(title=text), "en").sample_fee == Decimal(fee)


def test_sampling_days_are_not_a_fee() -> None:
    assert infer_customization(offer(title="定制 打样3天"), "en").sample_fee is None


def test_fast_sampling_and_the_services_named() -> None:
    custom = infer_customization(
        offer(title="来样加工 OEM 贴牌", details=detail(description="支持快速打样")), "zh"
    )
    assert custom.fast_sampling
    assert custom.services == ("来样加工", "OEM", "贴牌", "打样")
    assert custom.evidence[0].note == "「来样加工」：支持来样/来图加工"


def test_product_attributes_state_customization() -> None:
    stated = detail(attributes=(("加工定制", "是"), ("加印LOGO", "可以")))
    custom = infer_customization(offer(title="纯棉T恤", details=stated), "en")
    assert custom.supported and not custom.made_to_sample
    assert [(e.signal, e.value, e.weight) for e in custom.evidence] == [
        ("detail_field", "加工定制: 是", 1.0),
        ("detail_field", "加印LOGO: 可以", 1.0),
    ]
    assert custom.evidence[0].note == "product attribute 加工定制: 是: takes custom orders"


def test_an_attribute_saying_no_refuses_custom_orders() -> None:
    stated = detail(attributes=(("加工定制", "否"),))
    custom = infer_customization(offer(title="定制T恤", details=stated), "en")
    assert not custom.supported


def test_attributes_written_into_the_description_count_too() -> None:
    stated = detail(description="材质：棉\n加工定制：是\n")
    assert infer_customization(offer(title="T恤", details=stated), "zh").supported


_PIECES = (
    "来样加工", "来图定制", "定制", "OEM", "贴牌", "打样", "快速打样", "不", "不支持", "无法",
    "纯棉", "T恤", "加工定制：是", "加工定制：否", "加印LOGO：可以", "300件起", "打样费80元", " ",
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=6).map("".join),
    st.lists(st.sampled_from(_PIECES), max_size=6).map("".join),
    st.sampled_from([0, 1, 2, 3]),
)
def test_planning_decides_as_ranking_does(title: str, description: str, biz_type: int) -> None:
    ranked = infer_customization(
        offer(title=title, details=detail(description=description, biz_type=biz_type)), "en"
    )
    facts = OfferFacts("o1", DetailFacts(True, biz_type=biz_type, description=description), title)
    planned = decide_for_planning(facts)
    assert (planned.supported, planned.made_to_sample, planned.fast_sampling) == (
        ranked.supported,
        ranked.made_to_sample,
        ranked.fast_sampling,
    )
    assert (planned.custom_min_order, planned.sample_fee) == (
        ranked.custom_min_order,
        ranked.sample_fee,
    )
