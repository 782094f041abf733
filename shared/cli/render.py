"""Human output for the command line: tables that line up Chinese and Latin
text (rich measures East Asian wide characters), money as exact decimals."""

from __future__ import annotations

from collections.abc import Iterable

from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2
from google.type import money_pb2
from rich.console import Console
from rich.table import Table

from shared.money import from_money

_KIND = {
    common_pb2.SUPPLIER_KIND_SOURCE_FACTORY: "source factory",
    common_pb2.SUPPLIER_KIND_MANUFACTURER: "manufacturer",
    common_pb2.SUPPLIER_KIND_BRAND: "brand",
    common_pb2.SUPPLIER_KIND_TRADING_COMPANY: "trading co.",
    common_pb2.SUPPLIER_KIND_UNKNOWN: "unknown",
}


def console(stderr: bool = False) -> Console:
    """A console as wide as the terminal, or 160 columns when output is piped or captured."""
    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=160)


def money(value: money_pb2.Money) -> str:
    if not value.currency_code:
        return "-"
    return f"¥{from_money(value):,.2f}"


def offers_table(
    offers: Iterable[common_pb2.RankedOffer], title: str, explain: bool = False
) -> Table:
    table = Table(title=title, show_lines=explain)
    for column in ("#", "offer", "supplier", "kind", "sim", "price", "MOQ", "score", "group"):
        table.add_column(
            column, justify="right" if column in {"#", "sim", "MOQ", "score"} else "left"
        )
    for ranked in offers:
        offer, supplier = ranked.offer, ranked.offer.supplier
        group = ""
        if ranked.group_id:
            role = "source" if ranked.is_group_source else f"+{ranked.markup_over_source:.0%}"
            group = f"{ranked.group_id} {role}"
        supplier_text = f"{supplier.company_name}\n{supplier.province}{supplier.city}"
        if explain:
            supplier_text += "\n" + "\n".join(
                f"· {e.signal}={e.value} ({e.weight:+.2f})" for e in supplier.kind_evidence
            )
        score = f"{ranked.score.total:.1f}"
        if explain:
            score += "\n" + "\n".join(
                f"{c.name} {c.points:g}/{c.max_points:g}" for c in ranked.score.components
            )
        table.add_row(
            str(ranked.rank),
            f"{offer.offer_id}\n{offer.title[:28]}",
            supplier_text,
            f"{_KIND.get(supplier.kind, '?')} {supplier.kind_confidence:.0%}",
            f"{offer.similarity:.1f}",
            money(offer.price),
            str(offer.min_order),
            score,
            group,
        )
    return table


def print_analysis(console: Console, analysis: common_pb2.MatchAnalysis) -> None:
    console.print(
        f"source factories: {analysis.source_factory_count}   "
        f"average similarity: {analysis.average_similarity:.1f}   "
        f"groups: {analysis.group_count}   made-to-sample: {analysis.made_to_sample_count}"
    )
    for conclusion in analysis.conclusions:
        console.print(f"  → {conclusion}")


def print_groups(console: Console, groups: Iterable[common_pb2.OfferGroup]) -> None:
    for group in groups:
        console.print(f"  [{group.group_id}] {group.summary}")


def print_search(
    console: Console, response: search_pb2.SearchByImageResponse, explain: bool
) -> None:
    console.print(offers_table(response.offers, "Ranked offers", explain))
    print_groups(console, response.groups)
    print_analysis(console, response.analysis)
    spent = ", ".join(f"{s.api}={s.calls}" for s in response.quota_spent) or "none"
    console.print(
        f"quota spent: {spent}   from cache: {response.from_cache}   "
        f"request id: {response.request_id}"
    )


def print_verify(console: Console, response: search_pb2.VerifyByImagesResponse) -> None:
    table = Table(title=f"Verified offers (found by ≥ {response.min_photos} photos)")
    for column in ("#", "offer", "supplier", "found by", "combined sim", "confidence"):
        table.add_column(column)
    for verified in response.offers:
        offer = verified.ranked.offer
        table.add_row(
            str(verified.ranked.rank),
            offer.offer_id,
            offer.supplier.company_name,
            ",".join(str(i) for i in verified.photo_indexes),
            f"{verified.combined_similarity:.1f}",
            search_pb2.Confidence.Name(verified.confidence).removeprefix("CONFIDENCE_").lower(),
        )
    console.print(table)
    for outcome in response.photos:
        state = "ok" if outcome.ok else f"failed: {outcome.error.message}"
        console.print(f"  photo {outcome.index}: {state} ({outcome.offers_found} offers)")
    print_analysis(console, response.analysis)


def print_plans(console: Console, response: search_pb2.PlanCustomOrderResponse) -> None:
    for plan in response.plans:
        print_plan(console, plan)
    for refusal in response.refusals:
        console.print(f"[red]{refusal.offer_id}: {refusal.reason}[/red] {refusal.message}")


def print_plan(console: Console, plan: planning_pb2.CustomOrderPlan) -> None:
    table = Table(title=f"Plan for {plan.offer_id} · {plan.company_name}", show_header=False)
    table.add_column("item")
    table.add_column("value", justify="right")
    rows = [
        ("quantity (planned)", f"{plan.planned_quantity} (asked {plan.requested_quantity})"),
        (
            "unit price",
            f"{money(plan.base_unit_price)} + {plan.markup_rate} = {money(plan.unit_price)}",
        ),
        ("batch", money(plan.batch_total)),
        ("freight" + (" (estimate)" if plan.freight_estimated else ""), money(plan.freight)),
        ("sample total", money(plan.sample_total)),
        ("grand total", money(plan.grand_total)),
        (f"deposit {plan.deposit_rate}", money(plan.deposit)),
        ("balance", money(plan.balance)),
        ("days (sample + production)", f"{plan.sample_days} + {plan.production_days}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if plan.HasField("tier_advice"):
        console.print(f"  tip: {plan.tier_advice.message}")
    for note in plan.notes:
        console.print(f"  · {note}")


def print_quota(console: Console, response: search_pb2.GetQuotaResponse) -> None:
    table = Table(
        title=f"Quota for tenant {response.tenant!r} (resets {response.resets_at.ToDatetime().isoformat()}Z)"
    )
    for column in ("api", "used", "limit", "remaining", "exhausted"):
        table.add_column(column)
    for line in response.usage:
        table.add_row(
            line.api, str(line.used), str(line.limit), str(line.remaining), str(line.exhausted)
        )
    console.print(table)
