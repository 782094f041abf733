"""Same product, several sellers: group them and say who is the source.

Two offers are the same product when their categories do not differ (when
both are known), their compared prices are within ``price_ratio_max`` of each
other, and
- both main images have a perceptual hash and the hashes differ in at most
  ``phash_max_distance`` bits (traders reuse the factory's photos; here a
  missing price does not count against the pair), or
- the hashes differ in at most ``phash_loose_distance`` bits and both offers
  match the buyer's photo well (similarity ≥ ``match_similarity``): resellers
  crop, tint, watermark and banner the factory's photo, which moves a pHash
  by 10-25 bits, while a merely similar product rarely matches the buyer's
  photo that well, or
- a hash is missing and their titles are near-identical once selling words
  are removed (厂家直销, 一件代发 ... differ between a factory and its resellers).
The price check also keeps look-alike products apart: different goods of one
kind can share a pHash, rarely also a price within 60 %.
Groups are the connected components of that relation, so they do not depend
on input order. In each group the source is the best-ranked source factory,
else the cheapest manufacturer (long-standing ones first); members that are
not makers are flagged as resellers with their mark-up over the source.

Pairs are found without comparing every pair in Python: image hashes are
compared with numpy, only within a category (and for offers of unknown category,
with all), titles in ``title_similarity.py``; components are found by numpy
label propagation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import numpy as np

from services.ranking import wording
from services.ranking.arrays import Ints as _Ints
from services.ranking.arrays import ranges
from services.ranking.domain import (
    Assessed,
    Locale,
    Offer,
    OfferGroup,
    Score,
    SupplierKind,
)
from services.ranking.title_similarity import similar_title_indexes

_SOURCE_FACTORY = SupplierKind.SOURCE_FACTORY  # enum member lookups are slow in loops
_MANUFACTURER = SupplierKind.MANUFACTURER
IMAGE_HASH = "image_hash"
TITLE_AND_PRICE = "title_and_price"
_MARKUP_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class GroupingRules:
    phash_max_distance: int = 8
    phash_loose_distance: int = 24
    match_similarity: float = 70.0
    title_min_similarity: float = 0.8
    price_ratio_max: Decimal = Decimal("1.6")
    long_standing_years: int = 3


# A grouped offer's role: (group id, is the source, is a reseller, mark-up over the source).
# A tuple, not a dataclass: one per grouped offer and request, read once (in rank()).
Membership = tuple[str, bool, bool, Decimal]


# An offer's assessment and score; a sequence of them is best first, so index + 1 = rank.
Scored = tuple[Assessed, Score]


def group_offers(
    ranked: Sequence[Scored], rules: GroupingRules, locale: Locale
) -> tuple[tuple[OfferGroup, ...], dict[int, Membership]]:
    """Groups of 2+ sellers, numbered by their best rank, and the role of each member
    by its index in ``ranked``."""
    columns = _Columns.of(ranked)
    by_hash = _hash_edges(columns, rules)
    by_title = _title_edges(columns, rules)
    groups: list[OfferGroup] = []
    memberships: dict[int, Membership] = {}
    for members, basis in _components(len(ranked), by_hash, by_title):
        group_id = f"g{len(groups) + 1}"
        groups.append(_describe(group_id, members, basis, columns, rules, locale, memberships))
    return tuple(groups), memberships


@dataclass(frozen=True, slots=True)
class _Columns:
    """What grouping reads of each ranked offer, indexed like ``ranked``. Gathered once:
    reaching through the assessment and the score for every pair cost more than the rules."""

    offers: list[Offer]
    kinds: list[SupplierKind]
    prices: list[Decimal | None]
    categories: _Ints  # a code per category id; 0 = unknown

    @classmethod
    def of(cls, ranked: Sequence[Scored]) -> _Columns:
        codes = {"": 0}
        categories = [codes.setdefault(a.offer.category_id, len(codes)) for a, _ in ranked]
        return cls(
            [a.offer for a, _ in ranked],
            [a.kind.kind for a, _ in ranked],
            [s.compared_unit_price for _, s in ranked],
            np.array(categories, dtype=np.int64),
        )


# Edges between offers, by index: (first offers, second offers)
_Pairs = tuple[_Ints, _Ints]
_NONE: _Ints = np.zeros(0, dtype=np.int64)
_NO_PAIRS = (_NONE, _NONE)


def _hash_edges(columns: _Columns, rules: GroupingRules) -> _Pairs:
    offers = columns.offers
    hashed = np.array(
        [i for i, offer in enumerate(offers) if offer.image_phash is not None], dtype=np.int64
    )
    if len(hashed) < 2:
        return _NO_PAIRS
    # Only offers whose categories do not differ can be the same product, so not all pairs
    # are compared: in category order (unknown first), each offer is compared with those
    # after it in its category, or with all after it when its category is unknown.
    categories = columns.categories[hashed]
    order = np.argsort(categories, kind="stable")
    hashed, categories = hashed[order], categories[order]
    count = len(hashed)
    starts = np.flatnonzero(np.diff(categories, prepend=-1))
    ends = np.append(starts[1:], count)
    block_ends = np.repeat(ends, ends - starts)
    block_ends[categories == 0] = count
    positions = np.arange(count, dtype=np.int64)
    later = block_ends - positions - 1
    first = np.repeat(positions, later)
    second = ranges(positions + 1, later)
    hashes = np.array([offers[i].image_phash for i in hashed.tolist()], dtype=np.uint64)
    # Same Hamming distance as shared.phash.hamming, for all those pairs at once.
    distances = np.bitwise_count(hashes[first] ^ hashes[second])
    reach = max(rules.phash_max_distance, rules.phash_loose_distance)
    within = distances <= reach
    a, b, distances = hashed[first[within]], hashed[second[within]], distances[within]
    near = distances <= rules.phash_max_distance
    similarity = np.array([offer.similarity for offer in offers])
    matches = similarity >= rules.match_similarity
    loose = ~near & matches[a] & matches[b]
    near_a, near_b = _same(a[near], b[near], columns, rules, unpriced=True)
    loose_a, loose_b = _same(a[loose], b[loose], columns, rules)
    return np.concatenate((near_a, loose_a)), np.concatenate((near_b, loose_b))


def _title_edges(columns: _Columns, rules: GroupingRules) -> _Pairs:
    hashed = [offer.image_phash is not None for offer in columns.offers]
    if all(hashed):
        return _NO_PAIRS  # every pair is decided by the images
    titles = [offer.title for offer in columns.offers]
    a, b = similar_title_indexes(titles, rules.title_min_similarity, skip=hashed)
    return _same(a, b, columns, rules)


def _same(
    a: _Ints, b: _Ints, columns: _Columns, rules: GroupingRules, unpriced: bool = False
) -> _Pairs:
    """The pairs (titles or photos already agree) whose categories do not differ and whose
    prices are close.

    ``unpriced``: a missing price does not count against a pair (a near-identical photo
    is evidence enough); otherwise both prices are needed.
    """
    first, second = columns.categories[a], columns.categories[b]
    agree = (first == second) | (first == 0) | (second == 0)
    a, b = a[agree], b[agree]
    prices, ratio_max = columns.prices, rules.price_ratio_max
    close: list[bool] = []
    for one, other in zip(a.tolist(), b.tolist(), strict=True):  # no call per pair
        price, other_price = prices[one], prices[other]
        if price is None or other_price is None:
            close.append(unpriced)
            continue
        low, high = (price, other_price) if price <= other_price else (other_price, price)
        close.append(unpriced if low <= 0 else high <= low * ratio_max)
    keep = np.array(close, dtype=bool)
    return a[keep], b[keep]


def _components(count: int, by_hash: _Pairs, by_title: _Pairs) -> list[tuple[list[int], str]]:
    """Connected components of 2+ members, ordered by their best (lowest) index."""
    a = np.concatenate((by_hash[0], by_title[0]))
    b = np.concatenate((by_hash[1], by_title[1]))
    if len(a) == 0:
        return []
    # Every offer takes the lowest label of its neighbours and of its label's offer, until
    # none changes: then each component is labelled with its lowest index.
    labels = np.arange(count, dtype=np.int64)
    while True:
        previous = labels
        labels = labels.copy()
        np.minimum.at(labels, a, labels[b])
        np.minimum.at(labels, b, labels[a])
        labels = labels[labels]
        if np.array_equal(labels, previous):
            break
    order = np.argsort(labels, kind="stable")  # by label, then index
    ordered = labels[order]
    starts = np.flatnonzero(np.diff(ordered, prepend=-1))
    ends = np.append(starts[1:], count)
    title_heads = set(labels[by_title[0]].tolist())
    members = order.tolist()
    return [
        (members[start:end], TITLE_AND_PRICE if head in title_heads else IMAGE_HASH)
        for start, end, head in zip(
            starts.tolist(), ends.tolist(), ordered[starts].tolist(), strict=True
        )
        if end - start > 1
    ]


def _source(members: Sequence[int], columns: _Columns, rules: GroupingRules) -> int | None:
    """The best-ranked source factory, else the cheapest manufacturer (long-standing first)."""
    kinds = columns.kinds
    for member in members:
        if kinds[member] is _SOURCE_FACTORY:
            return member
    makers = [m for m in members if kinds[m] is _MANUFACTURER]
    if not makers:
        return None

    def key(m: int) -> tuple[bool, bool, Decimal, int]:
        young = columns.offers[m].supplier.years_on_platform < rules.long_standing_years
        price = columns.prices[m]
        return young, price is None, price or Decimal(0), m

    return min(makers, key=key)


def _describe(
    group_id: str,
    members: list[int],
    basis: str,
    columns: _Columns,
    rules: GroupingRules,
    locale: Locale,
    roles: dict[int, Membership],
) -> OfferGroup:
    """The group, with the role of each member added to ``roles``."""
    offers = columns.offers
    source = _source(members, columns, rules)
    if source is None:  # nobody to mark up from: every member is a plain seller
        plain = (group_id, False, False, _ZERO)
        for m in members:
            roles[m] = plain
        summary = _summary(locale, len(members), None, 0, 0, None)
        every = tuple([offers[m].offer_id for m in members])
        return OfferGroup(group_id, "", every, basis, _ZERO, _ZERO, summary)
    prices, kinds = columns.prices, columns.kinds
    base = prices[source]
    roles[source] = (group_id, True, False, _ZERO)
    source_offer = offers[source]
    ids = [source_offer.offer_id]
    markups: list[Decimal] = []
    resellers = 0
    for member in members:
        if member == source:
            continue
        ids.append(offers[member].offer_id)
        kind = kinds[member]
        is_reseller = kind is not _SOURCE_FACTORY and kind is not _MANUFACTURER  # not MAKERS
        if is_reseller:
            resellers += 1
        price = prices[member]
        if price is None or base is None or base <= 0:  # no mark-up to tell
            roles[member] = (group_id, False, is_reseller, _ZERO)
            continue
        markup = ((price - base) / base).quantize(_MARKUP_PLACES)
        if is_reseller:
            markups.append(markup)
        roles[member] = (group_id, False, is_reseller, markup or _ZERO)
    low, high = (min(markups), max(markups)) if markups else (_ZERO, _ZERO)
    makers = len(members) - 1 - resellers
    spread = (low, high) if markups else None
    summary = _summary(locale, len(members), source_offer, resellers, makers, spread)
    return OfferGroup(group_id, source_offer.offer_id, tuple(ids), basis, low, high, summary)


def _summary(
    locale: Locale,
    count: int,
    source: Offer | None,
    resellers: int,
    makers: int,
    markups: tuple[Decimal, Decimal] | None,
) -> str:
    """``markups``: the lowest and highest reseller mark-up, if any is known."""
    if source is None:
        return wording.say(locale, "gr.no_source", count=count)
    name = source.supplier.company_name or source.offer_id
    if resellers and markups is not None:
        head, middle, tail = _worded(locale, count, resellers, makers, True)
        return head + name + middle + wording.markup_range(*markups) + tail
    head, rest, _ = _worded(locale, count, resellers, makers, False)
    return head + name + rest


# Stand-ins for the source's name and the mark-up range while the rest is worded.
_NAME, _MARKUP = "\x00", "\x01"


# Summaries differ in the source's name and the mark-up; the other parts recur across groups
# and requests: worded once, cut around those two (name first in both languages).
@lru_cache(maxsize=1024)
def _worded(
    locale: Locale, count: int, resellers: int, makers: int, marked_up: bool
) -> tuple[str, str, str]:
    parts = [wording.say(locale, "gr.source", count=count, name=_NAME)]
    if marked_up:
        key = "gr.resellers_all" if resellers == count - 1 else "gr.resellers_some"
        parts.append(_part(locale, key, resellers, _MARKUP))
    elif resellers:
        parts.append(_part(locale, "gr.resellers_no_price", resellers))
    if makers:
        parts.append(_part(locale, "gr.makers", makers))
    head, rest = _part(locale, "gr.join", 0).join(parts).split(_NAME)
    middle, _, tail = rest.partition(_MARKUP)
    return head, middle, tail


@lru_cache(maxsize=1024)
def _part(locale: Locale, key: str, number: int, markup: str = "") -> str:
    return wording.say(locale, key, resellers=number, makers=number, markup=markup)
