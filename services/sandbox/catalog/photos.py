"""Pictures of catalog offers: the source's photo, or a reseller's edit of it.

Served images are drawn on request at the size asked for; the feature matrix
is built from small renderings (``FEATURE_RENDER_SIDE``) of every offer, one
drawing per product shared by its resellers' edits.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.sandbox.catalog import drawing
from services.sandbox.catalog.model import Catalog, Offer
from services.sandbox.catalog.photo_edits import apply_edit
from services.sandbox.search import features

FEATURE_RENDER_SIDE = 64
SOURCE_JPEG_QUALITY = 90


def offer_photo(catalog: Catalog, offer: Offer, side: int) -> Image.Image:
    """The offer's main picture at ``side`` x ``side``."""
    photo = drawing.render_image(catalog.products[offer.product].look, side)
    return photo if offer.edit is None else apply_edit(photo, offer.edit)


def offer_jpeg(catalog: Catalog, offer: Offer, side: int) -> bytes:
    """The picture as the JPEG the seller uploaded (resellers re-encode lower)."""
    quality = SOURCE_JPEG_QUALITY if offer.edit is None else offer.edit.quality
    buffer = io.BytesIO()
    offer_photo(catalog, offer, side).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def feature_thumbnails(catalog: Catalog) -> npt.NDArray[np.uint8]:
    """(n_offers, 64, 64, 3) thumbnails in catalog order."""
    pictures: list[Image.Image] = [Image.new("RGB", (1, 1))] * len(catalog.offers)
    for product in catalog.products:
        photo = drawing.render_image(product.look, FEATURE_RENDER_SIDE)
        for offer_id in product.offer_ids:
            offer = catalog.offers[catalog.index_of[offer_id]]
            pictures[catalog.index_of[offer_id]] = (
                photo if offer.edit is None else apply_edit(photo, offer.edit)
            )
    return features.thumbnails(pictures)
