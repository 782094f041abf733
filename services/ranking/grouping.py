"""Same product, several sellers: group them and say who is the source.

Two offers are the same product when
- both main images have a perceptual hash and the hashes differ in at most
  ``phash_max_distance`` bits (traders reuse the factory's photos), or
- otherwise, their titles are near-identical once selling words are removed
  (厂家直销, 一件代发 ... differ between a factory and its resellers), their
  categories agree when both are known, and their compared prices are within
  ``price_ratio_max`` of each other.
Groups are the connected components of that relation, so they do not depend
on input order. In each group the source is the best-ranked source factory,
else the cheapest manufacturer (long-standing ones first); members that are
not makers are flagged as resellers with their mark-up over the source.

Pairs are found without comparing every pair in Python: image hashes are
compared all at once with numpy, titles through a prefix-filtered inverted
index (a pair reaching the similarity threshold must share one of the rarest
few bigrams of each title).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from services.ranking import wording
from services.ranking.domain import MAKERS, Locale, OfferGroup, RankedOffer, SupplierKind

IMAGE_HASH = "image_hash"
TITLE_AND_PRICE = "title_and_price"
_MARKUP_PLACES = Decimal("0.0001")

# Words a reseller adds or drops without it being another product.
_SELLING_WORDS = (
    "厂家直销", "源头工厂", "源头厂家", "工厂直销", "工厂直供", "工厂店", "自产自销", "实体工厂",
    "一件代发", "批发", "包邮", "现货", "爆款", "热销", "热卖", "新款", "代发", "厂家", "工厂",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GroupingRules:
    phash_max_distance: int = 8
    title_min_similarity: float = 0.8
    price_ratio_max: Decimal = Decimal("1.6")
    long_standing_years: int = 3


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: str
    is_source: bool
    is_reseller: bool
    markup: Decimal


def group_offers(
    ranked: Sequence[RankedOffer], rules: GroupingRules, locale: Locale
) -> tuple[tuple[OfferGroup, ...], dict[str, Membership]]:
    """Groups of 2+ sellers, numbered by their best rank, and each member's role."""
    edges = list(_hash_edges(ranked, rules.phash_max_distance))
    edges += _title_edges(ranked, rules)
    components = _components(len(ranked), edges)
    groups: list[OfferGroup] = []
    memberships: dict[str, Membership] = {}
    for members, basis in components:
        group_id = f"g{len(groups) + 1}"
        group, roles = _describe(group_id, [ranked[i] for i in members], basis, rules, locale)
        groups.append(group)
        memberships.update(roles)
    return tuple(groups), memberships


def _hash_edges(ranked: Sequence[RankedOffer], max_distance: int) -> Iterable[tuple[int, int, str]]:
    indices = [i for i, r in enumerate(ranked) if r.offer.image_phash is not None]
    if len(indices) < 2:
        return
    hashes = np.array([ranked[i].offer.image_phash for i in indices], dtype=np.uint64)
    # Same Hamming distance as shared.phash.hamming, for all pairs at once.
    close = np.bitwise_count(hashes[:, None] ^ hashes[None, :]) <= max_distance
    for a, b in zip(*np.nonzero(np.triu(close, 1)), strict=True):
        yield indices[int(a)], indices[int(b)], IMAGE_HASH


def title_tokens(title: str) -> frozenset[str]:
    """Character bigrams of the title without selling words, spaces or punctuation."""
    text = title.lower()
    for word in _SELLING_WORDS:
        text = text.replace(word, "")
    text = "".join(ch for ch in text if ch.isalnum())
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _title_edges(ranked: Sequence[RankedOffer], rules: GroupingRules) -> list[tuple[int, int, str]]:
    tokens = [title_tokens(r.offer.title) for r in ranked]
    frequency = Counter(t for ts in tokens for t in ts)
    # Dice ≥ d is Jaccard ≥ d / (2 - d); for Jaccard ≥ j two sets ordered rarest-first
    # share a token within their first |x| - ceil(j·|x|) + 1 tokens.
    jaccard = rules.title_min_similarity / (2 - rules.title_min_similarity)
    index: dict[str, list[int]] = {}
    edges: list[tuple[int, int, str]] = []
    for i, ts in enumerate(tokens):
        ordered = sorted(ts, key=lambda t: (frequency[t], t))
        prefix = ordered[: len(ordered) - math.ceil(jaccard * len(ordered) - 1e-9) + 1]
        candidates = {j for t in prefix for j in index.get(t, ())}
        for t in prefix:
            index.setdefault(t, []).append(i)
        edges.extend(
            (j, i, TITLE_AND_PRICE)
            for j in sorted(candidates)
            if _same(ranked, tokens, j, i, rules)
        )
    return edges


def _same(
    ranked: Sequence[RankedOffer],
    tokens: Sequence[frozenset[str]],
    a: int,
    b: int,
    rules: GroupingRules,
) -> bool:
    one, other = ranked[a], ranked[b]
    if one.offer.image_phash is not None and other.offer.image_phash is not None:
        return False  # both photos known: the image decides
    categories = one.offer.category_id, other.offer.category_id
    if all(categories) and categories[0] != categories[1]:
        return False
    first, second = one.score.compared_unit_price, other.score.compared_unit_price
    if first is None or second is None or min(first, second) <= 0:
        return False
    if max(first, second) > min(first, second) * rules.price_ratio_max:
        return False
    return dice(tokens[a], tokens[b]) >= rules.title_min_similarity


def _components(count: int, edges: Iterable[tuple[int, int, str]]) -> list[tuple[list[int], str]]:
    """Connected components of 2+ members, ordered by their best (lowest) index."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_title: set[int] = set()
    for a, b, basis in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        if basis == TITLE_AND_PRICE:
            by_title.add(a)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    title_roots = {root(i) for i in by_title}
    return [
        (group, TITLE_AND_PRICE if head in title_roots else IMAGE_HASH)
        for head, group in sorted(members.items())
        if len(group) > 1
    ]


def _source(members: Sequence[RankedOffer], rules: GroupingRules) -> RankedOffer | None:
    """The best-ranked source factory, else the cheapest manufacturer (long-standing first)."""
    for member in members:
        if member.kind.kind is SupplierKind.SOURCE_FACTORY:
            return member
    makers = [m for m in members if m.kind.kind is SupplierKind.MANUFACTURER]
    if not makers:
        return None

    def key(m: RankedOffer) -> tuple[bool, bool, Decimal, int]:
        price = m.score.compared_unit_price
        young = m.offer.supplier.years_on_platform < rules.long_standing_years
        return young, price is None, price or Decimal(0), m.rank

    return min(makers, key=key)


def _markup(member: RankedOffer, source: RankedOffer) -> Decimal | None:
    price, base = member.score.compared_unit_price, source.score.compared_unit_price
    if price is None or base is None or base <= 0:
        return None
    return ((price - base) / base).quantize(_MARKUP_PLACES)


def _describe(
    group_id: str,
    members: list[RankedOffer],
    basis: str,
    rules: GroupingRules,
    locale: Locale,
) -> tuple[OfferGroup, dict[str, Membership]]:
    source = _source(members, rules)
    roles: dict[str, Membership] = {}
    markups: list[Decimal] = []
    resellers = makers = 0
    for member in members:
        is_source = member is source
        is_reseller = source is not None and not is_source and member.kind.kind not in MAKERS
        markup = _markup(member, source) if source is not None and not is_source else None
        resellers += is_reseller
        makers += source is not None and not is_source and not is_reseller
        if is_reseller and markup is not None:
            markups.append(markup)
        roles[member.offer.offer_id] = Membership(
            group_id, is_source, is_reseller, markup or Decimal(0)
        )
    ordered = [source] if source is not None else []
    ordered += [m for m in members if m is not source]
    low = min(markups, default=Decimal(0))
    high = max(markups, default=Decimal(0))
    summary = _summary(locale, len(members), source, resellers, makers, markups)
    group = OfferGroup(
        group_id=group_id,
        source_offer_id=source.offer.offer_id if source is not None else "",
        offer_ids=tuple(m.offer.offer_id for m in ordered),
        basis=basis,
        min_markup=low,
        max_markup=high,
        summary=summary,
    )
    return group, roles


def _summary(
    locale: Locale,
    count: int,
    source: RankedOffer | None,
    resellers: int,
    makers: int,
    markups: Sequence[Decimal],
) -> str:
    if source is None:
        return wording.say(locale, "gr.no_source", count=count)
    name = source.offer.supplier.company_name or source.offer.offer_id
    parts = [wording.say(locale, "gr.source", count=count, name=name)]
    if resellers and markups:
        markup = wording.markup_range(min(markups), max(markups))
        key = "gr.resellers_all" if resellers == count - 1 else "gr.resellers_some"
        parts.append(wording.say(locale, key, resellers=resellers, markup=markup))
    elif resellers:
        parts.append(wording.say(locale, "gr.resellers_no_price", resellers=resellers))
    if makers:
        parts.append(wording.say(locale, "gr.makers", makers=makers))
    return wording.say(locale, "gr.join").join(parts)
