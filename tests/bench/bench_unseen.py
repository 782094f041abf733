"""The answer on what no rule was tuned on: other products, other conditions.

``bench_quality.py`` measures the targets on 30 products under seven conditions; every
rule of the eye and the answer was weighed on those. This bench searches the same way
(the whole stack, default options, the sandbox over HTTP, live row shape) with
``BENCH_UNSEEN_PRODUCTS`` (default 20) products the quality bench does not pick, each
photographed under the ``HELD_OUT`` conditions of ``tests/buyer_photos.py`` (mirrored,
a thumbnail, a tiled watermark, warm light, a small picture on a white canvas, a hand
over it, a very tight crop, grey-scale, a busy background, a heavily compressed JPEG, a
quarter turn without EXIF). It prints the same table as the quality bench, no targets:
it shows where the answer holds beyond its own fixtures and where it does not yet.
"""

from __future__ import annotations

import asyncio
import os
import random

from services.sandbox.catalog.ground_truth import products
from tests.bench.bench_quality import ENV, MISSES, PRODUCTS, SEED, _picked, _report, _searches
from tests.buyer_photos import HELD_OUT
from tests.e2e.stack import running_stack

COUNT = int(os.environ.get("BENCH_UNSEEN_PRODUCTS", "20"))
CONDITIONS = {
    name: HELD_OUT[name]
    for name in (os.environ.get("BENCH_UNSEEN_CONDITIONS") or ",".join(HELD_OUT)).split(",")
}


async def _main() -> None:
    benched = {p.product_id for p in _picked(SEED, PRODUCTS)}
    pool = [
        p
        for p in products(SEED)
        if p.source_offer_id and p.reseller_offer_ids and p.product_id not in benched
    ]
    chosen = random.Random(SEED + 1).sample(pool, min(COUNT, len(pool)))
    with running_stack({**ENV, "FF_SANDBOX_ROW_SHAPE": "live"}) as stack:
        tallies = await _searches(stack, chosen, CONDITIONS)
    _report(
        f"== held-out: {len(chosen)} products the quality bench does not pick, "
        f"{len(CONDITIONS)} conditions no rule was tuned on (live rows)",
        {name: tallies[name] for name in CONDITIONS},
    )
    if MISSES:
        print("\n== held-out: reachable cases whose first offer is not the source")
        for name in CONDITIONS:
            for line in sorted(tallies[name].misses):
                print(f"  {line}")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
