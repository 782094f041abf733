"""Price ladders as sellers publish them, in integer fen (never floats).

A factory publishes 2-4 tiers starting at its minimum order, each a few per
cent (at least one fen) cheaper than the one before. A reseller marks the factory's price up by
5-40 % (rounded up to the fen, so the mark-up is never below 5 %), usually
from a smaller minimum order. Some resellers write the ladder as text instead
of structured tiers; :func:`ladder_text` produces the three styles the
sandbox uses:

- ``"10-49件:¥20.00;50-199件:¥18.50;≥200件:¥17.00"``
- ``"2~9件 ¥20.50, 10~99件 ¥19.00, 100件以上 ¥18.00"``
- ``"1-9个:12.50元;10-99个:11.80元;100个以上:10.90元"``
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_STEPS = (3, 5, 10)


@dataclass(frozen=True, slots=True)
class Tier:
    """From ``start`` pieces up (to the next tier's start), ``price_fen`` per piece."""

    start: int
    price_fen: int


def yuan(fen: int) -> str:
    """Fen as a yuan string with two decimals ("20.50"), exactly."""
    return f"{fen // 100}.{fen % 100:02d}"


def factory_ladder(rng: random.Random, base_fen: int, moq: int) -> tuple[Tier, ...]:
    """2-4 tiers from ``moq`` up, each 3-10 % cheaper than the last."""
    tiers = [Tier(moq, base_fen)]
    for _ in range(rng.randint(1, 3)):
        start = tiers[-1].start * rng.choice(_STEPS)
        cheaper = min(
            round(tiers[-1].price_fen * (1 - rng.uniform(0.03, 0.10))), tiers[-1].price_fen - 1
        )
        if cheaper < 1:
            break
        tiers.append(Tier(start, cheaper))
    return tuple(tiers)


def price_at(tiers: tuple[Tier, ...], quantity: int) -> int:
    """The unit price in fen at ``quantity`` (the first tier's below its start)."""
    price = tiers[0].price_fen
    for tier in tiers:
        if quantity >= tier.start:
            price = tier.price_fen
    return price


def reseller_ladder(
    rng: random.Random, factory: tuple[Tier, ...], moq: int, markup_permille: int
) -> tuple[Tier, ...]:
    """The factory's ladder marked up by ``markup_permille`` / 1000, from ``moq``.

    ``moq`` must be below the factory's last tier, so at least two tiers remain.
    """
    at_moq = price_at(factory, moq)
    cheaper = [tier.start for tier in factory if tier.start > moq and tier.price_fen < at_moq]
    starts = [moq, *cheaper[: rng.randint(1, 3)]]
    return tuple(
        Tier(start, -(-price_at(factory, start) * markup_permille // 1000)) for start in starts
    )


def ladder_text(tiers: tuple[Tier, ...], unit: str, style: int) -> str:
    """The ladder as a seller would type it, in one of three styles (0-2)."""
    pieces = []
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        end = None if last else tiers[index + 1].start - 1
        price = yuan(tier.price_fen)
        if style == 0:
            span = f"≥{tier.start}{unit}" if end is None else f"{tier.start}-{end}{unit}"
            pieces.append(f"{span}:¥{price}")
        elif style == 1:
            span = f"{tier.start}{unit}以上" if end is None else f"{tier.start}~{end}{unit}"
            pieces.append(f"{span} ¥{price}")
        else:
            span = f"{tier.start}{unit}以上" if end is None else f"{tier.start}-{end}{unit}"
            pieces.append(f"{span}:{price}元")
    return (", " if style == 1 else ";").join(pieces)
