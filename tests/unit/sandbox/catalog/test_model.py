from __future__ import annotations

import re

import numpy as np

from services.sandbox.catalog import companies
from services.sandbox.catalog import loader as catalog_loader
from services.sandbox.catalog.categories import CATEGORIES
from services.sandbox.catalog.loader import LoadedCatalog
from services.sandbox.catalog.model import build_catalog
from services.sandbox.catalog.price_ladders import price_at
from services.sandbox.catalog.titles import CUSTOM_WORDS

_NAME_BY_KIND = {
    "source_factory": re.compile(r"(厂|加工厂)$"),
    "manufacturer": re.compile(r"有限公司$"),
    "brand": re.compile(r"旗舰店$"),
    "trading": re.compile(
        r"(贸易有限公司|商贸商行|电子商务有限公司|进出口有限公司|供应链管理有限公司)$"
    ),
}


def test_same_seed_same_catalog_and_features() -> None:
    first = build_catalog(7, 120)
    second = build_catalog(7, 120)
    assert first.offers == second.offers
    assert [p.look for p in first.products] == [p.look for p in second.products]
    features_a = catalog_loader.feature_matrix(first, 120, "")
    features_b = catalog_loader.feature_matrix(second, 120, "")
    assert np.array_equal(features_a, features_b)
    assert build_catalog(8, 120).offers != first.offers


def test_default_catalog_size_and_categories(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    assert len(catalog.offers) >= 3000
    assert {p.top.key for p in catalog.products} == {top.key for top in CATEGORIES}
    assert len(CATEGORIES) >= 8
    assert len(catalog.index_of) == len(catalog.offers)
    assert all(100_000_000_000 <= o.offer_id < 1_000_000_000_000 for o in catalog.offers)


def test_each_product_has_one_original_listing_and_resellers(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    resellers = 0
    for product in catalog.products:
        offers = [catalog.offer(oid) for oid in product.offer_ids]
        sources = [o is not None and o.is_source for o in offers].count(True)
        assert sources == (1 if product.has_maker else 0)
        original = catalog.source_of(product.index)
        assert original.edit is None
        if product.has_maker:
            assert catalog.maker_of(product.index) is original
            assert original.seller.kind in ("source_factory", "manufacturer")
        else:
            assert catalog.maker_of(product.index) is None
            assert original.role == "original" and original.seller.kind == "trading"
        for offer in offers[1:]:
            assert offer is not None and offer.edit is not None
            assert offer.seller is not original.seller and not offer.is_source
            resellers += 1
    assert resellers > len(catalog.products) * 2


def test_resellers_mostly_mark_up_but_some_list_a_lower_first_tier(
    loaded: LoadedCatalog,
) -> None:
    catalog = loaded.catalog
    roles = {"markup": 0, "bait": 0, "volume": 0}
    maker_cheapest = with_resellers = 0
    for product in catalog.products:
        maker = catalog.maker_of(product.index)
        if maker is None or len(product.offer_ids) < 2:
            continue
        offers = [catalog.offers[catalog.index_of[oid]] for oid in product.offer_ids]
        with_resellers += 1
        maker_cheapest += min(offers, key=lambda o: o.tiers[0].price_fen) is maker
        first = maker.tiers[0].price_fen
        for offer in offers[1:]:
            roles[offer.role] += 1
            if offer.role == "markup" and offer.quote_type == maker.quote_type == 2:
                for tier in offer.tiers:
                    factory = price_at(maker.tiers, tier.start)
                    assert tier.price_fen * 100 >= factory * 105  # at least 5 % dearer
                    assert tier.price_fen <= factory * 1.4 + 1  # at most 40 %, rounded up
            elif offer.role == "bait":
                assert offer.tiers[0].price_fen < first and offer.quote_type == 1
                assert offer.sku_high_fen is not None and offer.sku_high_fen > first
            elif offer.role == "volume":
                assert offer.tiers[0].price_fen < first
                assert offer.tiers[0].start > maker.tiers[-1].start
    total = sum(roles.values())
    assert roles["markup"] > 0.7 * total
    assert roles["bait"] > 0.05 * total and roles["volume"] > 0.05 * total
    # "The cheapest first tier is the maker" must not be a rule that always wins.
    assert 0.3 * with_resellers < maker_cheapest < 0.8 * with_resellers


def test_some_makers_list_under_plain_names(loaded: LoadedCatalog) -> None:
    makers = [o.seller for o in loaded.catalog.offers if o.is_source]
    plain = [s for s in makers if s.plain]
    assert 0.1 * len(makers) < len(plain) < 0.35 * len(makers)
    for seller in plain:
        assert set(seller.identities) <= {"tp_member"} and not seller.certified_factory
        assert not re.search("厂|制造|加工|制品|工业|服饰|织", seller.name), seller.name


def test_offers_look_like_1688(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    belts_by_top = {top.top_id: {companies.BELTS[b].city for b in top.belts} for top in CATEGORIES}
    for offer in catalog.offers:
        product = catalog.products[offer.product]
        assert 1 <= len(offer.tiers) <= 4
        assert len(offer.tiers) >= 2 or offer.quote_type == 1 or offer.role == "volume"
        assert [t.start for t in offer.tiers] == sorted({t.start for t in offer.tiers})
        assert all(
            a.price_fen > b.price_fen for a, b in zip(offer.tiers, offer.tiers[1:], strict=False)
        )
        assert offer.moq == offer.tiers[0].start
        if not offer.seller.plain:
            assert _NAME_BY_KIND[offer.seller.kind].search(offer.seller.name), offer.seller.name
        assert (
            "tp_member" in offer.seller.identities
            or offer.seller.kind == "trading"
            or offer.seller.plain
        )
        assert set(offer.seller.identities) <= {"super_factory", "powerful_merchants", "tp_member"}
        assert offer.biz_type in (1, 2, 3, 4)
        assert 1 <= offer.seller.tp_year <= 16
        if offer.is_source and not offer.seller.plain:
            assert offer.seller.city in belts_by_top[product.top.top_id]
        if offer.customizable:
            assert any(zh in offer.subject for zh, _ in CUSTOM_WORDS)
        assert product.kind.name_zh in offer.subject


def test_seller_mix_is_realistic(loaded: LoadedCatalog) -> None:
    kinds = [o.seller.kind for o in loaded.catalog.offers]
    share = {kind: kinds.count(kind) / len(kinds) for kind in companies.KINDS}
    assert share["trading"] > 0.35
    assert 0.2 < share["source_factory"] + share["manufacturer"] < 0.5
    assert share["brand"] > 0.05
    super_factories = sum("super_factory" in o.seller.identities for o in loaded.catalog.offers)
    assert super_factories > 50
    text_ladders = sum(o.text_ladder_style is not None for o in loaded.catalog.offers)
    assert text_ladders > 300
