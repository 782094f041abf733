"""Near-identical titles: the fast prefix-filtered search finds exactly what comparing every
pair would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ranking.title_similarity import normalize, similar_title_pairs


def bigrams(title: str) -> frozenset[str]:
    text = normalize([title])
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def every_pair(titles: list[str], min_dice: float, skip: list[bool]) -> list[tuple[int, int]]:
    sets = [bigrams(t) for t in titles]
    found = []
    for a in range(len(titles)):
        for b in range(a + 1, len(titles)):
            if (skip[a] and skip[b]) or not sets[a] or not sets[b]:
                continue
            if 2 * len(sets[a] & sets[b]) >= min_dice * (len(sets[a]) + len(sets[b])):
                found.append((a, b))
    return found


def test_selling_words_punctuation_and_case_are_ignored() -> None:
    titles = ["厂家直销 纯棉T恤男短袖", "纯棉t恤男短袖【一件代发】", "加厚连帽卫衣女"]
    assert similar_title_pairs(titles, 0.8, [False] * 3) == [(0, 1)]
    assert normalize(titles) == "纯棉t恤男短袖\n纯棉t恤男短袖\n加厚连帽卫衣女"


def test_a_minimum_is_read_within_one_title() -> None:
    # "...300" ending one title and "件起批..." starting the next are not one minimum.
    titles = ["纯棉T恤男短袖 300", "件起批 加厚连帽卫衣女", "纯棉T恤男短袖 50 件起订"]
    assert normalize(titles) == "纯棉t恤男短袖300\n件起批加厚连帽卫衣女\n纯棉t恤男短袖"
    assert similar_title_pairs(titles, 0.8, [False] * 3) == every_pair(titles, 0.8, [False] * 3)


def test_pairs_of_skipped_titles_are_left_out() -> None:
    titles = ["纯棉T恤男短袖", "纯棉T恤男短袖", "纯棉T恤男短袖"]
    assert similar_title_pairs(titles, 0.8, [True, True, False]) == [(0, 2), (1, 2)]
    assert similar_title_pairs(titles, 0.8, [True, True, True]) == []


def test_titles_too_short_to_compare_pair_with_nothing() -> None:
    assert similar_title_pairs(["T", "T", ""], 0.8, [False] * 3) == []
    assert similar_title_pairs([], 0.8, []) == []


# A small alphabet so that random titles often overlap.
_title = st.text(alphabet="纯棉T恤男女短袖圆领 批发", min_size=0, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    titles=st.lists(_title, min_size=0, max_size=25),
    min_dice=st.sampled_from([0.5, 0.7, 0.8, 0.9, 1.0]),
    data=st.data(),
)
def test_same_pairs_as_comparing_every_pair(
    titles: list[str], min_dice: float, data: st.DataObject
) -> None:
    skip = data.draw(st.lists(st.booleans(), min_size=len(titles), max_size=len(titles)))
    assert similar_title_pairs(titles, min_dice, skip) == every_pair(titles, min_dice, skip)
