"""Ground truth of the sandbox catalog: which offers sell a product, which one is its source.

Reads NAME=sandbox's ``services.sandbox.ground_truth`` when it exists; until then a thin
fallback over ``services/sandbox/catalog.py`` with the same names (remove it once theirs
has landed).
"""

from __future__ import annotations

try:
    from services.sandbox.ground_truth import (  # type: ignore[import-not-found,unused-ignore]
        ProductTruth,
        product_of_offer,
        product_photo,
        products,
    )
except ImportError:  # pragma: no cover - the fallback, until the sandbox's module lands
    from dataclasses import dataclass
    from functools import lru_cache

    from PIL import Image

    from services.sandbox import catalog as _catalog
    from services.sandbox import drawing as _drawing
    from services.sandbox.settings import SandboxSettings

    @dataclass(frozen=True)
    class ProductTruth:  # type: ignore[no-redef]
        product_id: str
        category_id: str
        offer_ids: tuple[str, ...]
        source_offer_id: str | None
        reseller_offer_ids: tuple[str, ...]

    @lru_cache(maxsize=4)
    def _built(seed: int) -> _catalog.Catalog:
        return _catalog.build_catalog(seed, SandboxSettings().catalog_offers)

    def products(seed: int) -> list[ProductTruth]:
        built = _built(seed)
        return [
            ProductTruth(
                str(p.index),
                str(p.second.second_id),
                tuple(str(o) for o in p.offer_ids),
                str(p.offer_ids[0]),
                tuple(str(o) for o in p.offer_ids[1:]),
            )
            for p in built.products
        ]

    def product_of_offer(seed: int, offer_id: str) -> str | None:
        offer = _built(seed).offer(int(offer_id))
        return None if offer is None else str(offer.product)

    def product_photo(seed: int, product_id: str, size: int = 800) -> Image.Image:
        return _drawing.render_image(_built(seed).products[int(product_id)].look, size)


__all__ = ["ProductTruth", "product_of_offer", "product_photo", "products"]
