from __future__ import annotations

import numpy as np
import pytest

from services.sandbox.catalog import ground_truth
from services.sandbox.catalog.loader import LoadedCatalog
from services.sandbox.catalog.photos import offer_photo


def test_products_match_the_catalog_a_default_sandbox_serves(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    truths = ground_truth.products(catalog.seed)
    assert len(truths) == len(catalog.products)
    assert len({t.product_id for t in truths}) == len(truths)
    no_maker = 0
    for truth, product in zip(truths, catalog.products, strict=True):
        assert truth.offer_ids == tuple(str(i) for i in product.offer_ids)
        assert truth.category_id == str(product.kind.third_id)
        if truth.source_offer_id is None:
            no_maker += 1
            assert not product.has_maker
            assert truth.reseller_offer_ids == truth.offer_ids
        else:
            source = catalog.offer(int(truth.source_offer_id))
            assert source is not None and source.is_source
            assert source.seller.kind in ("source_factory", "manufacturer")
            assert set(truth.reseller_offer_ids) == set(truth.offer_ids) - {truth.source_offer_id}
        for offer_id in truth.offer_ids:
            assert ground_truth.product_of_offer(catalog.seed, offer_id) == truth.product_id
    assert 0.05 * len(truths) < no_maker < 0.2 * len(truths)
    assert ground_truth.product_of_offer(catalog.seed, "1") is None


def test_products_are_stable_within_a_seed_and_differ_between_seeds() -> None:
    first = ground_truth.products(5)
    assert ground_truth.products(5) == first
    assert [t.offer_ids for t in ground_truth.products(6)] != [t.offer_ids for t in first]


def test_product_photo_is_the_original_listings_clean_photo(loaded: LoadedCatalog) -> None:
    catalog = loaded.catalog
    truth = ground_truth.products(catalog.seed)[3]
    photo = ground_truth.product_photo(catalog.seed, truth.product_id, 256)
    assert photo.mode == "RGB" and photo.size == (256, 256)
    served = offer_photo(catalog, catalog.source_of(3), 256)
    assert np.array_equal(np.asarray(photo), np.asarray(served.convert("RGB")))
    assert ground_truth.product_photo(catalog.seed, truth.product_id).size == (800, 800)
    with pytest.raises(KeyError):
        ground_truth.product_photo(catalog.seed, "p99999")
