"""Ground truth of the sandbox's catalog, for quality benchmarks (pure, no HTTP).

The catalog is the one a sandbox started with the same seed and the default
size (``FF_SANDBOX_CATALOG_OFFERS``, 3,200 offers) serves; it is built once
per seed and process. Offer ids are strings, as the public API carries them.

- :func:`products`: every product with its offers, its maker's offer (None
  when no maker sells it: then every offer is a reseller's) and resellers.
- :func:`product_of_offer`: which product an offer sells.
- :func:`product_photo`: the product's clean photo (the one the original
  listing shows, before any reseller's edits), RGB, ``size`` pixels square.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from services.sandbox.catalog import drawing
from services.sandbox.catalog.model import Catalog, build_catalog
from services.sandbox.settings import SandboxSettings

DEFAULT_OFFERS = SandboxSettings().catalog_offers


@dataclass(frozen=True)
class ProductTruth:
    product_id: str  # stable within a seed
    category_id: str  # the third-level category id
    offer_ids: tuple[str, ...]  # every offer that sells this product
    source_offer_id: str | None  # the maker's offer; None when no factory sells it
    reseller_offer_ids: tuple[str, ...]


def product_id(index: int) -> str:
    return f"p{index:05d}"


@lru_cache(maxsize=4)
def _catalog(seed: int) -> Catalog:
    return build_catalog(seed, DEFAULT_OFFERS)


@lru_cache(maxsize=4)
def _truths(seed: int) -> tuple[tuple[ProductTruth, ...], dict[str, str]]:
    catalog = _catalog(seed)
    truths = []
    owner: dict[str, str] = {}
    for product in catalog.products:
        ids = tuple(str(offer_id) for offer_id in product.offer_ids)
        maker = catalog.maker_of(product.index)
        source = None if maker is None else str(maker.offer_id)
        truths.append(
            ProductTruth(
                product_id=product_id(product.index),
                category_id=str(product.kind.third_id),
                offer_ids=ids,
                source_offer_id=source,
                reseller_offer_ids=tuple(i for i in ids if i != source),
            )
        )
        for offer_id in ids:
            owner[offer_id] = product_id(product.index)
    return tuple(truths), owner


def products(seed: int) -> list[ProductTruth]:
    """Every product of the catalog of ``seed``, in catalog order."""
    return list(_truths(seed)[0])


def product_of_offer(seed: int, offer_id: str) -> str | None:
    """The product ``offer_id`` sells, or None for an offer not in the catalog."""
    return _truths(seed)[1].get(str(offer_id))


def product_photo(seed: int, product_id: str, size: int = 800) -> Image.Image:
    """The product's clean photo, RGB, ``size`` x ``size``; KeyError for an unknown id."""
    catalog = _catalog(seed)
    try:
        index = int(product_id.removeprefix("p"))
        product = catalog.products[index]
    except (ValueError, IndexError):
        raise KeyError(product_id) from None
    if not product_id.startswith("p") or index < 0:
        raise KeyError(product_id)
    return drawing.render_image(product.look, size).convert("RGB")
