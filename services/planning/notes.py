"""Notes a buyer can act on, in Chinese (default) or English.

Every amount in a note is the plan's own rounded figure, so the words and the
numbers never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.planning.domain import Complexity, CustomOrderPlan, FreightBasis, Locale, Totals

#: Years on 1688 from which a supplier counts as experienced, and below which as new.
EXPERIENCED_YEARS = 5
NEW_SUPPLIER_YEARS = 2


@dataclass(frozen=True)
class NoteFacts:
    """What the notes need beyond the plan itself."""

    years_on_platform: int
    made_to_sample: bool
    fast_sampling_unavailable: bool
    destination_province: str


def yuan(amount: Decimal) -> str:
    """``Decimal("2240")`` → ``"¥2,240.00"``."""
    return f"¥{amount:,.2f}"


def percent(rate: Decimal) -> str:
    """``Decimal("0.30")`` → ``"30%"``."""
    return f"{(rate * 100).normalize():f}%"


def tier_advice_message(current: Totals, suggested: Totals, locale: Locale) -> str:
    saving = yuan(current.grand_total - suggested.grand_total)
    if locale is Locale.EN:
        return (
            f"Ordering {suggested.quantity} pieces costs {yuan(suggested.grand_total)} in total, "
            f"less than {yuan(current.grand_total)} for {current.quantity}: "
            f"you save {saving} and get {suggested.quantity - current.quantity} more pieces."
        )
    return (
        f"订{suggested.quantity}件总价{yuan(suggested.grand_total)},"
        f"比订{current.quantity}件的{yuan(current.grand_total)}还便宜{saving},"
        f"还多{suggested.quantity - current.quantity}件。"
    )


def write(plan: CustomOrderPlan, facts: NoteFacts, locale: Locale) -> tuple[str, ...]:
    """The notes for ``plan``, most important first."""
    words = _EN if locale is Locale.EN else _ZH
    notes = [_experience(facts.years_on_platform, words)]
    if plan.planned_quantity > plan.requested_quantity:
        notes.append(words["minimum"].format(r=plan.requested_quantity, p=plan.planned_quantity))
    if not facts.made_to_sample:
        notes.append(words["not_made_to_sample"])
    if facts.fast_sampling_unavailable:
        notes.append(words["no_fast_sampling"].format(d=plan.sample_days))
    if plan.sample_fee_estimated:
        notes.append(words["fee_estimated"].format(fee=yuan(plan.totals.sample_fee)))
    samples = "complex_samples" if plan.complexity is Complexity.COMPLEX else "samples"
    notes.append(words[samples])
    notes.append(_freight(plan, facts.destination_province, words))
    notes.append(
        words["days"].format(s=plan.sample_days, p=plan.production_days, t=plan.total_days)
    )
    notes.append(_payment(plan, words))
    return tuple(notes)


def _experience(years: int, words: dict[str, str]) -> str:
    if years <= 0:
        return words["years_unknown"]
    if years >= EXPERIENCED_YEARS:
        return words["years_experienced"].format(n=years)
    if years < NEW_SUPPLIER_YEARS:
        return words["years_new"].format(n=years)
    return words["years"].format(n=years)


def _freight(plan: CustomOrderPlan, province: str, words: dict[str, str]) -> str:
    where = province or words["anywhere"]
    amount = yuan(plan.totals.freight.amount)
    if plan.totals.freight.basis is FreightBasis.WEIGHT:
        return words["freight_weight"].format(amount=amount, where=where)
    return words["freight_flat"].format(amount=amount, where=where)


def _payment(plan: CustomOrderPlan, words: dict[str, str]) -> str:
    totals = plan.totals
    return words["payment"].format(
        bulk=yuan(totals.batch_total + totals.freight.amount),
        dr=percent(plan.deposit_rate),
        deposit=yuan(totals.deposit),
        br=percent(1 - plan.deposit_rate),
        balance=yuan(totals.balance),
    )


_ZH = {
    "years_unknown": "供应商的经营年限未知,下单前请查看公司档案。",
    "years_experienced": "供应商在1688经营{n}年,经验较丰富。",
    "years_new": "供应商在1688仅经营{n}年,建议先下小单验证。",
    "years": "供应商在1688经营{n}年。",
    "minimum": "需求{r}件低于起订量,按起订量{p}件计划。",
    "not_made_to_sample": "供应商未标明来样加工,请先确认能否按您的样品生产。",
    "no_fast_sampling": "供应商未提供快速打样,打样按{d}天计。",
    "fee_estimated": "打样费未公布,按默认{fee}估算,请向供应商确认。",
    "complex_samples": "复杂定制建议先打2-3个样品,确认无误后再下大货。",
    "samples": "建议先要样品确认质量,再下大货。",
    "anywhere": "目的地",
    "freight_weight": "运费{amount}按单件重量和发往{where}的每公斤费率估算。",
    "freight_flat": "运费{amount}为按件数的粗略估算,请向供应商索取发往{where}的报价。",
    "days": "打样{s}天+生产{p}天,约{t}天可发货。",
    "payment": "大货款(货款+运费){bulk}分两笔付:下单付{dr}定金{deposit},发货前付{br}尾款{balance}。",
}

_EN = {
    "years_unknown": "The supplier's years on 1688 are unknown: check its company profile first.",
    "years_experienced": "The supplier has {n} years on 1688: an experienced seller.",
    "years_new": "The supplier has only {n} year(s) on 1688: start with a small order.",
    "years": "The supplier has {n} years on 1688.",
    "minimum": "{r} pieces is below the minimum order; planned at the minimum of {p}.",
    "not_made_to_sample": "The supplier does not say it makes to sample: confirm it can work "
    "from yours.",
    "no_fast_sampling": "The supplier does not offer fast sampling: sampling takes {d} days.",
    "fee_estimated": "The sample fee is not published; {fee} is a default estimate, ask the "
    "supplier.",
    "complex_samples": "For complex work order 2-3 samples and approve them before the bulk order.",
    "samples": "Ask for a sample and check the quality before the bulk order.",
    "anywhere": "your destination",
    "freight_weight": "Freight {amount} is estimated from the unit weight and the per-kg rate "
    "to {where}.",
    "freight_flat": "Freight {amount} is a rough estimate by quantity: ask the supplier for a "
    "quote to {where}.",
    "days": "Sample {s} days + production {p} days: ready to ship in about {t} days.",
    "payment": "Pay the bulk order (goods + freight, {bulk}) in two parts: {dr} deposit "
    "{deposit} on order, {br} balance {balance} before shipping.",
}
