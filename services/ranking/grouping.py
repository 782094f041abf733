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
- preprocess found their main images to be near-duplicates (``ImagePair``), or
- a hash is missing and their titles are near-identical once selling words
  are removed (厂家直销, 一件代发 ... differ between a factory and its resellers).
The price check also keeps look-alike products apart: different goods of one
kind can share a pHash, rarely also a price within 60 %.
Groups are the connected components of that relation, so they do not depend
on input order. In each group the source is the best-ranked source factory,
else the cheapest manufacturer (long-standing ones first); members that are
not makers are flagged as resellers with their mark-up over the source. The answer
(``answer.py``) decides the pictured product's source on more evidence: a group that
holds the answer's source takes it as its source and the answer's resellers as its
resellers. Groups are every same-product cluster of the page, pictured or not.

A request holds at most a few hundred offers: every pair is compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from services.ranking import wording
from services.ranking.domain import (
    MAKERS,
    Assessed,
    ImagePair,
    Locale,
    OfferGroup,
    Score,
    SupplierKind,
)
from services.ranking.title_similarity import similar_title_pairs

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
Membership = tuple[str, bool, bool, Decimal]


# An offer's assessment and score; a sequence of them is best first, so index + 1 = rank.
Scored = tuple[Assessed, Score]


def group_offers(
    ranked: Sequence[Scored],
    rules: GroupingRules,
    locale: Locale,
    pairs: Sequence[ImagePair] = (),
    answer_roles: Mapping[str, str] = MappingProxyType({}),
) -> tuple[tuple[OfferGroup, ...], dict[int, Membership]]:
    """Groups of 2+ sellers, numbered by their best rank, and the role of each member
    by its index in ``ranked``. ``answer_roles``: the answer's match set, offer id →
    "source", "maker", "reseller" or "seller"."""
    edges = _image_edges(ranked, rules, pairs)
    by_title = {
        (a, b)
        for a, b in _title_pairs(ranked, rules)
        if (a, b) not in edges and _same(ranked[a], ranked[b], rules)
    }
    groups: list[OfferGroup] = []
    memberships: dict[int, Membership] = {}
    for members in _components(len(ranked), edges | by_title):
        basis = TITLE_AND_PRICE if any(a in members for a, _ in by_title) else IMAGE_HASH
        group_id = f"g{len(groups) + 1}"
        groups.append(
            _describe(group_id, members, basis, ranked, rules, locale, memberships, answer_roles)
        )
    return tuple(groups), memberships


def _image_edges(
    ranked: Sequence[Scored], rules: GroupingRules, pairs: Sequence[ImagePair]
) -> set[tuple[int, int]]:
    """Pairs (a < b) whose photos say they are the same product."""
    index = {a.offer.offer_id: i for i, (a, _) in enumerate(ranked)}
    edges: set[tuple[int, int]] = set()
    for pair in pairs:
        a, b = index.get(pair.first_offer_id), index.get(pair.second_offer_id)
        if a is not None and b is not None and a != b:
            edge = (min(a, b), max(a, b))
            if _same(ranked[edge[0]], ranked[edge[1]], rules, unpriced=True):
                edges.add(edge)
    hashes = [a.offer.image_phash for a, _ in ranked]
    matches = [a.offer.similarity >= rules.match_similarity for a, _ in ranked]
    reach = max(rules.phash_max_distance, rules.phash_loose_distance)
    for a, one in enumerate(hashes):
        if one is None:
            continue
        for b in range(a + 1, len(hashes)):
            other = hashes[b]
            if other is None:
                continue
            distance = (one ^ other).bit_count()  # shared.phash.hamming
            if distance > reach:
                continue
            if distance <= rules.phash_max_distance:
                near = _same(ranked[a], ranked[b], rules, unpriced=True)
            else:
                near = matches[a] and matches[b] and _same(ranked[a], ranked[b], rules)
            if near:
                edges.add((a, b))
    return edges


def _title_pairs(ranked: Sequence[Scored], rules: GroupingRules) -> list[tuple[int, int]]:
    """Near-identical titles, where at least one photo hash is missing."""
    hashed = [a.offer.image_phash is not None for a, _ in ranked]
    titles = [a.offer.title for a, _ in ranked]
    return similar_title_pairs(titles, rules.title_min_similarity, skip=hashed)


def _same(first: Scored, second: Scored, rules: GroupingRules, unpriced: bool = False) -> bool:
    """Categories that do not differ and prices within ``price_ratio_max`` of each other.

    ``unpriced``: a missing price does not count against the pair (a near-identical photo
    is evidence enough); otherwise both prices are needed.
    """
    one, other = first[0].offer.category_id, second[0].offer.category_id
    if one and other and one != other:
        return False
    price, other_price = first[1].compared_unit_price, second[1].compared_unit_price
    if price is None or other_price is None:
        return unpriced
    low, high = sorted((price, other_price))
    return unpriced if low <= 0 else high <= low * rules.price_ratio_max


def _components(count: int, edges: set[tuple[int, int]]) -> list[list[int]]:
    """Connected components of 2+ members, each sorted, ordered by their best index."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for i in range(count):
        members.setdefault(root(i), []).append(i)
    return [m for _, m in sorted(members.items()) if len(m) > 1]


def _source(members: Sequence[int], ranked: Sequence[Scored], rules: GroupingRules) -> int | None:
    """The best-ranked source factory, else the cheapest manufacturer (long-standing first)."""
    for member in members:
        if ranked[member][0].kind.kind is SupplierKind.SOURCE_FACTORY:
            return member
    makers = [m for m in members if ranked[m][0].kind.kind is SupplierKind.MANUFACTURER]

    def key(m: int) -> tuple[bool, bool, Decimal, int]:
        young = ranked[m][0].offer.supplier.years_on_platform < rules.long_standing_years
        price = ranked[m][1].compared_unit_price
        return young, price is None, price or _ZERO, m

    return min(makers, key=key, default=None)


def _describe(
    group_id: str,
    members: list[int],
    basis: str,
    ranked: Sequence[Scored],
    rules: GroupingRules,
    locale: Locale,
    roles: dict[int, Membership],
    answer_roles: Mapping[str, str],
) -> OfferGroup:
    """The group, with the role of each member added to ``roles``."""
    said = {m: answer_roles.get(ranked[m][0].offer.offer_id, "") for m in members}
    source = next((m for m in members if said[m] == "source"), None)
    if source is None:
        source = _source(members, ranked, rules)
    if source is None:  # nobody to mark up from: every member is a plain seller
        for m in members:
            roles[m] = (group_id, False, False, _ZERO)
        summary = wording.say(locale, "gr.no_source", count=len(members))
        ids = tuple(ranked[m][0].offer.offer_id for m in members)
        return OfferGroup(group_id, "", ids, basis, _ZERO, _ZERO, summary)
    base = ranked[source][1].compared_unit_price
    roles[source] = (group_id, True, False, _ZERO)
    others = [m for m in members if m != source]
    markups: list[Decimal] = []
    resellers = 0
    for member in others:
        is_reseller = (
            said[member] == "reseller"
            if said[source] == "source" and said[member]
            else ranked[member][0].kind.kind not in MAKERS
        )
        resellers += is_reseller
        price = ranked[member][1].compared_unit_price
        markup = _ZERO
        if price is not None and base is not None and base > 0:
            markup = ((price - base) / base).quantize(_MARKUP_PLACES)
            if is_reseller:
                markups.append(markup)
        roles[member] = (group_id, False, is_reseller, markup)
    low, high = (min(markups), max(markups)) if markups else (_ZERO, _ZERO)
    source_offer = ranked[source][0].offer
    parts = [
        wording.say(
            locale,
            "gr.source",
            count=len(members),
            name=wording.supplier_name(locale, source_offer),
        )
    ]
    if markups:
        key = "gr.resellers_all" if resellers == len(others) else "gr.resellers_some"
        spread = wording.markup_range(low, high)
        parts.append(wording.say(locale, key, resellers=resellers, markup=spread))
    elif resellers:
        parts.append(wording.say(locale, "gr.resellers_no_price", resellers=resellers))
    if len(others) > resellers:
        parts.append(wording.say(locale, "gr.makers", makers=len(others) - resellers))
    summary = wording.say(locale, "gr.join").join(parts)
    ids = (source_offer.offer_id, *(ranked[m][0].offer.offer_id for m in others))
    return OfferGroup(group_id, source_offer.offer_id, ids, basis, low, high, summary)
