"""The sandbox's product catalog: a pure function of (seed, size).

Each *product* has one original listing with the clean photo (normally its
maker's: a factory, sometimes a larger manufacturer) and 0-6 resellers:
trading companies, brand shops and other manufacturers who reuse that photo
with small edits. Every listing is an *offer* with its own id, seller, title,
ladder, minimum order and sales figures. Sellers make several products of
their category; traders resell across categories from the trade hubs.

The market is as messy as 1688's (``_messy_market``, its own random stream
per product so the rest of the catalog does not move when its odds change):

- most resellers mark the maker's ladder up by 5-40 % (``role`` "markup"),
  but some list a *lower* first tier: a bait price (``role`` "bait": one
  cheap SKU priced 5-28 % under the maker's first tier, the others marked
  up; ``quoteType`` 1 shows only the lowest) or a volume tier the maker does
  not offer (``role`` "volume": a ladder from several times the maker's
  largest tier, priced under the maker's first tier);
- some products have no maker among their sellers (``Product.has_maker``
  false): the original listing is a trader's (``role`` "original");
- some makers list under plain shop-like names with no ``super_factory`` or
  ``powerful_merchants`` (``Seller.plain``).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.sandbox.catalog import companies, price_ladders, product_looks, titles
from services.sandbox.catalog.categories import CATEGORIES, Kind, Second, TopCategory, all_kinds
from services.sandbox.catalog.companies import Seller
from services.sandbox.catalog.drawing import PhotoSpec
from services.sandbox.catalog.photo_edits import ResellerEdit, sample_edit
from services.sandbox.catalog.price_ladders import Tier

_RESELLER_COUNTS = (0, 1, 2, 3, 4, 5, 6)
_RESELLER_WEIGHTS = (3, 8, 15, 22, 22, 18, 12)
_CUSTOM_ODDS = {"source_factory": 0.75, "manufacturer": 0.55, "brand": 0.08, "trading": 0.15}
_TEXT_LADDER_ODDS = 0.3
_EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
_NO_MAKER_ODDS = 0.1
_PLAIN_MAKER_ODDS = 0.2
_BAIT_ODDS = 0.1
_VOLUME_ODDS = 0.08
_PER_SKU_ODDS = 0.2
_JXHY_ODDS = 0.3
_DEAR_CONSIGN_ODDS = 0.3


@dataclass(frozen=True, slots=True)
class Offer:
    """One listing as 1688 shows it."""

    offer_id: int
    product: int
    seller: Seller
    is_source: bool
    edit: ResellerEdit | None
    subject: str
    subject_en: str
    tiers: tuple[Tier, ...]
    moq: int
    month_sold: int
    repurchase_pct: int
    customizable: bool
    biz_type: int
    text_ladder_style: int | None
    weight_kg: float
    ship_in_48h: bool
    one_psale: bool
    promotion_fen: int | None
    stock: int
    created: datetime
    # Market role: "source" (the maker's listing), "original" (a trader's listing
    # with the clean photo of a product no maker lists), "markup", "bait", "volume".
    role: str = "source"
    # 2: priced by quantity tiers (SKU prices null); 1: priced per SKU (the
    # detail's ladder is one entry, the lowest SKU price = ``tiers[0]``).
    quote_type: int = 2
    # quoteType 1: the dearest SKU's price (the others lie between).
    sku_high_fen: int | None = None
    jxhy: bool = False
    consign_permille: int = 1000
    # How this seller's prices print: 0 "20.50", 1 "20.5" / "20.0", 2 "20.5" / "20".
    price_style: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    index: int
    top: TopCategory
    second: Second
    kind: Kind
    look: PhotoSpec
    offer_ids: tuple[int, ...]
    has_maker: bool = True


@dataclass(frozen=True)
class Catalog:
    seed: int
    products: tuple[Product, ...]
    offers: tuple[Offer, ...]
    index_of: dict[int, int] = field(repr=False)

    def offer(self, offer_id: int) -> Offer | None:
        position = self.index_of.get(offer_id)
        return None if position is None else self.offers[position]

    def source_of(self, product: int) -> Offer:
        """The listing with the clean photo: the maker's, or (``has_maker`` false) a trader's."""
        return self.offers[self.index_of[self.products[product].offer_ids[0]]]

    def maker_of(self, product: int) -> Offer | None:
        """The maker's offer, or None when no maker sells the product."""
        return self.source_of(product) if self.products[product].has_maker else None


@dataclass
class _Pools:
    """Sellers drawn on while products are generated."""

    makers: dict[int, list[Seller]]
    traders: list[Seller]
    brands: list[Seller]


def _suffixes(top: TopCategory) -> tuple[tuple[str, ...], ...]:
    return (top.factory_suffixes, top.maker_suffixes)


def _make_pools(rng: random.Random, target: int, taken: set[str]) -> _Pools:
    per_category = max(8, target // (5 * len(CATEGORIES)))
    makers: dict[int, list[Seller]] = {}
    for top in CATEGORIES:
        makers[top.top_id] = [
            companies.make_seller(
                rng,
                "source_factory" if rng.random() < 0.75 else "manufacturer",
                rng.choice(top.belts),
                _suffixes(top),
                taken,
            )
            for _ in range(per_category)
        ]
    general = ((), ())
    traders = [
        companies.make_seller(rng, "trading", rng.choice(companies.TRADE_HUBS), general, taken)
        for _ in range(max(10, target // 12))
    ]
    brands = [
        companies.make_seller(rng, "brand", rng.choice(companies.TRADE_HUBS), general, taken)
        for _ in range(max(5, target // 60))
    ]
    return _Pools(makers, traders, brands)


def _reseller(rng: random.Random, pools: _Pools, top: TopCategory, source: Seller) -> Seller:
    roll = rng.random()
    if roll < 0.65:
        return rng.choice(pools.traders)
    if roll < 0.85:
        others = [s for s in pools.makers[top.top_id] if s is not source]
        return rng.choice(others)
    return rng.choice(pools.brands)


def _biz_type(rng: random.Random, kind: str, custom: bool) -> int:
    if kind in ("source_factory", "manufacturer"):
        return 2 if custom or rng.random() < 0.3 else 1
    if kind == "trading":
        return 3 if rng.random() < 0.25 else 1
    return 4 if rng.random() < 0.3 else 1


@dataclass(frozen=True)
class _Listing:
    """What differs between the source's offer and a reseller's."""

    seller: Seller
    edit: ResellerEdit | None
    tiers: tuple[Tier, ...]
    moq: int


def _offer(
    rng: random.Random, offer_id: int, product: int, kind: Kind, top: TopCategory, listing: _Listing
) -> Offer:
    seller_kind = listing.seller.kind
    custom = rng.random() < _CUSTOM_ODDS[seller_kind]
    subject, subject_en = titles.make_title(
        rng, top.key, kind.name_zh, kind.name_en, seller_kind, custom
    )
    is_source = listing.edit is None
    text_style = rng.randrange(3) if not is_source and rng.random() < _TEXT_LADDER_ODDS else None
    first = listing.tiers[0].price_fen
    return Offer(
        role="source" if is_source else "markup",
        quote_type=2,
        offer_id=offer_id,
        product=product,
        seller=listing.seller,
        is_source=is_source,
        edit=listing.edit,
        subject=subject,
        subject_en=subject_en,
        tiers=listing.tiers,
        moq=listing.moq,
        month_sold=int(rng.lognormvariate(5.5 if is_source else 5.0, 1.3)),
        repurchase_pct=rng.randint(8, 45) if is_source else rng.randint(3, 35),
        customizable=custom,
        biz_type=_biz_type(rng, seller_kind, custom),
        text_ladder_style=text_style,
        weight_kg=round(rng.uniform(*kind.weight_kg), 3),
        ship_in_48h=rng.random() < 0.5,
        one_psale=rng.random() < (0.3 if is_source else 0.7),
        promotion_fen=round(first * rng.uniform(0.9, 0.97)) if rng.random() < 0.15 else None,
        stock=rng.randint(1000, 99999),
        created=_EPOCH + timedelta(seconds=rng.randrange(4 * 365 * 86400)),
    )


def _listings(rng: random.Random, pools: _Pools, top: TopCategory, kind: Kind) -> list[_Listing]:
    source = rng.choice(pools.makers[top.top_id])
    moq = rng.choice(kind.moq)
    low, high = kind.price_fen
    base = round(low * (high / low) ** rng.random())
    ladder = price_ladders.factory_ladder(rng, base, moq)
    listings = [_Listing(source, None, ladder, moq)]
    for _ in range(rng.choices(_RESELLER_COUNTS, weights=_RESELLER_WEIGHTS)[0]):
        seller = _reseller(rng, pools, top, source)
        small_moq = rng.choice([q for q in (1, 2, 5, 10, kind.moq[0]) if q < ladder[-1].start])
        markup = rng.randint(1050, 1400)
        tiers = price_ladders.reseller_ladder(rng, ladder, small_moq, markup)
        listings.append(_Listing(seller, sample_edit(rng), tiers, small_moq))
    return listings


def _plain_makers(seed: int, pools: _Pools, taken: set[str]) -> None:
    for sellers in pools.makers.values():
        for position, seller in enumerate(sellers):
            rng = random.Random(f"{seed}:plain:{seller.member_id}")
            if rng.random() < _PLAIN_MAKER_ODDS:
                sellers[position] = companies.plain_maker(rng, seller, taken)


def _ceil(fen: float) -> int:
    return max(1, -int(-fen // 1))


def _repriced(rng: random.Random, offer: Offer, maker: tuple[Tier, ...]) -> Offer:
    """A reseller's listing as bait, a volume tier, or (mostly) left marked up."""
    roll = rng.random()
    first = maker[0].price_fen
    if roll < _BAIT_ODDS:
        bait = min(_ceil(first * rng.uniform(0.72, 0.95)), first - 1)
        return dataclasses.replace(
            offer,
            role="bait",
            tiers=(Tier(offer.moq, max(1, bait)),),
            quote_type=1,
            sku_high_fen=_ceil(first * rng.uniform(1.05, 1.4)),
            text_ladder_style=None,
        )
    if roll < _BAIT_ODDS + _VOLUME_ODDS:
        start = maker[-1].start * rng.choice((2, 5, 10))
        price = min(_ceil(maker[-1].price_fen * rng.uniform(0.98, 1.08)), first - 1)
        tiers = [Tier(start, max(1, price))]
        if price > 1:
            tiers.append(Tier(start * 5, max(1, min(price - 1, round(price * 0.96)))))
        return dataclasses.replace(offer, role="volume", tiers=tuple(tiers), moq=start)
    return offer


def _priced_per_sku(rng: random.Random, offer: Offer) -> Offer:
    if offer.quote_type == 1 and offer.sku_high_fen is not None:
        return offer
    if offer.text_ladder_style is not None or rng.random() < _PER_SKU_ODDS:
        first = offer.tiers[0].price_fen
        tiers = offer.tiers if offer.text_ladder_style is not None else offer.tiers[:1]
        high = _ceil(first * rng.uniform(1.08, 1.5))
        return dataclasses.replace(offer, tiers=tiers, quote_type=1, sku_high_fen=high)
    return offer


def _messy_market(
    seed: int, pools: _Pools, product: int, offers: list[Offer]
) -> tuple[list[Offer], bool]:
    """The product's offers after the market's mess (see the module doc); has a maker?"""
    rng = random.Random(f"{seed}:market:{product}")
    maker = offers[0].tiers
    has_maker = rng.random() >= _NO_MAKER_ODDS
    out: list[Offer] = []
    for position, offer in enumerate(offers):
        if position == 0 and not has_maker:
            others = {id(o.seller) for o in offers[1:]}
            seller = rng.choice([t for t in pools.traders if id(t) not in others])
            markup = rng.randint(1050, 1300)
            offer = dataclasses.replace(
                offer,
                seller=seller,
                is_source=False,
                role="original",
                tiers=tuple(Tier(t.start, _ceil(t.price_fen * markup / 1000)) for t in maker),
                biz_type=_biz_type(rng, seller.kind, offer.customizable),
            )
        elif position > 0:
            offer = _repriced(rng, offer, maker)
        offer = _priced_per_sku(rng, offer)
        out.append(
            dataclasses.replace(
                offer,
                jxhy=rng.random() < _JXHY_ODDS,
                consign_permille=1000
                if rng.random() >= _DEAR_CONSIGN_ODDS
                else rng.randint(1100, 1800),
                price_style=rng.randrange(3),
            )
        )
    return out, has_maker


def build_catalog(seed: int, target_offers: int) -> Catalog:
    """At least ``target_offers`` offers, identical for the same ``seed``."""
    rng = random.Random(seed)
    taken: set[str] = set()
    pools = _make_pools(rng, target_offers, taken)
    _plain_makers(seed, pools, taken)
    kinds = all_kinds()
    used_ids: set[int] = set()
    products: list[Product] = []
    offers: list[Offer] = []
    while len(offers) < target_offers:
        top, second, kind = (
            kinds[len(products) % len(kinds)] if len(products) < len(kinds) else rng.choice(kinds)
        )
        look = product_looks.sample_look(rng, top.key, kind.shape)
        ids: list[int] = []
        listed: list[Offer] = []
        for listing in _listings(rng, pools, top, kind):
            offer_id = rng.randrange(520_000_000_000, 790_000_000_000)
            while offer_id in used_ids:
                offer_id = rng.randrange(520_000_000_000, 790_000_000_000)
            used_ids.add(offer_id)
            ids.append(offer_id)
            listed.append(_offer(rng, offer_id, len(products), kind, top, listing))
        messy, has_maker = _messy_market(seed, pools, len(products), listed)
        offers.extend(messy)
        products.append(Product(len(products), top, second, kind, look, tuple(ids), has_maker))
    index_of = {offer.offer_id: position for position, offer in enumerate(offers)}
    return Catalog(seed, tuple(products), tuple(offers), index_of)
