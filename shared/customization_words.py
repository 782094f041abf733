"""Customization: the one rule that decides "customizable" and "made to sample".

No API field states customization (see the protocol note). Live details state it, when
at all, as product attributes (``加工定制: 是``, ``加印LOGO: 可以``); otherwise bizType 2
(加工, processing) and words in the title and description say it. Ranking infers it with
``decide`` and planning decides with the same function when it is given no inference, so
a direct caller of planning gets the answer the public flow gets.

The rule (``decide``):
- made to sample: bizType 2, or a made-to-sample phrase (来样加工 ...) not refused;
- customizable: made to sample, or any customization word not refused, or an attribute
  saying yes (加工定制: 是/支持/可以, 加印LOGO: 可以/是/支持);
- a refusal wins over a claim: a refused word (不支持定制) or an attribute saying no
  (加工定制: 否) refuses custom orders, a refused made-to-sample phrase refuses making to
  sample. A buyer should not be sent to a supplier that says it does not take the job.
- a custom minimum (定制300件起) and a sample fee (打样费80元, or the detail's) are read
  next to those words.

The words:

- Made-to-sample phrases (来样加工, 来图定制 ...) also mean custom orders are taken.
- OEM and ODM count only as words of their own ("POEMS" is not a service); case
  is ignored and they are reported upper-cased.
- A negation right before a word refuses it (不支持定制, 暂不提供打样, 无法定制),
  wherever the word stands; a negation elsewhere does not (不掉色定制T恤 is a
  claim, 304不锈钢定制 too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

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


def _refused(upper: str, start: int) -> bool:
    return upper[max(0, start - _REACH) : start].endswith(NEGATIONS)


def find_words(text: str) -> list[tuple[str, bool]]:
    """Each customization word in ``text`` once, in order of appearance, and whether it is
    refused (a refusal anywhere wins over a claim elsewhere)."""
    upper = text.upper()
    refused: dict[str, bool] = {}
    for match in _WORDS.finditer(upper):
        word = match[0]
        if not refused.get(word, False):
            refused[word] = _refused(upper, match.start())
    return list(refused.items())


def offers_fast_sampling(text: str) -> bool:
    """A fast-sampling phrase (快速打样, 当天打样 ...) that is not refused."""
    return any(not _refused(text, match.start()) for match in _FAST_WORDS.finditer(text))


#: Product attributes that state customization, and the values that mean yes / no.
ATTRIBUTES = ("加工定制", "加印LOGO")
_YES = ("是", "支持", "可以", "可", "接受")
_NO = ("否", "不支持", "不可以", "不可", "不接受", "无")
# An attribute written into a text ("加工定制：是"), as a gateway may fold them in.
_ATTRIBUTE_IN_TEXT = re.compile(
    "("
    + "|".join(ATTRIBUTES)
    + r")\s*[:：]\s*("
    + "|".join(sorted((*_YES, *_NO), key=len, reverse=True))
    + ")",
    re.IGNORECASE,
)
_TRIGGER = r"(?:定制|订制|定做|来样|来图|{}|{}|贴牌)".format(latin_word("OEM"), latin_word("ODM"))
_UNIT = r"(?:件|个|套|双|条|只|pcs|PCS)"
_CUSTOM_MINIMUM = re.compile(_TRIGGER + r"[^0-9。；;！!\n]{0,10}?(\d{1,7})\s*" + _UNIT)
_SAMPLE_FEE = re.compile(
    r"(?:打样费|样品费|样衣费|打样)[^0-9。；;\n]{0,6}?(?:[¥￥]\s*(\d{1,6}(?:\.\d{1,2})?)"
    r"|(\d{1,6}(?:\.\d{1,2})?)\s*元)"
)


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal behind the decision. ``meaning``: processing, to_sample, custom, sampling,
    negated, attribute_yes, attribute_no, custom_minimum or sample_fee."""

    signal: str
    value: str
    weight: float
    meaning: str


@dataclass(frozen=True, slots=True)
class Decision:
    supported: bool
    made_to_sample: bool
    fast_sampling: bool
    custom_min_order: int
    sample_fee: Decimal | None
    services: tuple[str, ...]
    signals: tuple[Signal, ...]


@lru_cache(maxsize=4096)
def decide(
    title: str,
    description: str = "",
    biz_type: int = 0,
    attributes: tuple[tuple[str, str], ...] = (),
    sample_fee: Decimal | None = None,
) -> Decision:
    """The customization decision with the signals behind it (see the module docstring).

    ``sample_fee``: the detail's published fee, which wins over one written in a text.
    """
    signals: list[Signal] = []
    processing = biz_type == 2
    if processing:
        signals.append(Signal("biz_type", "2", 1.0, "processing"))
    hits: list[tuple[str, str, bool]] = [
        (signal, word, refused)
        for signal, text in (("title_word", title), ("description_word", description))
        for word, refused in find_words(text)
    ]
    for signal, word, refused in hits:
        meaning = "negated" if refused else _meaning(word)
        signals.append(Signal(signal, word, -1.0 if refused else 1.0, meaning))
    stated = _attributes(attributes, description)
    for name, value, yes in stated:
        signals.append(
            Signal(
                "detail_field",
                f"{name}: {value}",
                1.0 if yes else -1.0,
                "attribute_yes" if yes else "attribute_no",
            )
        )
    to_sample_refused = any(refused and word in TO_SAMPLE for _, word, refused in hits)
    custom_refused = any(refused and word in CUSTOM for _, word, refused in hits) or any(
        not yes for _, _, yes in stated
    )
    to_sample = not to_sample_refused and (
        processing or any(not refused and word in TO_SAMPLE for _, word, refused in hits)
    )
    supported = not custom_refused and (
        to_sample or any(not refused for _, _, refused in hits) or any(yes for *_, yes in stated)
    )
    texts = (("title_word", title), ("description_word", description))
    minimum = _custom_minimum(texts) if supported and hits else None
    if minimum is not None:
        signals.append(Signal(minimum[0], minimum[1], 1.0, "custom_minimum"))
    fee: tuple[str, str, Decimal] | None
    fee = (
        ("detail_field", str(sample_fee), sample_fee)
        if sample_fee is not None
        else _stated_fee(texts)
    )
    if fee is not None:
        signals.append(Signal(fee[0], fee[1], 1.0, "sample_fee"))
    return Decision(
        supported=supported,
        made_to_sample=to_sample and supported,
        fast_sampling=offers_fast_sampling(title) or offers_fast_sampling(description),
        custom_min_order=minimum[2] if minimum is not None else 0,
        sample_fee=fee[2] if fee is not None else None,
        services=tuple(dict.fromkeys(word for _, word, refused in hits if not refused)),
        signals=tuple(signals),
    )


def _meaning(word: str) -> str:
    if word in TO_SAMPLE:
        return "to_sample"
    if word == "打样":
        return "sampling"
    return "custom"


def _attributes(
    attributes: tuple[tuple[str, str], ...], description: str
) -> list[tuple[str, str, bool]]:
    """(name, value, says yes) of every customization attribute stated, given or written
    into the description; values that say neither are left out."""
    pairs = [*attributes, *((m[1], m[2]) for m in _ATTRIBUTE_IN_TEXT.finditer(description))]
    stated: dict[str, tuple[str, str, bool]] = {}
    for name, value in pairs:
        key, answer = name.strip().upper(), value.strip()
        if key in ATTRIBUTES and (answer in _YES or answer in _NO):
            stated.setdefault(key, (name.strip(), answer, answer in _YES))
    return list(stated.values())


def _custom_minimum(texts: tuple[tuple[str, str], ...]) -> tuple[str, str, int] | None:
    for signal, text in texts:
        match = _CUSTOM_MINIMUM.search(text)
        if match is not None and int(match.group(1)) > 0:
            return signal, match.group(0), int(match.group(1))
    return None


def _stated_fee(texts: tuple[tuple[str, str], ...]) -> tuple[str, str, Decimal] | None:
    for signal, text in texts:
        match = _SAMPLE_FEE.search(text)
        if match is not None:
            return signal, match.group(0), Decimal(match.group(1) or match.group(2))
    return None


_NOTES = {
    "processing": "bizType 2: a processing (加工) offer, makes to order",
    "to_sample": "'{value}': makes to the buyer's sample",
    "custom": "'{value}': the supplier offers customization",
    "sampling": "'{value}': the supplier makes samples",
    "negated": "'{value}' is negated: the supplier says it does not",
    "attribute_yes": "product attribute {value}: takes custom orders",
    "attribute_no": "product attribute {value}: refuses custom orders",
    "custom_minimum": "custom minimum stated: {value}",
    "sample_fee": "sample fee stated: {value}",
}


def describe(signal: Signal) -> str:
    """The signal in plain English (ranking words them in the request's locale itself)."""
    return _NOTES[signal.meaning].format(value=signal.value)
