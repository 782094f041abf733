"""The answer: which offer of the match set is the pictured product's source, and how sure.

**The source** is the member with the most points (``_maker_points``). What a buyer can
check weighs most: resellers copy the factory's photo and edit it (crop, watermark,
padding, colour), and the copy drifts from the product, so

- the photo's closeness to the buyer's: (similarity − the best member's similarity) / 2.5,
  so a member 10 points less similar than the closest needs 4 points of maker evidence
  to be named instead (an image not compared counts as 10 points below the best, or
  below its closest compared near-duplicate). A member whose photo is a near-duplicate
  of a closer member's (``ImagePair``, direct partners only) is credited half the
  difference: the two show the same photo, so what separates them is the copy's edit (a
  tighter crop looks more like a buyer's close crop), not which one is the product; the
  uncropped / original / maker evidence below then decides between them. Measured on
  the quality bench's replayed rankings (30 products × 7 conditions plus 50
  verifications, both row shapes) and checked on 40 other products: source first
  87.2 → 89.6 % (live) and 90.2 → 92.7 % (doc2026) of reachable cases; on the other
  products 87.0 → 90.7 % and 89.8 → 92.1 %, the pictured product first unchanged. A full
  share (the copies' similarity only) or chaining near-duplicates transitively lost
  3-4 points of "first = the pictured product" on the other products: a chain of
  near-duplicates reaches a look-alike product's photo;
- the upstream's order among the members, -0.2 a place: 1688 tends to rank the photo
  the others copy first, a weak hint;

then the maker evidence, because sellers' own words and badges are cheap (resellers
write 源头工厂 too, factories list under bland names):

- how far the supplier's signals lean to a maker, × 0.5 (``KindInference.lean``: the
  makers' signal weights minus the resellers', as ``supplier_kind.py`` weighs them:
  ``super_factory`` 3, a factory's company name 2, 源头工厂 in the title 1, 一件代发 -1,
  a trading company's name -2.5 ...), whatever kind they add up to: a weak lean still
  counts;
- customization (+0.5) and making to sample (+0.5): what a maker offers, rarely a reseller;
- the uncropped photo, +0.75 for each close member whose photo looks like a crop of its
  photo and -0.75 for each close member whose photo it looks like a crop of (resellers
  crop the factory's photo a little tighter: ``ImagePair.wider_offer_id``, measured by
  preprocess; members within 30 points of the closest count). Two limits, because a
  look-alike product of the same kind shot from further away also measures "wider" than
  the pictured product's photo and its copies (sandbox drawer slides, spanners: a
  different product's photo 80-87 % like the source's collected +3 to +6.75 and was named
  over a source 10-14 points closer to the buyer's photo): a crop counts only when its
  photo is no more than 5 points more like the buyer's photo than like the wider one
  (else it is the pictured product's photo before it is anyone's crop), and at most four
  crops count each way (a product has a handful of resellers). Both sides of that 5-point
  comparison are on the pairs' scale: the buyer-side figure is ``Offer.pair_scale``
  (preprocess's similarity of the very pair of views that gave ``similarity``, on the
  coarse grids an ``ImagePair`` is measured with), because the buyer-side similarity also
  weighs finer grids that move it by ~5 points where the pair's does not, and a source then
  counted as a crop of a look-alike's wider photo. Replayed rankings of the quality bench
  (same requests, mixed scales → one scale): seed 7 live source first 147 → 146/159,
  verification 44 → 45/47; seed 7 doc2026 the pictured product first 160 → 161/168,
  verification 42 → 44/47; seeds 1688 and 11 unchanged. Found on sandbox seed 7
  (live), checked on seed 1688 (30 + 40 products, both row shapes) and on seeds 7
  (doc2026) and 11 (live), none tuned on: source first 83.1 → 89.2 % (seed 7 live),
  84.5 → 90.6 % (seed 7 doc2026), 91.1 → 92.5 % (seed 11), seed 1688 89.6 / 92.7 / 90.7 /
  92.1 → 89.6 / 92.1 / 90.7 / 91.6 %; the pictured product first 88.9 → 95.1, 88.0 → 93.8,
  93.4 → 94.7 %, seed 1688 unchanged. Counting one crop at most lost 3-9 points of
  "source first" on seed 1688;
- the original image, +0.75: of the near-duplicate photos in the set, the one the most
  others copy (most near-duplicate partners, then the highest sum of their similarities;
  only when one image is strictly ahead and copied at least twice);
- the lowest compared price of the set, +0.5, and only that: resellers list bait first
  tiers below the source, so price alone never decides;
- outside the closest match's photo, -1: when the best-matching offer's photo is shared
  (near-duplicates), a member whose photo is not among them may be a look-alike of
  another product rather than its maker.

Ties: higher similarity, then earlier upstream rank, then offer id.

**Region**: where a supplier is never counts for or against it being the maker; the
buyer's region filter has removed the members known to be elsewhere before. A member
whose place 1688 did not say (``Assessed.region_unknown``) can still be the source, and
the summary says for how many members (the source included) the region could not be
checked.

**Roles** of the other members: one whose photo is a near-duplicate of the source's
(directly or through another copy) is a RESELLER, whatever its badges (it sells the
source's product under the source's photo); else a maker kind is a MAKER, a trading
company or brand a RESELLER, an unknown kind a SELLER. Within a role, the members known
to be in the buyer's region come first, then the most points. Mark-ups are over the
source's compared price (ladder at the buyer's quantity when known, else the listed price).

**Confidence** (0 to 1) = match × source, rounded to 0.01:

- match: 0.6 + 0.4 · min(1, (best − plausible) / (sure − plausible)) when the images were
  compared; 0.4 when too few images could be compared (1688's first result stands in);
- source: 0.6 + 0.4 · kind confidence for a source factory, 0.45 + 0.3 · kind confidence
  for a manufacturer, 0.25 when no member shows maker signals (the likeliest seller is
  named, saying so); × 0.8 when another maker comes within 1 point of the source.
- no clear match (``found`` false): 0.2 · min(1, best / plausible), and no source named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from services.ranking import wording
from services.ranking.domain import (
    KIND_ORDER,
    MAKERS,
    Answer,
    Assessed,
    Evidence,
    Locale,
    MatchMember,
    MatchRole,
    Offer,
    SupplierKind,
)
from services.ranking.match_set import UPSTREAM, MatchRules, MatchSet

_MARKUP_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)
# A seller of unknown kind may be a maker; a reseller is known not to be one.
_ROLE_ORDER = {MatchRole.SOURCE: 0, MatchRole.MAKER: 1, MatchRole.SELLER: 2, MatchRole.RESELLER: 3}
_CLOSE_RUNNER_UP = 1.0


def build_answer(
    match: MatchSet,
    assessed: Sequence[Assessed],
    prices: Mapping[str, Decimal | None],
    rules: MatchRules,
    locale: Locale,
    region: str = "",
) -> Answer:
    """``prices``: every offer's compared unit price, by offer id; ``region``: the buyer's
    region names, for the members whose place is unknown."""
    if not match.found:
        confidence = round(0.2 * min(1.0, match.best_similarity / rules.plausible), 2)
        key = "aw.not_found" if match.compared else "aw.nothing_compared"
        if not assessed:
            key = "an.nothing"
        summary = wording.say(locale, key, best=round(match.best_similarity, 1))
        return Answer(False, "", confidence, (), (), summary)
    members = sorted(
        (a for a in assessed if a.offer.offer_id in match.members), key=lambda a: a.offer.offer_id
    )
    core = _core_photo(members, match)
    best = max((a.offer.similarity for a in members if a.offer.compared), default=0.0)
    places = {
        a.offer.offer_id: place
        for place, a in enumerate(sorted(members, key=lambda a: _source_key(a, {})[2:]), start=0)
    }
    # The close members' closeness to the buyer's photo on the pairs' scale: a crop is
    # weighed against an ImagePair's similarity.
    near_best = {
        a.offer.offer_id: a.offer.pair_scale
        for a in members
        if a.offer.compared and a.offer.similarity >= best - _CLOSE_SIMILARITY
    }
    photo = _photo_similarity(members, match)
    evidence = {
        a.offer.offer_id: _visual_points(
            a.offer, photo.get(a.offer.offer_id), best, places[a.offer.offer_id], locale
        )
        + _framing_points(a.offer.offer_id, near_best, match, locale)
        + _maker_points(a, members, match, prices, core, locale)
        for a in members
    }
    points = {offer_id: sum(e.weight for e in found) for offer_id, found in evidence.items()}
    source = min(members, key=lambda a: _source_key(a, points))
    source_id = source.offer.offer_id
    has_maker = any(a.kind.kind in MAKERS for a in members)
    runner_up = max(
        (points[a.offer.offer_id] for a in members if a is not source and a.kind.kind in MAKERS),
        default=None,
    )
    close = runner_up is not None and points[source_id] - runner_up < _CLOSE_RUNNER_UP
    confidence = round(
        _match_confidence(match, rules) * _source_confidence(source, has_maker, close), 2
    )
    base = prices.get(source_id)
    copies = _same_photo(source_id, match)
    roles = {a.offer.offer_id: _role(a, source, copies) for a in members}
    chosen = tuple(evidence[source_id]) + (
        ()
        if has_maker
        else (Evidence("match_set", "no_maker", 0.0, wording.say(locale, "aw.no_maker_note")),)
    )
    ordered = sorted(
        members,
        key=lambda a: (
            _ROLE_ORDER[roles[a.offer.offer_id]],
            a.region_unknown,
            -points[a.offer.offer_id],
            *_source_key(a, {})[1:],
        ),
    )
    match_set = tuple(
        MatchMember(
            a.offer.offer_id,
            roles[a.offer.offer_id],
            a.offer.similarity,
            a.offer.upstream_rank,
            _markup(prices.get(a.offer.offer_id), base) if a is not source else _ZERO,
            match.members[a.offer.offer_id]
            + _role_reason(roles[a.offer.offer_id], locale)
            + _region_reason(a, region, locale),
        )
        for a in ordered
    )
    # Mark-ups of the resellers whose price could be compared with the source's.
    priced = {m.offer_id for m in match_set if prices.get(m.offer_id) is not None}
    markups = [
        m.markup_over_source
        for m in match_set
        if m.role is MatchRole.RESELLER and m.offer_id in priced and base is not None and base > 0
    ]
    summary = _summary(locale, source, has_maker, confidence, match_set, markups, match)
    unknown = sum(1 for a in members if a.region_unknown)
    if unknown:
        key = "aw.region_unknown_source" if source.region_unknown else "aw.region_unknown"
        summary += wording.say(locale, key, count=unknown, region=region)
    return Answer(
        True, source_id, confidence, match_set, chosen, summary + wording.say(locale, "aw.stop")
    )


def _photo_similarity(members: Sequence[Assessed], match: MatchSet) -> dict[str, float]:
    """Per member with a compared near-duplicate among the members: the highest similarity
    to the buyer's photo among it and those near-duplicates. Direct partners only: a chain of
    near-duplicates can join a look-alike product's photo."""
    compared = {a.offer.offer_id: a.offer.similarity for a in members if a.offer.compared}
    found: dict[str, float] = {}
    for a in members:
        offer_id = a.offer.offer_id
        copies = [
            compared[p]
            for p in match.duplicates.get(offer_id, {})
            if p in compared and p in match.members
        ]
        if copies:
            found[offer_id] = max([*copies, compared.get(offer_id, 0.0)])
    return found


def _visual_points(
    offer: Offer, photo: float | None, best: float, place: int, locale: Locale
) -> list[Evidence]:
    """How close the offer's photo is to the buyer's, against the closest member's, and its
    place in the upstream's order among the members."""
    if offer.compared or photo is not None:
        # An image not compared counts as _NOT_COMPARED_GAP below its closest copy.
        own = offer.similarity if offer.compared else (photo or 0.0) - _NOT_COMPARED_GAP
        # A share of the distance to a closer copy of the same photo is the copy's edit.
        gap = best - (own if photo is None else own + _SAME_PHOTO_SHARE * (photo - own))
    else:
        gap = _NOT_COMPARED_GAP
    found = [
        Evidence(
            "visual_match",
            f"{offer.similarity:.1f}" if offer.compared else "",
            round(-gap / _SIMILARITY_PER_POINT, 2),
            _visual_note(offer, photo, best, locale),
        )
    ]
    if place > 0:
        found.append(
            Evidence(
                "upstream_rank",
                str(offer.upstream_rank),
                round(-_PLACE_POINTS * place, 2),
                wording.say(locale, "so.upstream", place=place + 1),
            )
        )
    return found


def _visual_note(offer: Offer, photo: float | None, best: float, locale: Locale) -> str:
    if not offer.compared:
        return wording.say(locale, "so.not_compared")
    values = {"similarity": round(offer.similarity, 1), "best": round(best, 1)}
    if photo is not None and photo > offer.similarity:
        return wording.say(locale, "so.visual_copy", copy=round(photo, 1), **values)
    return wording.say(locale, "so.visual", **values)


def _is_crop(narrower: str, wider: str, close: Mapping[str, float], match: MatchSet) -> bool:
    """A photo that looks more like the buyer's photo than like the wider photo it would
    be cut from (by more than ``_CROP_SLACK`` points) is the pictured product's own photo
    first: a look-alike product shot from further away is "wider" too. ``close``: on the
    pairs' scale (``Offer.pair_scale``), as the pair's similarity is."""
    pair = match.duplicates.get(wider, {}).get(narrower, 0.0)
    return close[narrower] - pair <= _CROP_SLACK


def _framing_points(
    offer_id: str,
    close: Mapping[str, float],
    match: MatchSet,
    locale: Locale,
) -> list[Evidence]:
    """Whose photo is the uncropped one among the close members' near-duplicates.

    ``close``: the close members' similarity to the buyer's photo on the pairs' scale
    (``Offer.pair_scale``). A crop is counted only when it is a believable crop
    (``_is_crop``), and at most ``_MAX_CROPS`` each way."""
    if offer_id not in close:
        return []
    shows_more = sum(
        1
        for narrower in match.wider_than.get(offer_id, frozenset())
        if narrower in close and _is_crop(narrower, offer_id, close, match)
    )
    cropped = sum(
        1
        for wider in close
        if offer_id in match.wider_than.get(wider, frozenset())
        and _is_crop(offer_id, wider, close, match)
    )
    shows_more, cropped = min(shows_more, _MAX_CROPS), min(cropped, _MAX_CROPS)
    if shows_more == cropped:
        return []
    return [
        Evidence(
            "uncropped_photo",
            f"{shows_more}/{cropped}",
            round(_CROP_POINTS * (shows_more - cropped), 2),
            wording.say(locale, "so.framing", wider=shows_more, narrower=cropped),
        )
    ]


_CLOSE_SIMILARITY = 30.0
_SAME_PHOTO_SHARE = 0.5
_CROP_POINTS = 0.75
_CROP_SLACK = 5.0
_MAX_CROPS = 4
_SIMILARITY_PER_POINT = 2.5
_LEAN_POINTS = 0.5
_NOT_COMPARED_GAP = 10.0
_PLACE_POINTS = 0.2


def _maker_points(
    assessed: Assessed,
    members: Sequence[Assessed],
    match: MatchSet,
    prices: Mapping[str, Decimal | None],
    core: set[str],
    locale: Locale,
) -> list[Evidence]:
    offer, kind = assessed.offer, assessed.kind
    c = kind.confidence
    kind_points = _LEAN_POINTS * kind.lean
    name = wording.kind_name(locale, kind.kind)
    found = [
        Evidence(
            "supplier_kind",
            name,
            round(kind_points, 2),
            wording.say(locale, "so.kind", kind=name, confidence=round(c, 2)),
        )
    ]
    if assessed.customization.supported:
        found.append(Evidence("customization", "supported", 0.5, wording.say(locale, "so.custom")))
    if assessed.customization.made_to_sample:
        found.append(
            Evidence("customization", "made_to_sample", 0.5, wording.say(locale, "so.to_sample"))
        )
    original = _original_image(members, match)
    if original == offer.offer_id:
        copies = sum(1 for m in members if m.offer.offer_id in match.duplicates.get(original, {}))
        found.append(
            Evidence(
                "original_image",
                offer.offer_id,
                0.75,
                wording.say(locale, "so.original", count=copies),
            )
        )
    priced = [
        (p, i) for i in (m.offer.offer_id for m in members) if (p := prices.get(i)) is not None
    ]
    price = prices.get(offer.offer_id)
    if len(priced) >= 2 and price is not None and price == min(priced)[0]:
        found.append(
            Evidence(
                "lowest_price",
                wording.yuan(price),
                0.5,
                wording.say(locale, "so.cheapest", count=len(priced)),
            )
        )
    if core and offer.offer_id not in core:
        found.append(
            Evidence("photo_cluster", offer.offer_id, -1.0, wording.say(locale, "so.outside_core"))
        )
    return found


def _core_photo(members: Sequence[Assessed], match: MatchSet) -> set[str]:
    """The closest match and the members sharing its photo; empty when nobody shares it."""
    compared = [a.offer for a in members if a.offer.compared]
    if not compared:
        return set()
    best = min(compared, key=lambda o: (-o.similarity, o.offer_id))
    core = _same_photo(best.offer_id, match)
    return core if len(core) > 1 else set()


def _original_image(members: Sequence[Assessed], match: MatchSet) -> str | None:
    """The member whose photo the most others copy: the most near-duplicate partners, then
    the highest mean similarity to them (an edit of an edit drifts further from the
    original than from its source). None unless one is ahead by a partner or by
    ``_ORIGINAL_LEAD`` points of mean similarity, with two partners at least."""
    inside = {a.offer.offer_id for a in members}
    scored = []
    for offer_id in inside:
        partners = [s for p, s in match.duplicates.get(offer_id, {}).items() if p in inside]
        mean = sum(partners) / len(partners) if partners else 0.0
        scored.append((len(partners), mean, offer_id))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < 2:
        return None
    if len(scored) > 1:
        (count, mean, _), (next_count, next_mean, _) = scored[0], scored[1]
        if count == next_count and mean - next_mean < _ORIGINAL_LEAD:
            return None
    return scored[0][2]


_ORIGINAL_LEAD = 1.0


def _source_key(
    assessed: Assessed, points: Mapping[str, float]
) -> tuple[float, float, int, int, str]:
    offer = assessed.offer
    return (
        -points.get(offer.offer_id, 0.0),
        -offer.similarity,
        offer.upstream_rank if offer.upstream_rank > 0 else 1 << 30,
        KIND_ORDER[assessed.kind.kind],
        offer.offer_id,
    )


def _same_photo(source_id: str, match: MatchSet) -> set[str]:
    """The members whose photos are near-duplicates of the source's, directly or through
    another copy."""
    seen, queue = {source_id}, [source_id]
    while queue:
        for partner in match.duplicates.get(queue.pop(), {}):
            if partner in match.members and partner not in seen:
                seen.add(partner)
                queue.append(partner)
    return seen


def _role(assessed: Assessed, source: Assessed, copies: set[str]) -> MatchRole:
    if assessed is source:
        return MatchRole.SOURCE
    if assessed.offer.offer_id in copies:
        return MatchRole.RESELLER  # it sells the source's product under the source's photo
    kind = assessed.kind.kind
    if kind in MAKERS:
        return MatchRole.MAKER
    if kind in (SupplierKind.TRADING_COMPANY, SupplierKind.BRAND):
        return MatchRole.RESELLER
    return MatchRole.SELLER


def _role_reason(role: MatchRole, locale: Locale) -> tuple[Evidence, ...]:
    return (
        Evidence(
            "match_role", role.name.lower(), 0.0, wording.say(locale, f"ro.{role.name.lower()}")
        ),
    )


def _region_reason(assessed: Assessed, region: str, locale: Locale) -> tuple[Evidence, ...]:
    if not assessed.region_unknown:
        return ()
    return (Evidence("region", "unknown", 0.0, wording.say(locale, "rg.unknown", region=region)),)


def _markup(price: Decimal | None, base: Decimal | None) -> Decimal:
    if price is None or base is None or base <= 0:
        return _ZERO
    return ((price - base) / base).quantize(_MARKUP_PLACES)


def _match_confidence(match: MatchSet, rules: MatchRules) -> float:
    if match.basis == UPSTREAM:
        return 0.4
    reach = (match.best_similarity - rules.plausible) / (rules.sure - rules.plausible)
    return 0.6 + 0.4 * min(1.0, max(0.0, reach))


def _source_confidence(source: Assessed, has_maker: bool, close: bool) -> float:
    kind = source.kind
    if kind.kind is SupplierKind.SOURCE_FACTORY:
        value = 0.6 + 0.4 * kind.confidence
    elif kind.kind is SupplierKind.MANUFACTURER:
        value = 0.45 + 0.3 * kind.confidence
    else:
        value = 0.25
    if not has_maker:
        value = min(value, 0.25)
    return value * (0.8 if close else 1.0)


def _summary(
    locale: Locale,
    source: Assessed,
    has_maker: bool,
    confidence: float,
    members: Sequence[MatchMember],
    markups: Sequence[Decimal],
    match: MatchSet,
) -> str:
    name = wording.supplier_name(locale, source.offer)
    resellers = [m for m in members if m.role is MatchRole.RESELLER]
    values = {
        "name": name,
        "offer": source.offer.offer_id,
        "kind": wording.kind_name(locale, source.kind.kind),
        "similarity": round(source.offer.similarity, 1),
        "confidence": f"{confidence:.2f}",
        "count": len(members),
    }
    key = "aw.source" if has_maker else "aw.no_maker"
    if match.basis == UPSTREAM:
        key += "_upstream"
    text = wording.say(locale, key, **values)
    if markups:
        spread = wording.markup_range(min(markups), max(markups))
        text += wording.say(locale, "aw.resellers", resellers=len(resellers), markup=spread)
    elif resellers:
        text += wording.say(locale, "aw.resellers_no_price", resellers=len(resellers))
    return text
