"""Customization inferred from bizType, title and description words, with evidence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ranking import customization
from services.ranking.customization import infer_customization
from shared.customization_words import CUSTOM, FAST_SAMPLING, NEGATIONS, TO_SAMPLE
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


def test_every_word_read_holds_a_mark_so_texts_without_marks_can_be_skipped() -> None:
    words = (*TO_SAMPLE, *CUSTOM, *FAST_SAMPLING)
    starts = ("来样", "来图", "打样费", "样品费", "样衣费")  # the custom-minimum and fee patterns
    for word in (*words, *starts):
        assert customization._telling(word) == word
        assert customization._telling(word.lower()) == word.lower()


def test_a_title_without_marks_reads_like_no_title() -> None:
    plain = offer(title="纯棉T恤 厂家直销 300件起 ¥20元 不")
    assert infer_customization(plain, "zh") == infer_customization(offer(title=""), "zh")


_PIECES = (
    *TO_SAMPLE, *CUSTOM, *FAST_SAMPLING, *NEGATIONS, "来样", "来图", "打样费", "样品费", "样衣费",
    "oem", "odm", "P", "x", "S", "3", "24小时", "300", "件", "起", "¥", "元", "35.5", "，", " ",
    "\n", "纯棉", "T恤", "支持", "本款", "可", "样", "图", "定", "订", "贴", "O",
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_the_part_of_a_text_read_says_what_the_whole_text_says(text: str) -> None:
    # Inferences are cached on that part (_said), so new titles that end alike share one.
    for locale in ("zh", "en"):
        whole = customization._infer(customization._telling(text), "", False, None, locale)
        part = customization._infer(customization._said(text), "", False, None, locale)
        assert part == whole
