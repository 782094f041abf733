"""Factory-first score: each component's points with the reason for them.

Default weights are the seed's: supplier kind 40 (source factory 40, +5 with
a factory certification; manufacturer 30; brand 20; others 10),
customization 25 (supported 10, made to sample 8, custom minimum < 500 → 7),
price advantage 20 (vs. the average of comparable offers: < 90 % → 20,
< 95 % → 15, ≤ 100 % → 10), minimum-order fit 15 (≤ 50 → 15, ≤ 100 → 12,
≤ 500 → 8, else 5). Similarity only breaks ties there, so an offer that
barely matches the photo can outrank the best match; the "similarity" profile
adds up to 60 points for similarity (more than the supplier kind's 45, so
matches come first) and the "price" profile doubles the price component.

The compared unit price is the ladder price at the buyer's quantity when a
ladder is known (the detail's, else the search result's), else the listed
price. The average is taken once per result over the offers being ranked, per
category when the category has at least two priced offers (an image search
can mix a T-shirt with a T-shirt printer), else over all of them. Ratios are
compared exactly: ``price * count < sum * 0.9``, never through a rounded mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from services.ranking import wording
from services.ranking.domain import (
    Assessed,
    InvalidRequest,
    Locale,
    Offer,
    Score,
    ScoreComponent,
    SupplierKind,
)
from shared.money import unit_price_at

LADDER = "ladder_at_quantity"
LISTED = "listed_price"
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Profile:
    """Multipliers on the seed's points, and the points similarity can earn."""

    name: str
    kind_scale: Decimal = Decimal(1)
    customization_scale: Decimal = Decimal(1)
    price_scale: Decimal = Decimal(1)
    min_order_scale: Decimal = Decimal(1)
    similarity_points: Decimal = _ZERO


PROFILES: Mapping[str, Profile] = {
    "default": Profile("default"),
    "similarity": Profile("similarity", similarity_points=Decimal(60)),
    "price": Profile("price", price_scale=Decimal(2)),
}


def profile_named(name: str) -> Profile:
    """``""`` means "default"; an unknown name is a bad request naming the known ones."""
    key = name.strip() or "default"
    if key not in PROFILES:
        known = ", ".join(PROFILES)
        raise InvalidRequest("profile", f"unknown profile {name!r}; known: {known}")
    return PROFILES[key]


@dataclass(slots=True)  # one per offer and request; a frozen __init__ costs 3x
class ComparedPrice:
    basis: str
    unit_price: Decimal | None


def compared_price(offer: Offer, quantity: int) -> ComparedPrice:
    """The unit price this offer is compared on, and where it came from."""
    ladder = offer.detail.price_ladder if offer.detail is not None else ()
    ladder = ladder or offer.price_ladder
    if quantity > 0 and ladder:
        return ComparedPrice(LADDER, unit_price_at(ladder, quantity))
    return ComparedPrice(LISTED, offer.price)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The prices an offer is compared with: their sum and count, and the band limits on
    ``unit * count`` (the same as limits on ``unit / average``, without a rounded mean)."""

    total: Decimal
    count: Decimal  # an int would be converted for every offer multiplied by it
    average: Decimal
    limits: tuple[Decimal, Decimal, Decimal]  # 90 %, 95 %, 100 %
    average_text: str

    @classmethod
    def of(cls, total: Decimal, count: int) -> Comparison:
        limits = (total * Decimal("0.90"), total * Decimal("0.95"), total)
        average = total / count
        return cls(total, Decimal(count), average, limits, wording.yuan(average))


@dataclass(frozen=True, slots=True)
class PriceAverages:
    """What each category compares with; built once per result."""

    by_category: Mapping[str, Comparison]
    overall: Comparison | None

    def for_category(self, category: str) -> Comparison | None:
        return self.by_category.get(category, self.overall)


def price_averages(priced: Iterable[tuple[str, Decimal | None]]) -> PriceAverages:
    """From (category, compared price) pairs; offers without a price are left out.

    A category with fewer than two priced offers is compared with all offers.
    """
    # Prices listed per category and added up by sum() (in C): the same additions in the
    # same order as a running total, without a dict update per offer (a third quicker).
    every: list[Decimal] = []
    listed: dict[str, list[Decimal]] = {}
    for category, price in priced:
        if price is None:
            continue
        every.append(price)
        if not category:
            continue
        same = listed.get(category)
        if same is None:
            listed[category] = [price]
        else:
            same.append(price)
    by_category = {
        c: Comparison.of(sum(p, _ZERO), len(p)) for c, p in listed.items() if len(p) >= 2
    }
    count = len(every)
    total = sum(every, _ZERO)
    return PriceAverages(by_category, Comparison.of(total, count) if count else None)


def score(
    assessed: Assessed,
    price: ComparedPrice,
    averages: PriceAverages,
    quantity: int,
    profile: Profile,
    locale: Locale,
) -> Score:
    """The breakdown for one offer; ``total`` is exactly the sum of the components."""
    return score_all([assessed], [price], averages, quantity, profile, locale)[0]


def score_all(
    assessed: Sequence[Assessed],
    prices: Sequence[ComparedPrice],
    averages: PriceAverages,
    quantity: int,
    profile: Profile,
    locale: Locale,
) -> list[Score]:
    """``score`` for every offer, with its compared price at the same index.

    One loop for the whole result: the components other than price are shared by many
    offers (see below) and looked up here once per inference, minimum and similarity, and
    the price sentence is worded once per basis, comparison and band.
    """
    name = profile.name  # cache key: a str hashes once, a Decimal every time
    fixed = _price_points(name, locale)
    no_price, bands, max_points = fixed.no_price, fixed.bands, fixed.max_points
    # A comparison whose total is not positive compares nothing: None, checked once here.
    by_category = {c: _usable(v) for c, v in averages.by_category.items()}
    overall = _usable(averages.overall)
    # Inferences are cached and shared by offers, so their ids stand for their contents here;
    # with the kind's component, the total so far (from zero, like sum(): the same exponent
    # whatever the parts').
    kinds: dict[int, tuple[ScoreComponent, Decimal]] = {}
    customs: dict[int, ScoreComponent] = {}
    minimums: dict[int, ScoreComponent] = {}
    similarities: dict[float, ScoreComponent] = {}
    sentences: dict[tuple[str, int, int], tuple[str, str, str]] = {}
    yuan, percent = wording.yuan, wording.percent
    scores: list[Score] = []
    for item, price in zip(assessed, prices, strict=True):
        offer = item.offer
        kind = item.kind
        known = kinds.get(id(kind))
        if known is None:
            kind_part = _kind_component(kind.kind, kind.factory_certified, name, locale)
            known = kinds[id(kind)] = (kind_part, _ZERO + kind_part.points)
        kind_part, start = known
        custom = item.customization
        custom_part = customs.get(id(custom))
        if custom_part is None:
            custom_part = _customization_component(
                custom.supported, custom.made_to_sample, custom.custom_min_order, name, locale
            )
            customs[id(custom)] = custom_part
        minimum = offer.effective_min_order
        minimum_part = minimums.get(minimum)
        if minimum_part is None:
            minimum_part = minimums[minimum] = _min_order_component(minimum, name, locale)
        similarity = offer.similarity
        similarity_part = similarities.get(similarity)
        if similarity_part is None:
            similarity_part = _similarity_component(similarity, name, locale)
            similarities[similarity] = similarity_part
        unit = price.unit_price
        comparison = by_category.get(offer.category_id, overall)
        if unit is None or comparison is None:
            price_part, ratio, average = no_price, None, None
        else:
            # Ratios are compared exactly: unit / average < 0.9 ⇔ unit · count < total · 0.9.
            scaled = unit * comparison.count
            under_90, under_95, at_average = comparison.limits
            if scaled < under_90:
                band = 0
            elif scaled < under_95:
                band = 1
            elif scaled <= at_average:
                band = 2
            else:
                band = 3
            ratio = scaled / comparison.total
            average = comparison.average
            basis = price.basis
            key = (basis, id(comparison), band)
            sentence = sentences.get(key)
            if sentence is None:
                template = _price_template(basis, quantity, bands[band][1], locale)
                sentence = wording.price_sentence(template, comparison.average_text)
                sentences[key] = sentence
            head, between, tail = sentence
            reason = f"{head}{yuan(unit)}{between}{percent(ratio)}{tail}"
            price_part = ScoreComponent("price_advantage", bands[band][0], max_points, reason)
        components = (kind_part, custom_part, price_part, minimum_part, similarity_part)
        total = (
            start
            + custom_part.points
            + price_part.points
            + minimum_part.points
            + similarity_part.points
        )
        scores.append(Score(components, total, name, price.basis, unit, average, ratio))
    return scores


def _usable(comparison: Comparison | None) -> Comparison | None:
    return comparison if comparison is not None and comparison.total > _ZERO else None


_KIND_POINTS = {
    SupplierKind.SOURCE_FACTORY: 40,
    SupplierKind.MANUFACTURER: 30,
    SupplierKind.BRAND: 20,
}
_OTHER_KIND_POINTS = 10
_CERTIFIED_BONUS = 5


# Components other than price depend on a few small values: each is built once and shared
# (they are frozen), which keeps scoring a thousand offers within a few milliseconds.
@lru_cache(maxsize=1024)
def _kind_component(
    kind: SupplierKind, certified: bool, profile: str, locale: Locale
) -> ScoreComponent:
    scale = PROFILES[profile].kind_scale
    points = _KIND_POINTS.get(kind, _OTHER_KIND_POINTS)
    name = wording.kind_name(locale, kind)
    reason = wording.say(locale, "sc.kind", kind=name)
    if kind is SupplierKind.SOURCE_FACTORY and certified:
        points += _CERTIFIED_BONUS
        reason = wording.say(locale, "sc.kind_certified", kind=name)
    return ScoreComponent("supplier_kind", points * scale, 45 * scale, reason)


@lru_cache(maxsize=1024)
def _customization_component(
    supported: bool, to_sample: bool, minimum: int, profile: str, locale: Locale
) -> ScoreComponent:
    scale = PROFILES[profile].customization_scale
    points, reasons = 0, []
    if supported:
        points += 10
        reasons.append(wording.say(locale, "sc.supported"))
    if to_sample:
        points += 8
        reasons.append(wording.say(locale, "sc.to_sample"))
    if supported and minimum <= 0:
        reasons.append(wording.say(locale, "sc.minimum_unknown"))
    elif supported and minimum < 500:
        points += 7
        reasons.append(wording.say(locale, "sc.minimum_low", minimum=minimum))
    elif supported:
        reasons.append(wording.say(locale, "sc.minimum_high", minimum=minimum))
    reason = " + ".join(reasons) or wording.say(locale, "sc.no_customization")
    return ScoreComponent("customization", points * scale, 25 * scale, reason)


_PRICE_BANDS = ((20, "sc.band_20"), (15, "sc.band_15"), (10, "sc.band_10"), (0, "sc.band_0"))


@dataclass(frozen=True, slots=True)
class _PricePoints:
    """What is the same for every offer's price component under one profile and locale."""

    max_points: Decimal
    bands: tuple[tuple[Decimal, str], ...]  # points and wording, in _PRICE_BANDS order
    no_price: ScoreComponent


@lru_cache(maxsize=64)
def _price_points(profile: str, locale: Locale) -> _PricePoints:
    scale = PROFILES[profile].price_scale
    bands = tuple((points * scale, wording.say(locale, band)) for points, band in _PRICE_BANDS)
    reason = wording.say(locale, "sc.no_price")
    no_price = ScoreComponent("price_advantage", _ZERO, 20 * scale, reason)
    return _PricePoints(20 * scale, bands, no_price)


# Many offers share the basis, the average and the band: word those once, and per offer
# fill in only its price and percentage. The averages differ from one result to the next,
# so the sentence is worded per basis and band, and only the average filled in per category.
@lru_cache(maxsize=1024)
def _price_template(basis: str, quantity: int, band: str, locale: Locale) -> tuple[str, str, str]:
    if basis == LADDER:
        basis_text = wording.say(locale, "sc.basis_ladder", quantity=quantity)
    else:
        basis_text = wording.say(locale, "sc.basis_listed")
    return wording.price_template(locale, basis_text, band)


_MIN_ORDER_BANDS = ((50, 15, "≤ 50"), (100, 12, "≤ 100"), (500, 8, "≤ 500"))
_MIN_ORDER_OTHER = 5


@lru_cache(maxsize=4096)
def _min_order_component(min_order: int, profile: str, locale: Locale) -> ScoreComponent:
    scale = PROFILES[profile].min_order_scale
    if min_order <= 0:
        reason = wording.say(locale, "sc.min_order_unknown")
        return ScoreComponent("min_order_fit", _MIN_ORDER_OTHER * scale, 15 * scale, reason)
    points, band = _MIN_ORDER_OTHER, "> 500"
    for limit, band_points, band_text in _MIN_ORDER_BANDS:
        if min_order <= limit:
            points, band = band_points, band_text
            break
    reason = wording.say(locale, "sc.min_order", quantity=min_order, band=band)
    return ScoreComponent("min_order_fit", points * scale, 15 * scale, reason)


@lru_cache(maxsize=4096)
def _similarity_component(similarity: float, profile: str, locale: Locale) -> ScoreComponent:
    weight = PROFILES[profile].similarity_points
    clamped = Decimal(repr(min(100.0, max(0.0, similarity))))
    shown = clamped.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if weight == 0:
        reason = wording.say(locale, "sc.similarity_tie", similarity=shown)
        return ScoreComponent("similarity", _ZERO, _ZERO, reason)
    points = (clamped / 100 * weight).quantize(_CENT, rounding=ROUND_HALF_UP)
    reason = wording.say(locale, "sc.similarity", similarity=shown)
    return ScoreComponent("similarity", points, weight, reason)
