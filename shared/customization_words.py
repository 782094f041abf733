"""The words a 1688 supplier uses to say it takes custom orders, and how a refusal reads.

No API field states customization (see the protocol note), so ranking infers it
from titles and descriptions and planning falls back on the same reading when it
is given no inference: one list of words and one negation rule serve both.

- Made-to-sample phrases (来样加工, 来图定制 ...) also mean custom orders are taken.
- OEM and ODM count only as words of their own ("POEMS" is not a service); case
  is ignored and they are reported upper-cased.
- A negation right before a word refuses it (不支持定制, 暂不提供打样, 无法定制),
  wherever the word stands; a negation elsewhere does not (不掉色定制T恤 is a
  claim, 304不锈钢定制 too).
"""

from __future__ import annotations

import re

#: Made-to-sample phrases; each also means custom orders are taken.
TO_SAMPLE = (
    "来样加工",
    "来图加工",
    "来样定制",
    "来图定制",
    "按样定制",
    "看样定制",
    "来样定做",
    "来图定做",
)
#: Custom-order words.
CUSTOM = ("定制", "订制", "定做", "OEM", "ODM", "贴牌", "打样")
FAST_SAMPLING = ("快速打样", "急速打样", "当天打样", "24小时打样", "48小时打样", "快速出样")
#: What a refusal ends with, right before the word it refuses.
NEGATIONS = (
    "不",
    "非",
    "无",
    "不支持",
    "不接",
    "不接受",
    "不做",
    "不提供",
    "不可",
    "不可以",
    "不能",
    "无法",
)
#: Every negation holds one of these: a text without any refuses nothing.
NEGATION_MARKS = ("不", "非", "无")
_REACH = 4  # characters before a word that may hold its negation


def latin_word(word: str) -> str:
    """A pattern for ``word`` standing on its own among Latin letters."""
    return rf"(?<![A-Za-z]){word}(?![A-Za-z])"


# Longer phrases first: 来样定制 wins over 定制.
_WORDS = re.compile("|".join(latin_word(w) if w.isascii() else w for w in (*TO_SAMPLE, *CUSTOM)))
_FAST_WORDS = re.compile("|".join(FAST_SAMPLING))


def _refusable(upper: str) -> bool:
    return "不" in upper or "非" in upper or "无" in upper  # NEGATION_MARKS, spelt out: hot path


def _refused(upper: str, start: int) -> bool:
    return upper[max(0, start - _REACH) : start].endswith(NEGATIONS)


def find_words(text: str) -> list[tuple[str, bool]]:
    """Each customization word in ``text`` once, in order of appearance, and whether it is
    refused (a refusal anywhere wins over a claim elsewhere)."""
    upper = text.upper()
    if not _refusable(upper):
        return [(word, False) for word in dict.fromkeys(_WORDS.findall(upper))]
    refused: dict[str, bool] = {}
    for match in _WORDS.finditer(upper):
        word = match[0]
        if not refused.get(word, False):
            refused[word] = _refused(upper, match.start())
    return list(refused.items())


def offers_fast_sampling(text: str) -> bool:
    """A fast-sampling phrase (快速打样, 当天打样 ...) that is not refused."""
    if "样" not in text:  # every phrase holds it
        return False
    refusable = _refusable(text)
    return any(
        not (refusable and _refused(text, match.start())) for match in _FAST_WORDS.finditer(text)
    )
