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
compared all at once with numpy, titles in ``title_similarity.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from services.ranking import wording
from services.ranking.domain import (
    MAKERS,
    Assessed,
    Locale,
    Offer,
    OfferGroup,
    Score,
    SupplierKind,
)
from services.ranking.title_similarity import similar_title_pairs

_SOURCE_FACTORY = SupplierKind.SOURCE_FACTORY  # enum member lookups are slow in loops
_MANUFACTURER = SupplierKind.MANUFACTURER
IMAGE_HASH = "image_hash"
TITLE_AND_PRICE = "title_and_price"
_MARKUP_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class GroupingRules:
    phash_max_distance: int = 8
    phash_loose_distance: int = 24
    match_similarity: float = 70.0
    title_min_similarity: float = 0.8
    price_ratio_max: Decimal = Decimal("1.6")
    long_standing_years: int = 3


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: str
    is_source: bool
    is_reseller: bool
    markup: Decimal


# An offer's assessment and score; a sequence of them is best first, so index + 1 = rank.
Scored = tuple[Assessed, Score]


def group_offers(
    ranked: Sequence[Scored], rules: GroupingRules, locale: Locale
) -> tuple[tuple[OfferGroup, ...], dict[str, Membership]]:
    """Groups of 2+ sellers, numbered by their best rank, and each member's role."""
    edges = list(_hash_edges(ranked, rules))
    edges += _title_edges(ranked, rules)
    components = _components(len(ranked), edges)
    groups: list[OfferGroup] = []
    memberships: dict[str, Membership] = {}
    for members, basis in components:
        group_id = f"g{len(groups) + 1}"
        group, roles = _describe(group_id, [(i, ranked[i]) for i in members], basis, rules, locale)
        groups.append(group)
        memberships.update(roles)
    return tuple(groups), memberships


def _hash_edges(ranked: Sequence[Scored], rules: GroupingRules) -> Iterable[tuple[int, int, str]]:
    indices = [i for i, (a, _) in enumerate(ranked) if a.offer.image_phash is not None]
    if len(indices) < 2:
        return
    hashes = np.array([ranked[i][0].offer.image_phash for i in indices], dtype=np.uint64)
    # Same Hamming distance as shared.phash.hamming, for all pairs at once.
    distances = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    pairs = np.triu(np.ones(distances.shape, dtype=bool), 1)
    for a, b in zip(*np.nonzero(pairs & (distances <= rules.phash_max_distance)), strict=True):
        one, other = indices[int(a)], indices[int(b)]
        if _same(ranked[one], ranked[other], rules, unpriced=True):
            yield one, other, IMAGE_HASH
    matches = np.array([ranked[i][0].offer.similarity >= rules.match_similarity for i in indices])
    loose = (distances > rules.phash_max_distance) & (distances <= rules.phash_loose_distance)
    loose &= pairs & matches[:, None] & matches[None, :]
    for a, b in zip(*np.nonzero(loose), strict=True):
        one, other = indices[int(a)], indices[int(b)]
        if _same(ranked[one], ranked[other], rules):
            yield one, other, IMAGE_HASH


def _title_edges(ranked: Sequence[Scored], rules: GroupingRules) -> list[tuple[int, int, str]]:
    hashed = [a.offer.image_phash is not None for a, _ in ranked]
    if all(hashed):
        return []  # every pair is decided by the images
    titles = [a.offer.title for a, _ in ranked]
    pairs = similar_title_pairs(titles, rules.title_min_similarity, skip=hashed)
    return [(a, b, TITLE_AND_PRICE) for a, b in pairs if _same(ranked[a], ranked[b], rules)]


def _same(one: Scored, other: Scored, rules: GroupingRules, unpriced: bool = False) -> bool:
    """Titles or photos already agree: categories must not differ and prices must be close.

    ``unpriced``: a missing price does not count against the pair (a near-identical photo
    is evidence enough); otherwise both prices are needed.
    """
    categories = one[0].offer.category_id, other[0].offer.category_id
    if all(categories) and categories[0] != categories[1]:
        return False
    first, second = one[1].compared_unit_price, other[1].compared_unit_price
    if first is None or second is None or min(first, second) <= 0:
        return unpriced
    return max(first, second) <= min(first, second) * rules.price_ratio_max


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


@dataclass(frozen=True, slots=True)
class _Member:
    offer: Offer
    kind: SupplierKind
    price: Decimal | None
    rank: int


def _source(members: Sequence[_Member], rules: GroupingRules) -> _Member | None:
    """The best-ranked source factory, else the cheapest manufacturer (long-standing first)."""
    for member in members:
        if member.kind is _SOURCE_FACTORY:
            return member
    makers = [m for m in members if m.kind is _MANUFACTURER]
    if not makers:
        return None

    def key(m: _Member) -> tuple[bool, bool, Decimal, int]:
        young = m.offer.supplier.years_on_platform < rules.long_standing_years
        return young, m.price is None, m.price or Decimal(0), m.rank

    return min(makers, key=key)


def _markup(member: _Member, source: _Member) -> Decimal | None:
    price, base = member.price, source.price
    if price is None or base is None or base <= 0:
        return None
    return ((price - base) / base).quantize(_MARKUP_PLACES)


def _describe(
    group_id: str,
    scored: list[tuple[int, Scored]],
    basis: str,
    rules: GroupingRules,
    locale: Locale,
) -> tuple[OfferGroup, dict[str, Membership]]:
    members = [
        _Member(a.offer, a.kind.kind, s.compared_unit_price, index + 1) for index, (a, s) in scored
    ]
    source = _source(members, rules)
    roles: dict[str, Membership] = {}
    markups: list[Decimal] = []
    resellers = makers = 0
    for member in members:
        is_source = member is source
        is_reseller = source is not None and not is_source and member.kind not in MAKERS
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
    source: _Member | None,
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
