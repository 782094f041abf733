from __future__ import annotations

import itertools
import random

from services.sandbox.catalog.price_ladders import (
    Tier,
    factory_ladder,
    ladder_text,
    price_at,
    reseller_ladder,
    yuan,
)

TIERS = (Tier(10, 2000), Tier(50, 1850), Tier(200, 1700))


def test_yuan_is_exact() -> None:
    assert [yuan(f) for f in (5, 2050, 100, 123456)] == ["0.05", "20.50", "1.00", "1234.56"]


def test_text_styles() -> None:
    assert ladder_text(TIERS, "件", 0) == "10-49件:¥20.00;50-199件:¥18.50;≥200件:¥17.00"
    assert ladder_text(TIERS, "件", 1) == "10~49件 ¥20.00, 50~199件 ¥18.50, 200件以上 ¥17.00"
    assert ladder_text(TIERS, "个", 2) == "10-49个:20.00元;50-199个:18.50元;200个以上:17.00元"


def test_price_at_quantity() -> None:
    assert [price_at(TIERS, q) for q in (1, 10, 49, 50, 199, 200, 10_000)] == [
        2000,
        2000,
        2000,
        1850,
        1850,
        1700,
        1700,
    ]


def test_ladders_fall_and_resellers_mark_up() -> None:
    rng = random.Random(3)
    for _ in range(500):
        base = rng.randint(5, 10_000)
        factory = factory_ladder(rng, base, rng.choice((1, 2, 50, 1000)))
        assert 2 <= len(factory) <= 4
        assert all(a.price_fen > b.price_fen for a, b in itertools.pairwise(factory))
        moq = rng.choice([q for q in (1, 2, 5, 10) if q < factory[-1].start])
        markup = rng.randint(1050, 1400)
        resold = reseller_ladder(rng, factory, moq, markup)
        assert resold[0].start == moq and len(resold) >= 2
        for tier in resold:
            assert tier.price_fen * 1000 >= price_at(factory, tier.start) * markup
