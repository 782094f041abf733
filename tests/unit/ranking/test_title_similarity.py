"""Near-identical titles: Dice of character bigrams once selling words are gone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ranking.title_similarity import normalize, similar_title_pairs


def test_selling_words_punctuation_and_case_are_ignored() -> None:
    titles = ["厂家直销 纯棉T恤男短袖", "纯棉t恤男短袖【一件代发】", "加厚连帽卫衣女"]
    assert similar_title_pairs(titles, 0.8, [False] * 3) == [(0, 1)]
    assert normalize(titles) == "纯棉t恤男短袖\n纯棉t恤男短袖\n加厚连帽卫衣女"


def test_a_minimum_is_read_within_one_title() -> None:
    # "...300" ending one title and "件起批..." starting the next are not one minimum.
    titles = ["纯棉T恤男短袖 300", "件起批 加厚连帽卫衣女", "纯棉T恤男短袖 50 件起订"]
    assert normalize(titles) == "纯棉t恤男短袖300\n件起批加厚连帽卫衣女\n纯棉t恤男短袖"
    assert similar_title_pairs(titles, 0.8, [False] * 3) == [(0, 2)]


def test_pairs_of_skipped_titles_are_left_out() -> None:
    titles = ["纯棉T恤男短袖", "纯棉T恤男短袖", "纯棉T恤男短袖"]
    assert similar_title_pairs(titles, 0.8, [True, True, False]) == [(0, 2), (1, 2)]
    assert similar_title_pairs(titles, 0.8, [True, True, True]) == []


def test_titles_too_short_to_compare_pair_with_nothing() -> None:
    assert similar_title_pairs(["T", "T", ""], 0.8, [False] * 3) == []
    assert similar_title_pairs([], 0.8, []) == []


def test_the_threshold_is_the_dice_coefficient() -> None:
    # 纯棉T恤男短袖: 6 bigrams; 纯棉T恤女短袖: 6, sharing 4 → Dice 8/12 = 0.67
    titles = ["纯棉T恤男短袖", "纯棉T恤女短袖"]
    assert similar_title_pairs(titles, 0.66, [False, False]) == [(0, 1)]
    assert similar_title_pairs(titles, 0.67, [False, False]) == []


# A small alphabet so that random titles often overlap.
_title = st.text(alphabet="纯棉T恤男女短袖圆领 批发", min_size=0, max_size=12)


@settings(max_examples=100, deadline=None)
@given(titles=st.lists(_title, min_size=0, max_size=15), data=st.data())
def test_pairs_are_ordered_never_both_skipped_and_grow_as_the_threshold_falls(
    titles: list[str], data: st.DataObject
) -> None:
    skip = data.draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    strict = similar_title_pairs(titles, 0.9, skip)
    loose = similar_title_pairs(titles, 0.5, skip)
    assert set(strict) <= set(loose)
    assert all(a < b and not (skip[a] and skip[b]) for a, b in loose)
    assert loose == sorted(loose)
