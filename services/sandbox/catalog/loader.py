"""Building the catalog and its search index, once per (seed, size).

Drawing and describing ~3,000 offer photos is the slow part of start-up, so
the feature matrix is cached on disk under ``cache_dir`` (keyed by seed,
size and a hash of every module the pictures depend on, so a code change
never serves stale features) and the whole result is memoised per process
(tests start many sandboxes). The catalog metadata itself is rebuilt: it is
a fraction of a second and keeps the cache file a plain array.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.sandbox.catalog import (
    categories,
    companies,
    drawing,
    photo_edits,
    price_ladders,
    product_looks,
    shapes,
    titles,
)
from services.sandbox.catalog import model as catalog
from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.catalog.model import Catalog
from services.sandbox.search import features
from services.sandbox.search.index import SearchIndex
from services.sandbox.search.query import OfferColumns

_LOG = logging.getLogger(__name__)
_PICTURE_MODULES = (
    catalog,
    catalog_photos,
    categories,
    companies,
    drawing,
    features,
    photo_edits,
    price_ladders,
    product_looks,
    shapes,
    titles,
)
_BATCH = 128


@dataclass(frozen=True)
class LoadedCatalog:
    catalog: Catalog
    index: SearchIndex
    columns: OfferColumns


def _cache_key(seed: int, offers: int) -> str:
    digest = hashlib.sha256(f"{seed}:{offers}:{catalog_photos.FEATURE_RENDER_SIDE}".encode())
    for module in _PICTURE_MODULES:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:32]


def _compute(built: Catalog) -> features.Batch:
    thumbs = catalog_photos.feature_thumbnails(built)
    return np.concatenate(
        [features.extract_batch(thumbs[i : i + _BATCH]) for i in range(0, len(thumbs), _BATCH)]
    )


def _read(path: Path, rows: int) -> features.Batch | None:
    try:
        matrix = np.load(path)
    except (OSError, ValueError):
        return None
    if matrix.shape != (rows, features.DIMENSIONS) or matrix.dtype != np.float32:
        return None
    return matrix  # type: ignore[no-any-return]


def _write(path: Path, matrix: features.Batch) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.save(out, matrix)
        os.replace(temporary, path)
    except OSError as exc:
        _LOG.warning("feature cache not written to %s: %s", path, exc)


def feature_matrix(built: Catalog, offers: int, cache_dir: str) -> features.Batch:
    """Raw features of every offer, from the disk cache when possible."""
    if not cache_dir:
        return _compute(built)
    path = Path(cache_dir) / f"features-{_cache_key(built.seed, offers)}.npy"
    cached = _read(path, len(built.offers))
    if cached is not None:
        return cached
    matrix = _compute(built)
    _write(path, matrix)
    return matrix


@lru_cache(maxsize=4)
def load_catalog(seed: int, offers: int, cache_dir: str) -> LoadedCatalog:
    """The catalog for ``seed`` with at least ``offers`` offers, and its index."""
    built = catalog.build_catalog(seed, offers)
    matrix = feature_matrix(built, offers, cache_dir)
    return LoadedCatalog(built, SearchIndex(matrix), OfferColumns.from_catalog(built))
