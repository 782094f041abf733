"""What a supplier can customize, inferred from words and detail fields.

No 1688 field states it. Signals: bizType 2 (加工, processing to the buyer's
specification), words in the title and the detail description (来样加工,
定制, OEM, 打样 ...; read by ``shared.customization_words``, as planning
reads them), a negation right before such a word (不支持定制), a
custom minimum or sample fee written next to them, and the detail's sample
fee. A negation wins over a claim: a buyer should not be sent to a supplier
that says it does not take the job.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from services.ranking import wording
from services.ranking.domain import Customization, Evidence, Locale, Offer
from shared.customization_words import (
    CUSTOM,
    FAST_SAMPLING,
    NEGATIONS,
    TO_SAMPLE,
    find_words,
    latin_word,
    offers_fast_sampling,
)

# OEM and ODM only as words of their own: "POEMS" is not a service.
_TRIGGER = r"(?:定制|订制|定做|来样|来图|{}|{}|贴牌)".format(latin_word("OEM"), latin_word("ODM"))
_UNIT = r"(?:件|个|套|双|条|只|pcs|PCS)"
_CUSTOM_MINIMUM = re.compile(_TRIGGER + r"[^0-9。；;！!\n]{0,10}?(\d{1,7})\s*" + _UNIT)
_SAMPLE_FEE = re.compile(
    r"(?:打样费|样品费|样衣费|打样)[^0-9。；;\n]{0,6}?(?:[¥￥]\s*(\d{1,6}(?:\.\d{1,2})?)"
    r"|(\d{1,6}(?:\.\d{1,2})?)\s*元)"
)


# (signal, word, negated) once per word: negated if any of its appearances is
_Hit = tuple[str, str, bool]
# (signal, the text that said it, the value read from it)
_Stated = tuple[str, str, int]
_Fee = tuple[str, str, Decimal]


# Every word read (shared.customization_words, case ignored) and every pattern above needs
# one of these: 样, 来图, 定制, 订制, 定做, 贴牌, OEM or ODM. A text without any says nothing
# about customization, whatever else it says.
_OEM_ODM = re.compile("O[ED]M", re.IGNORECASE)


def _telling(text: str) -> str:
    """``text`` if it holds a mark, else "" (it says as much as no text)."""
    # Substring tests, not one pattern: an IGNORECASE alternation has no prefix the regex
    # engine can skip to and cost ~1.4 µs a title; these ~0.3 µs (1,000 titles: 1.2 -> 0.3 ms).
    if (
        "样" in text
        or "来图" in text
        or "定制" in text
        or "订制" in text
        or "定做" in text
        or "贴牌" in text
        or (("M" in text or "m" in text) and _OEM_ODM.search(text) is not None)
    ):
        return text
    return ""


# What a telling text says starts at its first mark (a character of 样, 来图, 定制, 订制, 定做,
# 贴牌, OEM, ODM), or a few characters before it: a word or pattern may begin that far ahead
# of its first mark (the "24小时" of 24小时打样) and a negation reaches a few characters before
# a word. Of those characters only the ones a word, a pattern or a negation starts with count,
# and the one right before the mark when it is not a Chinese character (OEM must not follow a
# Latin letter).
_MARK = re.compile("[样图定订贴Oo]")
_LEADS = (*TO_SAMPLE, *CUSTOM, *FAST_SAMPLING, "来样", "来图", "打样费", "样品费", "样衣费")
_BEFORE_MARK = [_MARK.split(lead, maxsplit=1)[0] for lead in _LEADS]
_REACH = max(map(len, _BEFORE_MARK)) + max(map(len, NEGATIONS))
_MAY_COUNT = re.compile("[{}]".format("".join(sorted({*"".join(_BEFORE_MARK), "不", "非", "无"}))))


def _said(text: str) -> str:
    """The part of a telling ``text`` the inference reads, which it reads as it would the
    whole: new offers often say the same (可定制, 支持来样加工) after titles that differ.
    "" for a text that says nothing."""
    first = _MARK.search(text)  # one quick scan: most texts hold no mark, so tell nothing
    if first is None or not _telling(text):
        return ""
    mark = first.start()
    counts = _MAY_COUNT.search(text, max(0, mark - _REACH), mark)
    if counts is not None:
        return text[counts.start() :]
    if mark > 0 and not "\u4e00" <= text[mark - 1] <= "\u9fff":
        return text[mark - 1 :]
    return text[mark:]


_SILENT: dict[Locale, Customization] = {}


def infer_customization(offer: Offer, locale: Locale) -> Customization:
    """Customization ability with the evidence for it."""
    title = _said(offer.title)
    detail = offer.detail
    if detail is None:
        if not title:  # most offers: the answer for a text that says nothing, looked up once
            silent = _SILENT.get(locale)
            if silent is None:
                silent = _SILENT[locale] = _infer("", "", False, None, locale)
            return silent
        return _infer(title, "", False, None, locale)
    description = _said(detail.description)
    fee = detail.sample_fee
    stated = ("detail_field", str(fee), fee) if fee is not None else None
    return _infer(title, description, detail.biz_type == 2, stated, locale)


# Keyed on everything the inference reads, texts that say nothing left out (most titles) and
# of the others only what they say (see _said):
# offers come back across searches, resellers copy titles, and most titles say nothing,
# so the word scans below run once per telling text, not once per offer and request.
# The fee's text is in the key so that 20 and 20.0 stay apart.
@lru_cache(maxsize=4096)
def _infer(
    title: str, description: str, processing: bool, detail_fee: _Fee | None, locale: Locale
) -> Customization:
    # Statements rather than generator expressions: this runs for every telling text not
    # seen before.
    texts = [("title_word", title)]
    hits = _find_words(title, "title_word")
    if description:
        texts.append(("description_word", description))
        hits += _find_words(description, "description_word")
    minimum = _custom_minimum(texts) if hits else None
    fee = detail_fee if detail_fee is not None else _stated_fee(texts)
    fast = offers_fast_sampling(title) or offers_fast_sampling(description)
    return _conclude(tuple(hits), processing, minimum, fee, fast, locale)


def _find_words(text: str, signal: str) -> list[_Hit]:
    return [(signal, word, refused) for word, refused in find_words(text)]


_DIGIT = re.compile(r"\d")  # what _CUSTOM_MINIMUM needs: a quick look first (most texts have none)


def _custom_minimum(texts: list[tuple[str, str]]) -> _Stated | None:
    for signal, text in texts:
        match = _CUSTOM_MINIMUM.search(text) if _DIGIT.search(text) is not None else None
        if match is not None and int(match.group(1)) > 0:
            return signal, match.group(0), int(match.group(1))
    return None


def _stated_fee(texts: list[tuple[str, str]]) -> _Fee | None:
    for signal, text in texts:
        match = _SAMPLE_FEE.search(text) if "样" in text else None
        if match is not None:
            return signal, match.group(0), Decimal(match.group(1) or match.group(2))
    return None


# The same few word combinations recur across offers and requests: build each answer once.
@lru_cache(maxsize=4096)
def _conclude(
    hits: tuple[_Hit, ...],
    processing: bool,
    minimum: _Stated | None,
    fee: _Fee | None,
    fast: bool,
    locale: Locale,
) -> Customization:
    evidence: list[Evidence] = []
    if processing:
        evidence.append(_evidence(locale, "biz_type", "2", 1.0, "processing"))
    for signal, word, negated in hits:
        meaning = "negated" if negated else _meaning(word)
        evidence.append(_evidence(locale, signal, word, -1.0 if negated else 1.0, meaning))
    to_sample_denied = any(negated and word in TO_SAMPLE for _, word, negated in hits)
    custom_denied = any(negated and word in CUSTOM for _, word, negated in hits)
    to_sample = not to_sample_denied and (
        processing or any(not negated and word in TO_SAMPLE for _, word, negated in hits)
    )
    supported = not custom_denied and (to_sample or any(not negated for _, _, negated in hits))
    custom_minimum = 0
    if supported and minimum is not None:
        evidence.append(_evidence(locale, minimum[0], minimum[1], 1.0, "custom_minimum"))
        custom_minimum = minimum[2]
    if fee is not None:
        evidence.append(_evidence(locale, fee[0], fee[1], 1.0, "sample_fee"))
    return Customization(
        supported=supported,
        made_to_sample=to_sample and supported,
        custom_min_order=custom_minimum,
        sample_fee=fee[2] if fee is not None else None,
        services=tuple(dict.fromkeys(word for _, word, negated in hits if not negated)),
        fast_sampling=fast,
        evidence=tuple(evidence),
    )


def _meaning(word: str) -> str:
    if word in TO_SAMPLE:
        return "to_sample"
    if word == "打样":
        return "sampling"
    return "custom"


def _evidence(locale: Locale, signal: str, value: str, weight: float, meaning: str) -> Evidence:
    return Evidence(signal, value, weight, wording.customization_note(locale, meaning, value))
