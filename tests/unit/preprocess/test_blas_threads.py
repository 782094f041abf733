"""The comparison does not depend on how many BLAS threads compute it.

``factoryfinder serve preprocess`` runs with one OpenBLAS thread (``services/cli/main.py``),
as the sandbox does: a second thread busy-waits after each of the comparison's small matrix
products. The similarities and near-duplicate pairs it sends must be the same either way.
"""

from __future__ import annotations

from tests.unit.blas_threads import digest_with_threads

_SIMILARITIES = """
import hashlib
from services.preprocess.image_comparison import near_duplicates
from tests.buyer_photos import CONDITIONS, buyer_photo
from tests.unit.preprocess.test_visual_similarity import (
    COMPARATOR, OTHERS, PRODUCT, _described, _offer, _query, _reseller,
)

offers = [_offer(PRODUCT), *(_offer(other) for other in OTHERS)]
digest = hashlib.sha256()
for condition in CONDITIONS:
    query = _query(buyer_photo(PRODUCT, condition, seed=3))
    for offer in offers:
        digest.update(repr(COMPARATOR.similarity(query, offer).value).encode())
described = [
    ("reseller", _described(_reseller(PRODUCT, "crop"), 70)),
    ("factory", _described(PRODUCT)),
    *((f"other{i}", _described(other)) for i, other in enumerate(OTHERS)),
]
for pair in near_duplicates(COMPARATOR, described):
    digest.update(repr(pair).encode())
print(digest.hexdigest())
"""


def test_one_blas_thread_gives_the_same_similarities_as_two() -> None:
    one, two = digest_with_threads(_SIMILARITIES, "1"), digest_with_threads(_SIMILARITIES, "2")
    assert len(one) == 64
    assert one == two
