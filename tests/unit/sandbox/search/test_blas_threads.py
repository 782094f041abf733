"""The engine's order does not depend on how many BLAS threads compute the cosines.

``factoryfinder serve sandbox`` runs with one OpenBLAS thread (``services/cli/main.py``);
the sandbox used to run with one per core. The cosines may differ in their last bit (they
are never sent); the order every page is cut from must not.
"""

from __future__ import annotations

from tests.unit.blas_threads import digest_with_threads

_ORDERS = """
import hashlib
from services.sandbox.catalog import photos
from services.sandbox.catalog.loader import load_catalog
from services.sandbox.search.index import describe
from services.sandbox.search.relevance import engine_order, offer_boost
from services.sandbox.settings import SandboxSettings
from shared.config import load

settings = load(SandboxSettings, {})
loaded = load_catalog(settings.seed, settings.catalog_offers, settings.cache_dir)
catalog = loaded.catalog
boost = offer_boost(catalog)
digest = hashlib.sha256()
for number, offer in enumerate(catalog.offers[::25]):
    for side in (120, 333):
        description = describe(photos.offer_photo(catalog, offer, side))
        cosines = loaded.index.cosines(description.raw)
        key = f"{number}:{side}".encode()
        order = engine_order(cosines, boost, settings.seed, key, description.quality)
        digest.update(order[: settings.search_max_results].tobytes())
print(digest.hexdigest())
"""


def test_one_blas_thread_gives_the_same_orders_as_two() -> None:
    one, two = digest_with_threads(_ORDERS, "1"), digest_with_threads(_ORDERS, "2")
    assert len(one) == 64
    assert one == two
