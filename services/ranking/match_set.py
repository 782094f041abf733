"""The match set: the offers that show the product in the buyer's photo.

1688 sends no similarity, only its relevance order, and that order is imperfect: a
reseller's edited copy can outrank the source, unrelated look-alikes sit on the first
page. So membership is decided on factoryfinder's own measured similarity
(``Offer.similarity`` when ``Offer.compared``), relative to the page, not on a fixed
threshold:

- **Clear match.** The best measured similarity must be at least ``plausible`` (below it
  the image is unlike the photo whatever the page) and stand out from the page: at least
  ``stand_out`` points above the page's median (without the best match's photo and its
  near-duplicates, transitively: when most of the page sells the pictured photo, as in a
  verification's agreed offers, the copies are the product, not the background;
  measured: three-photo verification's source first 91.1 → 97.8 % of reachable cases,
  searches unchanged), or ``sure`` or more on its own (a page where
  every offer is the product has a small spread and a high best).
  No clear match → ``found`` is false: the photo shows nothing the page sells.
- **Visual members.** An offer compared within ``near_best`` points of the best, or closer
  to the best than to the page's median (above the median plus ``spread_share`` = half of
  the best's lead over it; whichever admits more), and at least ``plausible``. An offer whose category is known and differs from the
  best match's is left out unless it is within ``near_best`` of the best (a look-alike of
  another kind of goods).
- **Near-duplicates.** Resellers reuse the factory's photo: an offer whose main image is a
  near-duplicate of a member's (``ImagePair`` from preprocess, or image hashes within
  ``phash_max_distance`` bits) is a member, whatever its own similarity to the photo.
- **Images not compared.** An offer whose image could not be compared joins when its title
  reads like a member's (Dice ≥ ``title_min_dice`` on the normalized titles) in a category
  that does not differ. When too few images could be compared to tell (none matched
  clearly and fewer than half were compared), the set is 1688's first result not found
  unlike the photo (each of them, when a verification's merged ranks tie), with its
  near-duplicates and look-alike titles (``basis`` "upstream_order"), and the answer's
  confidence says how little that is.

Every member carries the evidence of why it is in. Nothing here depends on input order:
medians, maxima and connected sets only, ties broken by offer id.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.ranking import wording
from services.ranking.domain import Assessed, Evidence, ImagePair, Locale, Offer
from services.ranking.title_similarity import similar_title_pairs

VISUAL = "visual_similarity"
UPSTREAM = "upstream_order"


@dataclass(frozen=True, slots=True)
class MatchRules:
    plausible: float = 30.0
    stand_out: float = 15.0
    sure: float = 85.0
    near_best: float = 10.0
    spread_share: float = 0.5
    title_min_dice: float = 0.6
    phash_max_distance: int = 8


@dataclass(frozen=True, slots=True)
class MatchSet:
    """``members``: offer id → why it is in (empty when not ``found``)."""

    found: bool
    basis: str
    best_similarity: float
    median_similarity: float
    compared: int
    members: Mapping[str, tuple[Evidence, ...]]
    # Near-duplicate partners of each offer (both directions), with the pair's similarity.
    duplicates: Mapping[str, Mapping[str, float]]
    # Offer id → the near-duplicate partners whose photos look like crops of its photo.
    wider_than: Mapping[str, frozenset[str]] = field(default_factory=dict)


def find_match_set(
    assessed: Sequence[Assessed],
    pairs: Sequence[ImagePair],
    rules: MatchRules,
    locale: Locale,
) -> MatchSet:
    offers = {a.offer.offer_id: a.offer for a in assessed}
    duplicates = _duplicates(offers, pairs, rules)
    wider = _wider(offers, pairs)
    compared = [o for o in offers.values() if o.compared]
    reasons: dict[str, list[Evidence]] = {}
    best = median = 0.0
    if compared:
        best = max(o.similarity for o in compared)
        median = _background_median(compared, best, duplicates)
        clear = best >= rules.plausible and (best - median >= rules.stand_out or best >= rules.sure)
        if clear:
            _add_visual(compared, best, median, rules, locale, reasons)
        elif 2 * len(compared) >= len(offers):
            return MatchSet(False, VISUAL, best, median, len(compared), {}, duplicates, wider)
    basis = VISUAL
    if not reasons:
        # Too few images compared to tell: 1688's first result whose image was not found
        # unlike the photo stands in (every such offer at that rank: a verification gives
        # each offer its best rank over the photos, so several can share it).
        eligible = [
            o
            for o in offers.values()
            if o.upstream_rank > 0 and not (o.compared and o.similarity < rules.plausible)
        ]
        if not eligible:
            return MatchSet(False, UPSTREAM, best, median, len(compared), {}, duplicates, wider)
        first_rank = min(o.upstream_rank for o in eligible)
        note = wording.say(locale, "ms.upstream_first", rank=first_rank)
        for first in eligible:
            if first.upstream_rank == first_rank:
                reasons[first.offer_id] = [Evidence("upstream_rank", str(first_rank), 0.5, note)]
        basis = UPSTREAM
    _add_duplicates(offers, duplicates, locale, reasons)
    _add_titles(offers, rules, locale, reasons)
    _add_duplicates(offers, duplicates, locale, reasons)
    members = {offer_id: tuple(why) for offer_id, why in sorted(reasons.items())}
    return MatchSet(True, basis, best, median, len(compared), members, duplicates, wider)


def _background_median(
    compared: Sequence[Offer], best: float, duplicates: Mapping[str, Mapping[str, float]]
) -> float:
    """The page's median similarity without the closest match's photo and its copies: when
    many sellers reuse the pictured photo, those copies are the product, not the page it
    must stand out from (the whole page's median when nothing else was compared)."""
    top = min((o for o in compared if o.similarity == best), key=lambda o: o.offer_id)
    copies = {top.offer_id}
    queue = [top.offer_id]
    while queue:
        for partner in duplicates.get(queue.pop(), {}):
            if partner not in copies:
                copies.add(partner)
                queue.append(partner)
    rest = [o.similarity for o in compared if o.offer_id not in copies]
    return statistics.median(rest or [o.similarity for o in compared])


def _add_visual(
    compared: Sequence[Offer],
    best: float,
    median: float,
    rules: MatchRules,
    locale: Locale,
    reasons: dict[str, list[Evidence]],
) -> None:
    threshold = max(
        rules.plausible, min(best - rules.near_best, median + rules.spread_share * (best - median))
    )
    top = min((o for o in compared if o.similarity == best), key=lambda o: o.offer_id)
    for offer in compared:
        if offer.similarity < threshold:
            continue
        other_kind = offer.category_id and top.category_id and offer.category_id != top.category_id
        if other_kind and offer.similarity < best - rules.near_best:
            continue
        note = wording.say(
            locale,
            "ms.visual",
            similarity=round(offer.similarity, 1),
            best=round(best, 1),
            median=round(median, 1),
        )
        value = f"{offer.similarity:.1f}"
        reasons[offer.offer_id] = [Evidence(VISUAL, value, offer.similarity / 100, note)]


def _wider(offers: Mapping[str, Offer], pairs: Sequence[ImagePair]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for pair in pairs:
        ids = {pair.first_offer_id, pair.second_offer_id}
        if pair.wider_offer_id in ids and ids <= offers.keys():
            (narrower,) = ids - {pair.wider_offer_id}
            found.setdefault(pair.wider_offer_id, set()).add(narrower)
    return {offer_id: frozenset(partners) for offer_id, partners in found.items()}


def _duplicates(
    offers: Mapping[str, Offer], pairs: Sequence[ImagePair], rules: MatchRules
) -> dict[str, dict[str, float]]:
    partners: dict[str, dict[str, float]] = {}

    def link(a: str, b: str, similarity: float) -> None:
        if a == b or a not in offers or b not in offers:
            return
        for one, other in ((a, b), (b, a)):
            known = partners.setdefault(one, {})
            known[other] = max(similarity, known.get(other, 0.0))

    for pair in pairs:
        link(pair.first_offer_id, pair.second_offer_id, pair.similarity)
    hashed = sorted(
        (o.offer_id, o.image_phash) for o in offers.values() if o.image_phash is not None
    )
    for i, (a, first) in enumerate(hashed):
        for b, second in hashed[i + 1 :]:
            distance = (first ^ second).bit_count()  # as shared.phash.hamming
            if distance <= rules.phash_max_distance:
                link(a, b, round(100.0 * (1 - distance / 64), 1))
    return partners


def _add_duplicates(
    offers: Mapping[str, Offer],
    duplicates: Mapping[str, Mapping[str, float]],
    locale: Locale,
    reasons: dict[str, list[Evidence]],
) -> None:
    """Every near-duplicate of a member, transitively, with the member it copies."""
    queue = sorted(reasons)
    while queue:
        member = queue.pop(0)
        for partner, similarity in sorted(duplicates.get(member, {}).items()):
            if partner in reasons:
                continue
            note = wording.say(locale, "ms.duplicate", offer=member, similarity=round(similarity))
            reasons[partner] = [Evidence("near_duplicate", member, similarity / 100, note)]
            queue.append(partner)


def _add_titles(
    offers: Mapping[str, Offer],
    rules: MatchRules,
    locale: Locale,
    reasons: dict[str, list[Evidence]],
) -> None:
    """Offers whose images were not compared, by a member's look-alike title."""
    ids = sorted(offers)
    candidates = [not offers[i].compared and i not in reasons for i in ids]
    if not any(candidates):
        return
    members = [i in reasons for i in ids]
    titles = [offers[i].title for i in ids]
    # Only pairs with a candidate matter.
    skip = [not c for c in candidates]
    joined: dict[str, str] = {}
    for a, b in similar_title_pairs(titles, rules.title_min_dice, skip):
        for one, other in ((a, b), (b, a)):
            member, candidate = ids[one], ids[other]
            if (
                members[one]
                and candidates[other]
                and _categories_agree(offers[member], offers[candidate])
            ):
                joined[candidate] = min(member, joined.get(candidate, member))
    for candidate, member in sorted(joined.items()):
        note = wording.say(locale, "ms.title", offer=member)
        reasons[candidate] = [Evidence("title", member, 0.3, note)]


def _categories_agree(one: Offer, other: Offer) -> bool:
    return not (one.category_id and other.category_id and one.category_id != other.category_id)
