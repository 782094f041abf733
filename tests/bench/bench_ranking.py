"""RankOffers through the full RPC at the sizes a request really has: 50 offers (a search)
and 300 (a verification), each against a plain sort baseline measured in the same run.

The RPC: a real ranking server on port 0 (loopback), protobuf in and out, as the
aggregator calls it. The baseline: what any ranking costs at least, done plainly in this
process — parse the same request bytes, sort the offers by measured similarity then
1688's order, write and serialize a response with them. Pages are live-shaped: most
sellers unnamed, measured similarity on most offers (some images not compared), 1688's
order, near-duplicate pairs among a product's sellers, details on the first ten.
Printed as ratios; wall time on a shared machine is noisy, so compare ratios of one run.
Run: python -m tests.bench.bench_ranking
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

from factoryfinder.v1 import common_pb2, ranking_pb2, ranking_pb2_grpc

from services.ranking.server import SERVICE_NAME, create_server
from services.ranking.settings import RankingSettings
from shared.config import load
from shared.money import to_money
from tests.integration.serving import serving_channel

SIZES = (50, 300)
RUNS = 40
_WORDS = (
    "纯棉", "T恤", "短袖", "圆领", "宽松", "卫衣", "外套", "牛仔裤", "休闲裤", "衬衫", "连衣裙",
    "帽子", "背包", "玩具", "合页", "门锁", "螺丝", "手机壳", "数据线", "保温杯", "收纳盒",
    "拖鞋", "围巾", "夏季", "秋冬", "儿童", "韩版", "加厚", "透气", "不锈钢", "硅胶",
)  # fmt: skip
_EXTRAS = ("厂家直销", "一件代发", "源头工厂", "可定制", "批发", "", "")
_IDENTITIES = (
    ("super_factory", "tp_member"),
    ("powerful_merchants", "tp_member"),
    ("tp_member",),
    (),
)


def make_request(count: int, seed: int = 7) -> ranking_pb2.RankOffersRequest:
    """A page of ``count`` offers: products sold by one to five sellers each."""
    rng = random.Random(seed)
    request = ranking_pb2.RankOffersRequest(
        filters=common_pb2.Filters(purchase_quantity=100), locale="en"
    )
    product = 0
    while len(request.offers) < count:
        title = "".join(rng.sample(_WORDS, 6))
        price = Decimal(rng.randint(500, 20_000)) / 100
        phash = rng.getrandbits(64)
        pictured = product == 0
        similarity = rng.uniform(75, 95) if pictured else rng.uniform(15, 60)
        sellers: list[str] = []
        for _ in range(rng.randint(1, 5)):
            if len(request.offers) == count:
                break
            index = len(request.offers)
            offer = request.offers.add(
                offer_id=str(600_000_000_000 + index),
                title=title + rng.choice(_EXTRAS),
                price=to_money(
                    (price * Decimal(rng.randint(80, 140)) / 100).quantize(Decimal("0.01"))
                ),
                month_sold=rng.randint(0, 5_000),
                category_id=str(rng.randint(1, 20)),
                upstream_rank=index + 1,
                image_phash=phash ^ (1 << rng.randint(0, 63)),
                has_image_phash=True,
            )
            offer.supplier.seller_identities.extend(rng.choice(_IDENTITIES))
            offer.supplier.id = f"{rng.getrandbits(40):010x}"
            if rng.random() < 0.2:
                offer.supplier.company_name = f"广州{'X' * rng.randint(2, 4)}服装厂"
            if rng.random() < 0.9:
                offer.similarity = round(similarity + rng.uniform(-3, 3), 1)
                offer.visual_match.compared = True
                offer.visual_match.similarity = offer.similarity
            else:
                offer.visual_match.unavailable_reason = "image host refused"
            if index < 10:
                offer.detail.status = common_pb2.DETAIL_STATUS_AVAILABLE
                offer.detail.biz_type = rng.choice((1, 2))
                offer.detail.description = rng.choice(("支持来样加工", "加工定制：是", "现货"))
            for other in sellers:
                request.image_pairs.add(
                    first_offer_id=other, second_offer_id=offer.offer_id, similarity=92.0
                )
            sellers.append(offer.offer_id)
        product += 1
    return request


def plain_sort(data: bytes) -> bytes:
    """The baseline: request bytes in, offers sorted by similarity then 1688's order, response
    bytes out."""
    request = ranking_pb2.RankOffersRequest.FromString(data)
    ordered = sorted(request.offers, key=lambda o: (-o.similarity, o.upstream_rank, o.offer_id))
    response = ranking_pb2.RankOffersResponse(
        offers=[common_pb2.RankedOffer(offer=o, rank=i + 1) for i, o in enumerate(ordered)]
    )
    return response.SerializeToString()


async def wall_ms(action: Callable[[], Awaitable[object]], runs: int = RUNS) -> float:
    """Median wall time of ``action`` in milliseconds, after two warm-up runs."""
    for _ in range(2):
        await action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    settings = load(RankingSettings, {}, drain_delay_seconds=0.0)
    async with serving_channel(await create_server(settings), SERVICE_NAME) as channel:
        stub = ranking_pb2_grpc.RankingServiceStub(channel)
        for count in SIZES:
            request = make_request(count)
            data = request.SerializeToString()

            async def baseline(data: bytes = data) -> bytes:
                return plain_sort(data)

            async def rpc(request: ranking_pb2.RankOffersRequest = request) -> object:
                return await stub.RankOffers(request, timeout=30)

            plain = await wall_ms(baseline)
            ranked = await wall_ms(rpc)
            reply = await stub.RankOffers(request, timeout=30)
            answer = reply.answer
            print(
                f"RankOffers, {count} offers: answer found={answer.found}, "
                f"{len(answer.match_set)} in the match set, {len(reply.groups)} groups"
            )
            print(f"  plain sort (protobuf in/out)  {plain:8.2f} ms median  = 1.0x baseline")
            print(
                f"  RankOffers RPC (real server)  {ranked:8.2f} ms median  = {ranked / plain:.1f}x baseline"
            )


if __name__ == "__main__":
    asyncio.run(main())
