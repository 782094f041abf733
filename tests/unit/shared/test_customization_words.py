"""One reading of customization words for ranking and planning."""

from __future__ import annotations

import pytest

from shared.customization_words import NEGATION_MARKS, NEGATIONS, find_words, offers_fast_sampling


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("纯棉T恤 来样定制 OEM", [("来样定制", False), ("OEM", False)]),  # not 定制 twice
        ("可接oem订单", [("OEM", False)]),
        ("POEMS诗集 ODMS", []),
        ("现货不定制", [("定制", True)]),
        ("暂不提供打样", [("打样", True)]),
        ("无法定制", [("定制", True)]),
        ("不可以定制", [("定制", True)]),
        ("无定制", [("定制", True)]),
        ("不接OEM", [("OEM", True)]),
        ("304不锈钢定制", [("定制", False)]),
        ("不起球不掉色定制logo卫衣", [("定制", False)]),
        ("定制T恤 本款不支持定制", [("定制", True)]),
        ("本款不支持定制 定制T恤", [("定制", True)]),
    ],
)
def test_words_and_refusals(text: str, found: list[tuple[str, bool]]) -> None:
    assert find_words(text) == found


@pytest.mark.parametrize(
    ("text", "fast"),
    [("支持快速打样", True), ("当天打样", True), ("不支持快速打样", False), ("打样", False)],
)
def test_fast_sampling_unless_refused(text: str, fast: bool) -> None:
    assert offers_fast_sampling(text) is fast


def test_every_negation_holds_a_mark_looked_for_first() -> None:
    for negation in NEGATIONS:
        assert any(mark in negation for mark in NEGATION_MARKS), negation
