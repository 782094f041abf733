"""Factory-first score: each component's points with the reason for them.

Default weights are the seed's: supplier kind 40 (source factory 40, +5 with
a factory certification; manufacturer 30; brand 20; others 10),
customization 25 (supported 10, made to sample 8, custom minimum < 500 → 7),
price advantage 20 (vs. the average of comparable offers: < 90 % → 20,
< 95 % → 15, ≤ 100 % → 10), minimum-order fit 15 (≤ 50 → 15, ≤ 100 → 12,
≤ 500 → 8, else 5). Similarity only breaks ties there; the "similarity"
profile weighs it in and the "price" profile doubles the price component.

The compared unit price is the ladder price at the buyer's quantity when a
ladder is known (the detail's, else the search result's), else the listed
price. The average is taken once per result over the offers being ranked, per
category when the category has at least two priced offers (an image search
can mix a T-shirt with a T-shirt printer), else over all of them. Ratios are
compared exactly: ``price * count < sum * 0.9``, never through a rounded mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.ranking import wording
from services.ranking.domain import (
    Assessed,
    Customization,
    InvalidRequest,
    KindInference,
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
    "similarity": Profile("similarity", similarity_points=Decimal(40)),
    "price": Profile("price", price_scale=Decimal(2)),
}


def profile_named(name: str) -> Profile:
    """``""`` means "default"; an unknown name is a bad request naming the known ones."""
    key = name.strip() or "default"
    if key not in PROFILES:
        known = ", ".join(PROFILES)
        raise InvalidRequest("profile", f"unknown profile {name!r}; known: {known}")
    return PROFILES[key]


@dataclass(frozen=True, slots=True)
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
class PriceAverages:
    """Sum and count of compared prices, per category and overall; built once per result."""

    by_category: Mapping[str, tuple[Decimal, int]]
    overall: tuple[Decimal, int]

    def for_category(self, category: str) -> tuple[Decimal, int]:
        found = self.by_category.get(category)
        return found if found is not None and found[1] >= 2 else self.overall


def price_averages(priced: Iterable[tuple[str, Decimal | None]]) -> PriceAverages:
    """From (category, compared price) pairs; offers without a price are left out."""
    by_category: dict[str, tuple[Decimal, int]] = {}
    total, count = _ZERO, 0
    for category, price in priced:
        if price is None:
            continue
        total, count = total + price, count + 1
        if category:
            cat_total, cat_count = by_category.get(category, (_ZERO, 0))
            by_category[category] = (cat_total + price, cat_count + 1)
    return PriceAverages(by_category, (total, count))


def score(
    assessed: Assessed,
    price: ComparedPrice,
    averages: PriceAverages,
    quantity: int,
    profile: Profile,
    locale: Locale,
) -> Score:
    """The breakdown for one offer; ``total`` is exactly the sum of the components."""
    offer = assessed.offer
    sum_count = averages.for_category(offer.category_id)
    price_component, ratio = _price_component(price, sum_count, quantity, profile, locale)
    components = (
        _kind_component(assessed.kind, profile, locale),
        _customization_component(assessed.customization, profile, locale),
        price_component,
        _min_order_component(offer.effective_min_order, profile, locale),
        _similarity_component(offer.similarity, profile, locale),
    )
    average = sum_count[0] / sum_count[1] if ratio is not None else None
    return Score(
        components=components,
        total=sum((c.points for c in components), _ZERO),
        profile=profile.name,
        price_basis=price.basis,
        compared_unit_price=price.unit_price,
        average_unit_price=average,
        price_ratio=ratio,
    )


_KIND_POINTS = {
    SupplierKind.SOURCE_FACTORY: 40,
    SupplierKind.MANUFACTURER: 30,
    SupplierKind.BRAND: 20,
}
_OTHER_KIND_POINTS = 10
_CERTIFIED_BONUS = 5


def _kind_component(kind: KindInference, profile: Profile, locale: Locale) -> ScoreComponent:
    points = _KIND_POINTS.get(kind.kind, _OTHER_KIND_POINTS)
    name = wording.kind_name(locale, kind.kind)
    reason = wording.say(locale, "sc.kind", kind=name)
    if kind.kind is SupplierKind.SOURCE_FACTORY and kind.factory_certified:
        points += _CERTIFIED_BONUS
        reason = wording.say(locale, "sc.kind_certified", kind=name)
    scale = profile.kind_scale
    return ScoreComponent("supplier_kind", points * scale, 45 * scale, reason)


def _customization_component(
    custom: Customization, profile: Profile, locale: Locale
) -> ScoreComponent:
    points, reasons = 0, []
    if custom.supported:
        points += 10
        reasons.append(wording.say(locale, "sc.supported"))
    if custom.made_to_sample:
        points += 8
        reasons.append(wording.say(locale, "sc.to_sample"))
    if custom.supported and custom.custom_min_order <= 0:
        reasons.append(wording.say(locale, "sc.minimum_unknown"))
    elif custom.supported and custom.custom_min_order < 500:
        points += 7
        reasons.append(wording.say(locale, "sc.minimum_low", minimum=custom.custom_min_order))
    elif custom.supported:
        reasons.append(wording.say(locale, "sc.minimum_high", minimum=custom.custom_min_order))
    reason = " + ".join(reasons) or wording.say(locale, "sc.no_customization")
    scale = profile.customization_scale
    return ScoreComponent("customization", points * scale, 25 * scale, reason)


_PRICE_BANDS = ((Decimal("0.90"), 20, "sc.band_20"), (Decimal("0.95"), 15, "sc.band_15"))


def _price_component(
    price: ComparedPrice,
    sum_count: tuple[Decimal, int],
    quantity: int,
    profile: Profile,
    locale: Locale,
) -> tuple[ScoreComponent, Decimal | None]:
    scale = profile.price_scale
    total, count = sum_count
    unit = price.unit_price
    if unit is None or count == 0 or total <= 0:
        reason = wording.say(locale, "sc.no_price")
        return ScoreComponent("price_advantage", _ZERO, 20 * scale, reason), None
    scaled = unit * count  # compare unit/average with thresholds without dividing
    points, band = 0, "sc.band_0"
    for threshold, band_points, band_key in _PRICE_BANDS:
        if scaled < total * threshold:
            points, band = band_points, band_key
            break
    else:
        if scaled <= total:
            points, band = 10, "sc.band_10"
    ratio = scaled / total
    basis = (
        wording.say(locale, "sc.basis_ladder", quantity=quantity)
        if price.basis == LADDER
        else wording.say(locale, "sc.basis_listed")
    )
    reason = wording.say(
        locale,
        "sc.price",
        basis=basis,
        price=wording.yuan(unit),
        average=wording.yuan(total / count),
        percent=wording.percent(ratio),
        band=wording.say(locale, band),
    )
    return ScoreComponent("price_advantage", points * scale, 20 * scale, reason), ratio


_MIN_ORDER_BANDS = ((50, 15, "≤ 50"), (100, 12, "≤ 100"), (500, 8, "≤ 500"))
_MIN_ORDER_OTHER = 5


def _min_order_component(min_order: int, profile: Profile, locale: Locale) -> ScoreComponent:
    scale = profile.min_order_scale
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


def _similarity_component(similarity: float, profile: Profile, locale: Locale) -> ScoreComponent:
    clamped = Decimal(repr(min(100.0, max(0.0, similarity))))
    shown = clamped.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if profile.similarity_points == 0:
        reason = wording.say(locale, "sc.similarity_tie", similarity=shown)
        return ScoreComponent("similarity", _ZERO, _ZERO, reason)
    points = (clamped / 100 * profile.similarity_points).quantize(_CENT, rounding=ROUND_HALF_UP)
    reason = wording.say(locale, "sc.similarity", similarity=shown)
    return ScoreComponent("similarity", points, profile.similarity_points, reason)
