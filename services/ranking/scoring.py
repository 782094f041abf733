"""Score breakdowns: each component's points with the reason for them.

The seed's weights, kept to the point in every profile's breakdown: supplier kind 40
(source factory 40, +5 with a factory certification; manufacturer 30; brand 20; others
10), customization 25 (supported 10, made to sample 8, custom minimum < 500 → 7), price
advantage 20 (vs. the average of comparable offers: < 90 % → 20, < 95 % → 15, ≤ 100 % →
10), minimum-order fit 15 (≤ 50 → 15, ≤ 100 → 12, ≤ 500 → 8, else 5).

Profiles (``PROFILES``):

- ``default``: the seed's points, but the order is the answer's (``ranking.py``): the
  match set first, source first, then other makers, then sellers, then resellers; the other
  candidates after it, the most similar to the photo first (images not compared after
  them, in 1688's order), then by total. None of the seed's components asks whether an offer IS
  the pictured product, so they only order what the answer leaves open. The
  ``match_set`` component (0 points) says where the answer put the offer.
- ``seed``: ranks by the seed's points alone (the former default); similarity only
  breaks ties.
- ``similarity``: adds up to 60 points for factoryfinder's own measured similarity (0 for
  an image not compared; more than the supplier kind's 45, so matches come first) and up
  to 10 for 1688's relevance order (10 for its first result, 0.5 less per place).
- ``price``: the seed's order with the price component doubled.

Under a region filter, an offer whose supplier's place 1688 did not say also gets a
``region`` component (0 points) saying the region could not be checked (``ranking.py``
lists it after the offers known to be in the region, within its standing).

The compared unit price is the ladder price at the buyer's quantity when a ladder is
known (the detail's, else the search result's), else the listed price. The average is
taken once per result over the offers being ranked, per category when the category has
at least two priced offers (an image search can mix a T-shirt with a T-shirt printer),
else over all of them. Ratios are compared exactly: ``price * count < sum * 0.9``, never
through a rounded mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from services.ranking import wording
from services.ranking.domain import (
    Assessed,
    Locale,
    Offer,
    Score,
    ScoreComponent,
    SupplierKind,
)
from services.ranking.errors import InvalidRequest
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
    upstream_points: Decimal = _ZERO
    #: Orders by the answer's match set first (see the module docstring).
    answer_first: bool = False


PROFILES: Mapping[str, Profile] = {
    "default": Profile("default", answer_first=True),
    "seed": Profile("seed"),
    "similarity": Profile("similarity", similarity_points=Decimal(60), upstream_points=Decimal(10)),
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
class Comparison:
    """The prices an offer is compared with: their sum and count, and the band limits on
    ``unit * count`` (the same as limits on ``unit / average``, without a rounded mean)."""

    total: Decimal
    count: Decimal
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
    every: list[Decimal] = []
    listed: dict[str, list[Decimal]] = {}
    for category, price in priced:
        if price is None:
            continue
        every.append(price)
        if category:
            listed.setdefault(category, []).append(price)
    by_category = {
        c: Comparison.of(sum(p, _ZERO), len(p)) for c, p in listed.items() if len(p) >= 2
    }
    overall = Comparison.of(sum(every, _ZERO), len(every)) if every else None
    return PriceAverages(by_category, overall)


def score(
    assessed: Assessed,
    price: ComparedPrice,
    averages: PriceAverages,
    quantity: int,
    profile: Profile,
    locale: Locale,
    role: str = "",
    region: str = "",
) -> Score:
    """The breakdown for one offer; ``total`` is exactly the sum of the components.

    ``role``: the offer's role in the answer's match set (``MatchRole`` name, lower case),
    "" when it is not in it; worded in the ``match_set`` component, which earns no points.
    ``region``: the buyer's region names, worded in the ``region`` component of an offer
    whose place is unknown (``Assessed.region_unknown``).
    """
    offer, kind, custom = assessed.offer, assessed.kind, assessed.customization
    name = profile.name
    comparison = averages.for_category(offer.category_id)
    if comparison is not None and comparison.total <= _ZERO:
        comparison = None  # prices of zero compare nothing
    price_part, ratio = _price_component(price, comparison, quantity, name, locale)
    components: tuple[ScoreComponent, ...] = (
        _kind_component(kind.kind, kind.factory_certified, name, locale),
        _customization_component(
            custom.supported, custom.made_to_sample, custom.custom_min_order, name, locale
        ),
        price_part,
        _min_order_component(offer.effective_min_order, name, locale),
        _similarity_component(offer.similarity, offer.compared, name, locale),
        _upstream_component(offer.upstream_rank, name, locale),
        _match_component(role, name, locale),
    )
    if assessed.region_unknown:
        reason = wording.say(locale, "rg.unknown", region=region)
        components += (ScoreComponent("region", _ZERO, _ZERO, reason),)
    total = sum((c.points for c in components), _ZERO)
    average = comparison.average if ratio is not None and comparison is not None else None
    return Score(components, total, name, price.basis, price.unit_price, average, ratio)


def score_all(
    assessed: Sequence[Assessed],
    prices: Sequence[ComparedPrice],
    averages: PriceAverages,
    quantity: int,
    profile: Profile,
    locale: Locale,
    roles: Mapping[str, str] | None = None,
    region: str = "",
) -> list[Score]:
    """``score`` for every offer, with its compared price at the same index."""
    roles = roles or {}
    return [
        score(a, p, averages, quantity, profile, locale, roles.get(a.offer.offer_id, ""), region)
        for a, p in zip(assessed, prices, strict=True)
    ]


def _price_component(
    price: ComparedPrice,
    comparison: Comparison | None,
    quantity: int,
    profile: str,
    locale: Locale,
) -> tuple[ScoreComponent, Decimal | None]:
    """The price component and the ratio to the average (None when nothing compares)."""
    scale = PROFILES[profile].price_scale
    unit = price.unit_price
    if unit is None or comparison is None:
        return ScoreComponent(
            "price_advantage", _ZERO, 20 * scale, wording.say(locale, "sc.no_price")
        ), None
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
    points, band_key = _PRICE_BANDS[band]
    ratio = scaled / comparison.total
    if price.basis == LADDER:
        basis = wording.say(locale, "sc.basis_ladder", quantity=quantity)
    else:
        basis = wording.say(locale, "sc.basis_listed")
    reason = wording.say(
        locale,
        "sc.price",
        basis=basis,
        price=wording.yuan(unit),
        average=comparison.average_text,
        percent=wording.percent(ratio),
        band=wording.say(locale, band_key),
    )
    return ScoreComponent("price_advantage", points * scale, 20 * scale, reason), ratio


_KIND_POINTS = {
    SupplierKind.SOURCE_FACTORY: 40,
    SupplierKind.MANUFACTURER: 30,
    SupplierKind.BRAND: 20,
}
_OTHER_KIND_POINTS = 10
_CERTIFIED_BONUS = 5


# Components other than price depend on a few small values: each is worded once.
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
def _similarity_component(
    similarity: float, compared: bool, profile: str, locale: Locale
) -> ScoreComponent:
    weight = PROFILES[profile].similarity_points
    if not compared:
        reason = wording.say(locale, "sc.similarity_unknown")
        return ScoreComponent("similarity", _ZERO, weight, reason)
    clamped = Decimal(repr(min(100.0, max(0.0, similarity))))
    shown = clamped.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if weight == 0:
        reason = wording.say(locale, "sc.similarity_tie", similarity=shown)
        return ScoreComponent("similarity", _ZERO, _ZERO, reason)
    points = (clamped / 100 * weight).quantize(_CENT, rounding=ROUND_HALF_UP)
    reason = wording.say(locale, "sc.similarity", similarity=shown)
    return ScoreComponent("similarity", points, weight, reason)


_UPSTREAM_STEP = Decimal("0.5")


@lru_cache(maxsize=4096)
def _upstream_component(rank: int, profile: str, locale: Locale) -> ScoreComponent:
    weight = PROFILES[profile].upstream_points
    if rank <= 0:
        return ScoreComponent(
            "upstream_rank", _ZERO, weight, wording.say(locale, "sc.upstream_unknown")
        )
    points = max(_ZERO, weight - _UPSTREAM_STEP * (rank - 1)) if weight else _ZERO
    return ScoreComponent(
        "upstream_rank", points, weight, wording.say(locale, "sc.upstream", rank=rank)
    )


@lru_cache(maxsize=64)
def _match_component(role: str, profile: str, locale: Locale) -> ScoreComponent:
    ordering = "first" if PROFILES[profile].answer_first else "shown"
    key = f"sc.match_{role}_{ordering}" if role else "sc.match_none"
    return ScoreComponent("match_set", _ZERO, _ZERO, wording.say(locale, key))
