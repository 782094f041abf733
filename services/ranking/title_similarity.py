"""Pairs of near-identical offer titles, found without comparing every pair.

Similarity is the Dice coefficient of the titles' character bigrams after
selling words (厂家直销, 一件代发 ...), spaces and punctuation are removed:
resellers copy a factory's title and add or drop such words.

A thousand titles make half a million pairs, far too many to compare in
Python. Instead (prefix filtering, as in set-similarity joins): a title x
with Jaccard ≥ j to a title y (Dice d ⇔ Jaccard d / (2 - d)) has all but
``|x| - ceil(j·|x|)`` of its bigrams in y, so y holds one of any
``|x| - ceil(j·|x|) + 1`` of them. Each title asks only for its rarest few
bigrams, which few other titles hold; those candidates are then checked on
the full bigram sets. Everything runs on numpy arrays built from the code
points of one joined string; bigrams are numbered densely in code order, and
packed integer keys are sorted (sorting values is many times faster than
numpy's indirect sorts) and looked up in increasing order. Titles that read the
same once normalized (a reseller's copy with 一件代发 added) are searched once:
their holders pair with each other and with the holders of every similar text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from services.ranking.arrays import ranges

# Words a seller adds or drops without it being another product: how it sells (厂家直销,
# 一件代发) and what else it offers (来样加工, OEM); longer phrases first.
SELLING_WORDS = (
    "厂家直销", "源头工厂", "源头厂家", "工厂直销", "工厂直供", "工厂店", "自产自销", "实体工厂",
    "一件代发", "批发", "包邮", "现货", "爆款", "热销", "热卖", "新款", "代发", "厂家", "工厂",
    "跨境", "外贸", "来样加工", "来图加工", "来样定制", "来图定制", "定制", "订制", "定做",
    "oem", "odm", "贴牌", "打样", "支持",
)  # fmt: skip
# "300件起", "50个起批": the seller's minimum, not the product. Patterns below start with a
# single character class, not a repeat (``\d\d*`` for ``\d+``): the regex engine then skips
# positions that cannot start a match in C instead of trying each (same matches; each sub
# about 40 % quicker, ~0.5 ms of the ~2.3 ms normalisation for 1,000 titles). Spaces but not
# the line break between two titles: a minimum never joins a title to the next.
_MINIMUM = re.compile(r"\d\d*[^\S\n]*(?:件|个|套|双|条|只|pcs)[^\S\n]*起[订批做定]?")

_SEPARATOR = "\n"
# Underscores count as word characters to \w; normalize() turns them into spaces first,
# so one character class removes them with the punctuation (an alternation cost a third more).
_NOT_WORD = re.compile(r"[^\w\n][^\w\n]*")
_POINT_BITS = 21  # every Unicode code point fits

_Ints = npt.NDArray[np.int64]


def normalize(titles: Sequence[str]) -> str:
    """All titles, lower-cased and stripped of selling words and punctuation, one per line."""
    text = _SEPARATOR.join(title.replace(_SEPARATOR, " ") for title in titles).lower()
    for word in SELLING_WORDS:
        text = text.replace(word, "")
    return _NOT_WORD.sub("", _MINIMUM.sub("", text).replace("_", " "))


def similar_title_pairs(
    titles: Sequence[str], min_dice: float, skip: Sequence[bool]
) -> list[tuple[int, int]]:
    """Index pairs (a < b) of titles with Dice ≥ ``min_dice``, except pairs where both
    ``skip[a]`` and ``skip[b]`` are true. Titles under two characters pair with nothing."""
    a, b = similar_title_indexes(titles, min_dice, skip)
    return list(zip(a.tolist(), b.tolist(), strict=True))


def similar_title_indexes(
    titles: Sequence[str], min_dice: float, skip: Sequence[bool]
) -> tuple[_Ints, _Ints]:
    """``similar_title_pairs`` as two arrays, the first titles and the second."""
    lines = normalize(titles).split(_SEPARATOR)
    skipped = np.asarray(skip, dtype=bool)
    # Resellers copy titles: many read the same once selling words are gone. Pairs are
    # searched among the distinct texts, then every holder of a text paired with every
    # holder of a similar one, and the holders of one text with each other.
    numbers: dict[str, int] = {}
    of = np.array([numbers.setdefault(line, len(numbers)) for line in lines], dtype=np.int64)
    asking = np.zeros(len(numbers), dtype=bool)
    asking[of[~skipped]] = True
    a, b, sizes = _similar(_SEPARATOR.join(numbers), len(numbers), min_dice, asking)
    if len(sizes) == 0:
        return _NONE, _NONE
    holders = np.bincount(of, minlength=len(numbers))
    alike = np.flatnonzero(
        (holders > 1) & (sizes > 0) & asking & (2 * sizes >= min_dice * (sizes + sizes))
    )
    a, b = np.concatenate((a, alike)), np.concatenate((b, alike))
    combinations = holders[a] * holders[b]
    pair = np.repeat(np.arange(len(a), dtype=np.int64), combinations)
    within = ranges(np.zeros(len(a), dtype=np.int64), combinations)
    by_text = np.argsort(of, kind="stable")
    firsts = np.cumsum(holders) - holders
    second_holders = holders[b][pair]
    one = by_text[firsts[a][pair] + within // second_holders]
    other = by_text[firsts[b][pair] + within % second_holders]
    # a text with itself gives every pair of its holders twice, and each holder with itself
    keep = ((a != b)[pair] | (one < other)) & ~(skipped[one] & skipped[other])
    count = len(titles)
    keys = np.sort(np.minimum(one, other)[keep] * count + np.maximum(one, other)[keep])
    return keys // count, keys % count


def _similar(
    text: str, count: int, min_dice: float, asking: npt.NDArray[np.bool_]
) -> tuple[_Ints, _Ints, _Ints]:
    """Pairs (a < b, one of them ``asking``) of the ``count`` normalized titles in ``text``
    with Dice ≥ ``min_dice``, and every title's number of bigrams (empty: no bigrams)."""
    bigrams, title_of, frequency = _bigrams(text)
    if len(bigrams) == 0:
        return _NONE, _NONE, _NONE
    # Every title's bigrams, rarest first; ties by number, so the order is the same for all.
    by_title, _, ordered = _sorted_columns(title_of, frequency, bigrams)
    sizes = np.bincount(by_title, minlength=count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    prefix_titles, prefix_codes = _rarest(by_title, ordered, sizes, starts, min_dice)
    a, b = _candidates(prefix_titles, prefix_codes, asking)
    if len(a) == 0:
        return _NONE, _NONE, sizes
    shared = _shared_counts(bigrams, title_of, ordered, sizes, starts, a, b)
    similar = 2 * shared >= min_dice * (sizes[a] + sizes[b])
    return a[similar], b[similar], sizes


_NONE: _Ints = np.zeros(0, dtype=np.int64)


def _bigrams(text: str) -> tuple[_Ints, _Ints, _Ints]:
    """(bigram, title, titles holding that bigram) for every distinct bigram of every
    normalized title in ``text``, sorted by bigram then title. Bigrams are numbered 0, 1 ...
    in code order."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    points = points.astype(np.int64)
    breaks = points == ord(_SEPARATOR)
    title_of = np.cumsum(breaks)[:-1]
    valid = ~(breaks[:-1] | breaks[1:])
    codes = (points[:-1] << _POINT_BITS) | points[1:]
    codes, title_of = _sorted_columns(codes[valid], title_of[valid])
    distinct = np.ones(len(codes), dtype=bool)
    distinct[1:] = (codes[1:] != codes[:-1]) | (title_of[1:] != title_of[:-1])
    codes, title_of = codes[distinct], title_of[distinct]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = codes[1:] != codes[:-1]
    run_starts = np.flatnonzero(first)
    run_lengths = np.diff(np.append(run_starts, len(codes)))
    numbers = np.repeat(np.arange(len(run_starts), dtype=np.int64), run_lengths)
    return numbers, title_of, np.repeat(run_lengths, run_lengths)


def _rarest(
    by_title: _Ints, ordered: _Ints, sizes: _Ints, starts: _Ints, min_dice: float
) -> tuple[_Ints, _Ints]:
    """(title, bigram) for the ``|x| - ceil(j·|x|) + 1`` rarest bigrams of every title, from
    all titles' bigrams ``ordered`` rarest first, title by title."""
    jaccard = min_dice / (2 - min_dice)
    prefix = sizes - np.ceil(jaccard * sizes - 1e-9).astype(np.int64) + 1
    keep = np.arange(len(by_title)) - starts[by_title] < prefix[by_title]
    return by_title[keep], ordered[keep]


def _candidates(
    titles: _Ints, bigrams: _Ints, asking: npt.NDArray[np.bool_]
) -> tuple[_Ints, _Ints]:
    """Distinct pairs (a < b) of an asking title and another title sharing a rarest bigram.

    Two titles with Jaccard ≥ j share a bigram among the rarest ``|x| - ceil(j·|x|) + 1``
    of each (the prefix-filtering principle), so only those are matched.
    """
    bigrams, titles = _sorted_columns(bigrams, titles)
    first = np.ones(len(bigrams), dtype=bool)
    first[1:] = bigrams[1:] != bigrams[:-1]
    run_starts = np.flatnonzero(first)
    run_lengths = np.diff(np.append(run_starts, len(bigrams)))
    asks = asking[titles]
    # every title holding an asking title's bigram: the run of that bigram
    holders = np.repeat(run_lengths, run_lengths)[asks]
    first_holders = np.repeat(run_starts, run_lengths)[asks]
    one = np.repeat(titles[asks], holders)
    other = titles[ranges(first_holders, holders)]
    keep = one != other
    a, b = np.minimum(one, other)[keep], np.maximum(one, other)[keep]
    count = len(asking)
    keys = np.sort(a * count + b)  # then distinct: several times quicker than np.unique
    distinct = np.ones(len(keys), dtype=bool)
    distinct[1:] = keys[1:] != keys[:-1]
    keys = keys[distinct]
    return keys // count, keys % count


def _shared_counts(
    bigrams: _Ints,
    title_of: _Ints,
    ordered: _Ints,
    sizes: _Ints,
    starts: _Ints,
    a: _Ints,
    b: _Ints,
) -> _Ints:
    """How many bigrams titles a[i] and b[i] have in common, for every i.

    ``bigrams`` and ``title_of`` list every (bigram, title) sorted, ``ordered`` the bigrams
    title by title (``starts``, ``sizes``). Each bigram of b[i] is looked up as (bigram,
    a[i]) among the sorted pairs, packed into one integer each; the lookups are sorted
    first (tagged with i), which halves the cost of the binary searches.
    """
    title_bits = int(title_of.max(initial=0)).bit_length()
    pair_bits = len(a).bit_length()
    if int(bigrams.max(initial=0)).bit_length() + title_bits + pair_bits > 63:
        raise ValueError(f"too many titles to compare: {len(sizes)}")
    known = (bigrams << title_bits) | title_of  # ascending: sorted by bigram, then title
    asked = (ordered[ranges(starts[b], sizes[b])] << title_bits) | np.repeat(a, sizes[b])
    tagged = (asked << pair_bits) | np.repeat(np.arange(len(a), dtype=np.int64), sizes[b])
    tagged.sort()
    asked = tagged >> pair_bits
    found = known[np.searchsorted(known, asked).clip(max=len(known) - 1)] == asked
    pairs = tagged & ((1 << pair_bits) - 1)
    return np.bincount(pairs[found], minlength=len(a))


def _sorted_columns(*columns: _Ints) -> tuple[_Ints, ...]:
    """Sort non-negative columns together, the first the most significant.

    When all fit in 63 bits they are packed into one key and sorted by value,
    else numpy's lexsort does it.
    """
    widths = [int(c.max(initial=0)).bit_length() for c in columns]
    if sum(widths) > 63:
        order = np.lexsort(tuple(reversed(columns)))
        return tuple(c[order] for c in columns)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, width in zip(columns, widths, strict=True):
        key = (key << width) | column
    key.sort()
    unpacked: list[_Ints] = []
    for width in reversed(widths):
        unpacked.append(key & ((1 << width) - 1))
        key = key >> width
    return tuple(reversed(unpacked))
