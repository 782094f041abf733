"""Ranking 1,000 offers: the whole pipeline on one core, against a baseline from the same run.

Baseline: sorting the same offers by similarity alone (what the upstream gives).
Also shown: the same call with protobuf conversion, as the server does it, and
rank() on offers it has not seen before (inference is cached per offer text, so
the repeated-offers line shows a search whose offers came back; this one a new one).
Target: the pipeline under 20 ms for 1,000 offers. Run: python -m tests.bench.bench_ranking
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from factoryfinder.v1 import common_pb2, ranking_pb2

from services.ranking.domain import Filters, Offer, Supplier
from services.ranking.ranking import rank
from services.ranking.server import rank_offers
from services.ranking.settings import RankingSettings
from shared.config import load
from shared.money import PriceTier, to_money

COUNT = 1_000
TARGET_MS = 20.0
RUNS = 30
T = TypeVar("T")

_NAMES = (
    "广州市白云区{n}服装厂",
    "东莞{n}制衣有限公司",
    "义乌{n}贸易有限公司",
    "深圳{n}电子商务有限公司",
    "{n}品牌旗舰店",
    "佛山{n}实业有限公司",
    "汕头{n}商行",
    "{n}",
)
# Real 1688 titles draw on a large vocabulary; a tiny one would make every title look alike.
_WORDS = [
    "纯棉", "T恤", "男装", "女装", "短袖", "长袖", "圆领", "V领", "宽松", "修身", "印花", "刺绣", "卫衣", "外套", "夹克",
    "风衣", "牛仔裤", "休闲裤", "运动裤", "短裤", "衬衫", "连衣裙", "半身裙", "毛衣", "针织衫", "羽绒服", "棉服", "马甲", "帽子",
    "棒球帽", "渔夫帽", "背包", "双肩包", "斜挎包", "钱包", "手提袋", "帆布袋", "玩具", "积木", "毛绒", "公仔", "遥控车", "拼图",
    "五金", "铰链", "合页", "门锁", "螺丝", "拉手", "挂钩", "面料", "雪纺", "棉麻", "涤纶", "真丝", "夏季", "秋冬", "春秋",
    "儿童", "婴儿", "中老年", "运动", "休闲", "韩版", "欧美", "复古", "潮牌", "大码", "情侣", "学生", "商务", "户外", "防晒",
    "速干", "加绒", "加厚", "透气", "防水", "耐磨", "保暖", "手机壳", "数据线", "充电器", "耳机", "音箱", "台灯", "灯泡", "插座",
    "开关", "水杯", "保温杯", "餐具", "碗", "盘子", "筷子", "收纳盒", "衣架", "拖鞋", "凉鞋", "运动鞋", "板鞋", "袜子", "围巾",
    "手套", "发夹", "项链", "耳环", "戒指", "手链", "眼镜", "太阳镜", "雨伞", "毛巾", "浴巾", "床单", "被套", "枕头", "抱枕",
    "地毯", "窗帘", "陶瓷", "玻璃", "不锈钢", "塑料", "硅胶", "木质", "竹制", "铝合金", "黑色", "白色", "红色", "蓝色", "灰色",
    "卡其", "粉色", "绿色",
]  # fmt: skip
_EXTRAS = ("厂家直销", "一件代发", "支持来样加工", "可定制", "OEM定制300件起", "批发", "")
_CITIES = (("广东", "广州"), ("广东", "东莞"), ("浙江", "金华"), ("广东", "汕头"), ("福建", "泉州"))


def make_offers(count: int, seed: int = 7) -> list[Offer]:
    """Products sold by one to five sellers each, like a real image-search page."""
    rng = random.Random(seed)
    offers: list[Offer] = []
    while len(offers) < count:
        base = "".join(rng.sample(_WORDS, 8))
        price = Decimal(rng.randint(500, 20_000)) / 100
        phash = rng.getrandbits(64)
        category = str(rng.randint(1, 20))
        for _ in range(rng.randint(1, 5)):
            offers.append(_seller(rng, len(offers), base, price, phash, category))
    return offers[:count]


def _seller(
    rng: random.Random, index: int, base: str, price: Decimal, phash: int, category: str
) -> Offer:
    province, city = rng.choice(_CITIES)
    markup = Decimal(100 + rng.randint(0, 40)) / 100
    unit = (price * markup).quantize(Decimal("0.01"))
    ladder = (
        (
            PriceTier(1, 49, unit),
            PriceTier(50, 199, unit * Decimal("0.9")),
            PriceTier(200, None, unit * Decimal("0.8")),
        )
        if rng.random() < 0.3
        else ()
    )
    return Offer(
        offer_id=str(600_000_000_000 + index),
        title=base + rng.choice(_EXTRAS),
        similarity=round(rng.uniform(30, 99), 1),
        price=unit,
        price_ladder=ladder,
        min_order=rng.choice((1, 2, 10, 50, 51, 100, 300, 1000)),
        category_id=category,
        supplier=Supplier(
            company_name=rng.choice(_NAMES).format(n="X" * rng.randint(2, 4)),
            province=province,
            city=city,
            years_on_platform=rng.randint(0, 12),
            seller_identities=("super_factory",) if rng.random() < 0.1 else ("tp_member",),
        ),
        image_phash=phash ^ (1 << rng.randint(0, 63)) if rng.random() < 0.7 else None,
    )


def to_proto(offer: Offer) -> common_pb2.Offer:
    message = common_pb2.Offer(
        offer_id=offer.offer_id,
        title=offer.title,
        similarity=offer.similarity,
        price=to_money(offer.price or Decimal(0)),
        price_ladder=[
            common_pb2.PriceTier(
                min_quantity=t.min_quantity,
                max_quantity=t.max_quantity or 0,
                unit_price=to_money(t.unit_price),
            )
            for t in offer.price_ladder
        ],
        min_order=offer.min_order,
        category_id=offer.category_id,
        supplier=common_pb2.Supplier(
            company_name=offer.supplier.company_name,
            province=offer.supplier.province,
            city=offer.supplier.city,
            years_on_platform=offer.supplier.years_on_platform,
            seller_identities=offer.supplier.seller_identities,
        ),
    )
    if offer.image_phash is not None:
        message.image_phash = offer.image_phash
        message.has_image_phash = True
    return message


def cpu_ms(
    action: Callable[[T], object], given: Callable[[int], T], runs: int = RUNS
) -> tuple[float, float, float]:
    """Median, fastest and slowest CPU time of ``action(given(run))`` in milliseconds, after
    one warm-up run; only the action is timed (making its input and freeing it are not).

    CPU time of this process, not wall time: the target is "on one core", and on a shared
    machine wall time also counts the moments other processes held the core.
    """
    action(given(-1))
    times = []
    for run in range(runs):
        argument = given(run)
        started = time.process_time()
        action(argument)
        times.append((time.process_time() - started) * 1000)
        del argument
    return statistics.median(times), min(times), max(times)


def _line(label: str, timing: tuple[float, float, float], against: float, unit: str) -> str:
    median, fastest, slowest = timing
    return (
        f"  {label:<32}{median:8.2f} ms median  ({fastest:.2f}-{slowest:.2f})"
        f"  = {median / against:.1f}x {unit}"
    )


def main() -> None:
    offers = make_offers(COUNT)
    filters = Filters(purchase_quantity=100)
    request = ranking_pb2.RankOffersRequest(
        offers=[to_proto(o) for o in offers], filters=common_pb2.Filters(purchase_quantity=100)
    )
    settings = load(RankingSettings, {})

    def same(_: int) -> list[Offer]:
        return offers

    baseline = cpu_ms(lambda given: sorted(given, key=lambda o: -o.similarity), same)
    pipeline = cpu_ms(lambda given: rank(given, filters), same)
    # A new page of offers for each run, made (and dropped) outside the timed call.
    first_seen = cpu_ms(
        lambda given: rank(given, filters), lambda run: make_offers(COUNT, 1_000 + run)
    )
    wire = cpu_ms(lambda given: rank_offers(given, settings), lambda _: request, runs=10)
    result = rank(offers, filters)
    print(
        f"ranking {COUNT} offers: {len(result.offers)} after filters, {len(result.groups)} groups"
    )
    print(_line("baseline (sort by similarity):", baseline, baseline[0], "baseline"))
    print(_line("rank():", pipeline, baseline[0], "baseline"))
    print(_line("rank(), offers not seen before:", first_seen, baseline[0], "baseline"))
    print(_line("protobuf in/out + rank():", wire, pipeline[0], "rank()"))
    # Judged on offers never seen before: a live search brings new offers, and the
    # inference caches would otherwise make the target a measure of cache hits.
    verdict = "PASS" if first_seen[0] < TARGET_MS else "MISS"
    print(
        f"{verdict}: rank() on unseen offers, median {first_seen[0]:.2f} ms,"
        f" target {TARGET_MS:.0f} ms on one core"
    )


if __name__ == "__main__":
    main()
