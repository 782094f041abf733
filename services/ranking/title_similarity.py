"""Pairs of near-identical offer titles.

Similarity is the Dice coefficient of the titles' character bigrams after selling words
(厂家直销, 一件代发 ...), a stated minimum (300件起), spaces and punctuation are removed:
resellers copy a factory's title and add or drop such words. A request holds at most a
few hundred offers, so every pair is compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Words a seller adds or drops without it being another product: how it sells (厂家直销,
# 一件代发) and what else it offers (来样加工, OEM); longer phrases first.
SELLING_WORDS = (
    "厂家直销", "源头工厂", "源头厂家", "工厂直销", "工厂直供", "工厂店", "自产自销", "实体工厂",
    "一件代发", "批发", "包邮", "现货", "爆款", "热销", "热卖", "新款", "代发", "厂家", "工厂",
    "跨境", "外贸", "来样加工", "来图加工", "来样定制", "来图定制", "定制", "订制", "定做",
    "oem", "odm", "贴牌", "打样", "支持",
)  # fmt: skip
# "300件起", "50个起批": the seller's minimum, not the product. Within one line: a minimum
# never joins a title to the next.
_MINIMUM = re.compile(r"\d+[^\S\n]*(?:件|个|套|双|条|只|pcs)[^\S\n]*起[订批做定]?")
_SEPARATOR = "\n"
# Underscores count as word characters to \w; normalize() turns them into spaces first.
_NOT_WORD = re.compile(r"[^\w\n]+")


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
    ``skip[a]`` and ``skip[b]`` are true. Titles under two characters pair with nothing.

    When every title is skipped (every offer has a photo hash, as on a page whose images
    were all compared) no pair can count, so no title is normalized."""
    if all(skip):
        return []
    lines = normalize(titles).split(_SEPARATOR) if titles else []
    grams = [frozenset(line[i : i + 2] for i in range(len(line) - 1)) for line in lines]
    found: set[tuple[int, int]] = set()
    for a in (i for i, skipped in enumerate(skip) if not skipped and grams[i]):
        first = grams[a]
        for b, second in enumerate(grams):
            if b == a or not second:
                continue
            if 2 * len(first & second) >= min_dice * (len(first) + len(second)):
                found.add((min(a, b), max(a, b)))
    return sorted(found)
