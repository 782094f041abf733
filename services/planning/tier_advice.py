"""Say so when ordering up to the next ladder tier costs less in total.

48 pieces at 20.00 cost more than 51 at 18.00: the buyer should hear it with
both grand totals. Only the next tier is compared (the one a buyer is
deciding about); freight and the sample are included, so a tier whose
cheaper unit price is eaten by a freight step gives no advice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.planning import notes
from services.planning.domain import Locale, TierAdvice, Totals
from shared.money import PriceTier, next_tier


def advise(
    ladder: Sequence[PriceTier],
    current: Totals,
    totals_at: Callable[[int], Totals],
    locale: Locale,
) -> TierAdvice | None:
    """Advice to order ``next tier`` pieces instead of ``current.quantity``, or None."""
    upper = next_tier(ladder, current.quantity)
    if upper is None:
        return None
    suggested = totals_at(upper.min_quantity)
    if suggested.grand_total >= current.grand_total:
        return None
    return TierAdvice(
        suggested_quantity=suggested.quantity,
        current_total=current.grand_total,
        suggested_total=suggested.grand_total,
        saving=current.grand_total - suggested.grand_total,
        message=notes.tier_advice_message(current, suggested, locale),
    )
