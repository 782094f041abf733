"""Human output for the command line: one language per output (``zh`` or ``en``, headers
included), the answer first, then the other candidates. Tables line up Chinese and Latin
text (rich measures East Asian wide characters); money is exact decimals."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2
from google.type import money_pb2
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shared.money import from_money

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "answer": "Answer",
        "no_answer": "No source found",
        "source": "source",
        "confidence": "confidence",
        "match_set": "Match set (offers showing the pictured product)",
        "role": "role",
        "offer": "offer",
        "title": "title",
        "supplier": "supplier",
        "kind": "kind",
        "similarity": "similarity",
        "upstream_rank": "1688 rank",
        "markup": "mark-up",
        "price": "price",
        "moq": "MOQ",
        "score": "score",
        "group": "group",
        "why": "why",
        "evidence": "Evidence",
        "ranked": "Ranked offers",
        "others": "Other candidates",
        "no_name": "company name not provided",
        "region_unknown": "region unknown (not checked)",
        "sure": "sure",
        "resellers": "resellers",
        "made_to_sample": "makes to sample",
        "customization": "customization evidence",
        "quota_spent": "quota spent",
        "none": "none",
        "from_cache": "from cache",
        "request_id": "request id",
        "yes": "yes",
        "no": "no",
        "source_factories": "source factories",
        "groups": "groups",
        "verified": "Verified offers (found by ≥ {n} photos)",
        "found_by": "found by",
        "combined": "combined similarity",
        "photo": "photo",
        "ok": "ok",
        "failed": "failed",
        "offers_found": "{n} offers",
        "plans": "Custom-order plans side by side",
        "item": "item",
        "quantity": "quantity (asked)",
        "base_unit": "ladder unit price",
        "markup_rate": "mark-up for complexity",
        "unit_price": "unit price",
        "sample_fee": "sample fee",
        "estimated": "estimate",
        "sample_shipping": "sample shipping",
        "sample_total": "sample total",
        "batch": "batch",
        "freight": "freight",
        "grand_total": "grand total",
        "deposit": "deposit",
        "balance": "balance",
        "days": "days (sample + production)",
        "cheapest": "cheapest: {offer} ({name}), {diff} less than the next ({next})",
        "only_plan": "one plan: {offer} ({name})",
        "refused": "cannot plan",
        "tip": "tip",
        "quota": "Quota for tenant {tenant} (resets {resets})",
        "api": "api",
        "used": "used",
        "limit": "limit",
        "remaining": "remaining",
        "exhausted": "exhausted",
        "searching": "searching (failed {failed}, quota spent {spent})",
        "batch_done": "{rows} results, {failed} failed → {out}",
    },
    "zh": {
        "answer": "结论",
        "no_answer": "未找到源头",
        "source": "源头",
        "confidence": "把握",
        "match_set": "同款商品（显示照片中产品的报价）",
        "role": "角色",
        "offer": "商品",
        "title": "标题",
        "supplier": "供应商",
        "kind": "类型",
        "similarity": "相似度",
        "upstream_rank": "1688 排名",
        "markup": "加价",
        "price": "价格",
        "moq": "起订量",
        "score": "得分",
        "group": "同款组",
        "why": "原因",
        "evidence": "依据",
        "ranked": "排序结果",
        "others": "其他候选",
        "no_name": "未提供公司名称",
        "region_unknown": "地区未知（未核实）",
        "sure": "把握",
        "resellers": "转售商",
        "made_to_sample": "支持来样加工",
        "customization": "定制依据",
        "quota_spent": "消耗额度",
        "none": "无",
        "from_cache": "来自缓存",
        "request_id": "请求编号",
        "yes": "是",
        "no": "否",
        "source_factories": "源头工厂",
        "groups": "同款组",
        "verified": "多图验证结果（至少 {n} 张照片找到）",
        "found_by": "找到它的照片",
        "combined": "综合相似度",
        "photo": "照片",
        "ok": "成功",
        "failed": "失败",
        "offers_found": "{n} 个商品",
        "plans": "定制方案对比",
        "item": "项目",
        "quantity": "数量（要求）",
        "base_unit": "阶梯单价",
        "markup_rate": "复杂度加价",
        "unit_price": "单价",
        "sample_fee": "打样费",
        "estimated": "估算",
        "sample_shipping": "样品运费",
        "sample_total": "打样合计",
        "batch": "大货",
        "freight": "运费",
        "grand_total": "总计",
        "deposit": "定金",
        "balance": "尾款",
        "days": "天数（打样 + 生产）",
        "cheapest": "最便宜：{offer}（{name}），比下一个（{next}）便宜 {diff}",
        "only_plan": "一个方案：{offer}（{name}）",
        "refused": "无法定制",
        "tip": "建议",
        "quota": "租户 {tenant} 的额度（{resets} 重置）",
        "api": "接口",
        "used": "已用",
        "limit": "上限",
        "remaining": "剩余",
        "exhausted": "已用完",
        "searching": "搜索中（失败 {failed}，消耗额度 {spent}）",
        "batch_done": "{rows} 条结果，{failed} 条失败 → {out}",
    },
}

_KIND = {
    "en": {
        common_pb2.SUPPLIER_KIND_SOURCE_FACTORY: "source factory",
        common_pb2.SUPPLIER_KIND_MANUFACTURER: "manufacturer",
        common_pb2.SUPPLIER_KIND_BRAND: "brand",
        common_pb2.SUPPLIER_KIND_TRADING_COMPANY: "trading company",
        common_pb2.SUPPLIER_KIND_UNKNOWN: "kind unknown",
    },
    "zh": {
        common_pb2.SUPPLIER_KIND_SOURCE_FACTORY: "源头工厂",
        common_pb2.SUPPLIER_KIND_MANUFACTURER: "生产厂家",
        common_pb2.SUPPLIER_KIND_BRAND: "品牌商",
        common_pb2.SUPPLIER_KIND_TRADING_COMPANY: "贸易公司",
        common_pb2.SUPPLIER_KIND_UNKNOWN: "类型未知",
    },
}
_ROLE = {
    "en": {
        common_pb2.MATCH_ROLE_SOURCE: "source",
        common_pb2.MATCH_ROLE_MAKER: "other maker",
        common_pb2.MATCH_ROLE_RESELLER: "reseller",
        common_pb2.MATCH_ROLE_SELLER: "seller",
        common_pb2.MATCH_ROLE_UNSPECIFIED: "-",
    },
    "zh": {
        common_pb2.MATCH_ROLE_SOURCE: "源头",
        common_pb2.MATCH_ROLE_MAKER: "其他厂家",
        common_pb2.MATCH_ROLE_RESELLER: "转售",
        common_pb2.MATCH_ROLE_SELLER: "卖家",
        common_pb2.MATCH_ROLE_UNSPECIFIED: "-",
    },
}
_COMPONENT = {
    "en": {
        "supplier_kind": "supplier kind",
        "customization": "customization",
        "price_advantage": "price advantage",
        "min_order_fit": "minimum-order fit",
        "similarity": "similarity",
    },
    "zh": {
        "supplier_kind": "供应商类型",
        "customization": "定制能力",
        "price_advantage": "价格优势",
        "min_order_fit": "起订量匹配",
        "similarity": "相似度",
        "region": "地区",
    },
}
_CONFIDENCE = {
    "en": {1: "low", 2: "medium", 3: "high"},
    "zh": {1: "低", 2: "中", 3: "高"},
}
# The title is what gets shortened when a row is too wide; the supplier's name never is.
TITLE_CELLS = 26


def words(locale: str) -> dict[str, str]:
    return WORDS["en" if locale == "en" else "zh"]


def console(stderr: bool = False) -> Console:
    """A console as wide as the terminal, or 160 columns when output is piped or captured."""
    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=160)


def _row(table: Table, *cells: str) -> None:
    """Cells as plain text: 1688 titles and names may hold "[...]", which is not markup."""
    table.add_row(*(Text(cell) for cell in cells))


def money(value: money_pb2.Money) -> str:
    if not value.currency_code:
        return "-"
    symbol = "¥" if value.currency_code == "CNY" else f"{value.currency_code} "
    return f"{symbol}{from_money(value):,.2f}"


def percent(rate: str | float | Decimal) -> str:
    """``"0.35"`` → ``"35 %"`` (exact for decimal strings)."""
    try:
        value = Decimal(str(rate)) * 100
    except ArithmeticError:
        return str(rate)
    return f"{value.normalize():f} %" if value == value.to_integral() else f"{value:.1f} %"


def kind_text(supplier: common_pb2.Supplier, locale: str) -> str:
    """ "trading company (61 % sure)": the confidence belongs to the kind, not to the offer."""
    kind = _KIND["en" if locale == "en" else "zh"].get(supplier.kind, "?")
    sure = round(supplier.kind_confidence * 100)
    return f"{kind} ({sure} % {words(locale)['sure']})"


def company(supplier: common_pb2.Supplier, locale: str) -> str:
    return supplier.company_name or f"({words(locale)['no_name']})"


def title(offer: common_pb2.Offer, locale: str) -> str:
    text = offer.title_translated if locale == "en" and offer.title_translated else offer.title
    return text


def similarity(offer: common_pb2.Offer) -> str:
    """factoryfinder's own measure when it was made; "-" otherwise (never a fake 0)."""
    if offer.visual_match.compared or offer.similarity > 0:
        return f"{offer.similarity:.0f} %"
    return "-"


def _measured(offers: Iterable[common_pb2.Offer]) -> bool:
    return any(o.visual_match.compared or o.similarity > 0 for o in offers)


def _score(score: common_pb2.ScoreBreakdown) -> str:
    most = sum(c.max_points for c in score.components)
    return f"{score.total:.0f}/{most:.0f}" if most else f"{score.total:.0f}"


def offers_table(
    offers: Sequence[common_pb2.RankedOffer], heading: str, locale: str, explain: bool = False
) -> Table:
    w = words(locale)
    show_similarity = _measured(r.offer for r in offers)
    longest = max((len(company(r.offer.supplier, locale)) for r in offers), default=8)
    table = Table(title=heading, show_lines=explain)
    table.add_column("#", justify="right")
    table.add_column(w["supplier"], min_width=min(2 * longest, 20), overflow="fold")
    table.add_column(w["offer"], max_width=TITLE_CELLS + 2, overflow="ellipsis")
    if show_similarity:
        table.add_column(w["similarity"], justify="right")
    for column in ("price", "moq", "score", "group"):
        table.add_column(w[column], justify="right" if column != "group" else "left")
    for ranked in offers:
        offer, supplier = ranked.offer, ranked.offer.supplier
        group = ""
        if ranked.group_id:
            role = (
                w["source"] if ranked.is_group_source else f"+{percent(ranked.markup_over_source)}"
            )
            group = f"{ranked.group_id} {role}"
        supplier_text = (
            f"{company(supplier, locale)}\n{kind_text(supplier, locale)}\n{place(ranked, locale)}"
        )
        score = _score(ranked.score)
        if explain:
            supplier_text += "".join(f"\n· {evidence(e)}" for e in supplier.kind_evidence)
            # A component worth no points under the profile only says why (no "0/0").
            names = _COMPONENT["en" if locale == "en" else "zh"]
            score += "".join(
                f"\n{names.get(c.name, c.name)} {c.points:g}/{c.max_points:g}: {c.reason}"
                if c.max_points
                else f"\n{names.get(c.name, c.name)}: {c.reason}"
                for c in ranked.score.components
            )
        offer_text = f"{offer.offer_id}\n{title(offer, locale)}"
        if explain and offer.customization.evidence:
            offer_text += f"\n{w['customization']}:" + "".join(
                f"\n· {evidence(e)}" for e in offer.customization.evidence
            )
        row = [str(ranked.rank), supplier_text, offer_text]
        if show_similarity:
            row.append(similarity(offer))
        row += [money(offer.price), str(offer.min_order), score, group]
        _row(table, *row)
    return table


def place(ranked: common_pb2.RankedOffer, locale: str) -> str:
    """Where the supplier is: province and city, else the address (a detail's shipping
    origin); marked when a region filter could not check it."""
    supplier = ranked.offer.supplier
    known = f"{supplier.province}{supplier.city}" or supplier.address
    marks = [known, words(locale)["region_unknown"] if ranked.region_unknown else ""]
    return " ".join(m for m in marks if m)


def evidence(item: common_pb2.Evidence) -> str:
    text = f"{item.signal}={item.value} ({item.weight:+.2f})"
    return f"{text} {item.note}" if item.note else text


def role(value: common_pb2.MatchRole.ValueType, locale: str) -> str:
    return _ROLE["en" if locale == "en" else "zh"].get(value, "-")


def print_answer(
    console: Console,
    answer: common_pb2.Answer,
    offers: Sequence[common_pb2.RankedOffer],
    locale: str,
) -> bool:
    """The answer, when the server gave one; returns whether anything was printed."""
    if not answer.found and not answer.summary and not answer.match_set:
        return False
    w = words(locale)
    by_id = {r.offer.offer_id: r.offer for r in offers}
    if answer.found:
        supplier = answer.source_supplier
        console.print(
            f"[bold]{w['answer']}[/bold]: {w['source']} {escape(answer.source_offer_id)} · "
            f"{escape(company(supplier, locale))} · {kind_text(supplier, locale)} · "
            f"{w['confidence']} {round(answer.confidence * 100)} %"
        )
    else:
        console.print(f"[bold]{w['no_answer']}[/bold]")
    if answer.summary:
        console.print(f"  {answer.summary}", markup=False)
    if answer.match_set:
        table = Table(title=w["match_set"])
        for column in ("role", "offer", "supplier", "similarity", "upstream_rank", "markup", "why"):
            table.add_column(w[column])
        for member in answer.match_set:
            offer = by_id.get(member.offer_id)
            name = company(offer.supplier, locale) if offer is not None else ""
            markup = (
                f"+{percent(member.markup_over_source)}"
                if member.role == common_pb2.MATCH_ROLE_RESELLER
                else ""
            )
            _row(
                table,
                role(member.role, locale),
                member.offer_id,
                name,
                f"{member.similarity:.0f} %",
                str(member.upstream_rank) if member.upstream_rank else "-",
                markup,
                "; ".join(evidence(e) for e in member.reasons),
            )
        console.print(table)
    if answer.source_evidence:
        console.print(f"{w['evidence']}:")
        for item in answer.source_evidence:
            console.print(f"  · {evidence(item)}", markup=False)
    return True


def others(
    offers: Sequence[common_pb2.RankedOffer], answer: common_pb2.Answer
) -> list[common_pb2.RankedOffer]:
    """The candidates the answer's match set does not already show."""
    shown = {m.offer_id for m in answer.match_set}
    return [r for r in offers if r.offer.offer_id not in shown]


def print_analysis(console: Console, analysis: common_pb2.MatchAnalysis, locale: str) -> None:
    w = words(locale)
    console.print(
        f"{w['source_factories']}: {analysis.source_factory_count}   "
        f"{w['groups']}: {analysis.group_count}   "
        f"{w['made_to_sample']}: {analysis.made_to_sample_count}"
    )
    for conclusion in analysis.conclusions:
        console.print(f"  · {conclusion}", markup=False)


def print_groups(console: Console, groups: Iterable[common_pb2.OfferGroup]) -> None:
    for group in groups:
        console.print(f"  [{group.group_id}] {group.summary}", markup=False)


def _footer(
    console: Console,
    quota_spent: Iterable[common_pb2.QuotaSpend],
    request_id: str,
    locale: str,
    from_cache: bool | None = None,
) -> None:
    w = words(locale)
    spent = ", ".join(f"{s.api}={s.calls}" for s in quota_spent) or w["none"]
    cache = (
        "" if from_cache is None else f"   {w['from_cache']}: {w['yes' if from_cache else 'no']}"
    )
    console.print(f"{w['quota_spent']}: {spent}{cache}   {w['request_id']}: {request_id}")


def print_search(
    console: Console, response: search_pb2.SearchByImageResponse, explain: bool, locale: str
) -> None:
    w = words(locale)
    answered = print_answer(console, response.answer, response.offers, locale)
    rest = others(response.offers, response.answer) if answered else list(response.offers)
    if rest:
        console.print(offers_table(rest, w["others" if answered else "ranked"], locale, explain))
    print_groups(console, response.groups)
    print_analysis(console, response.analysis, locale)
    _footer(console, response.quota_spent, response.request_id, locale, response.from_cache)


def print_verify(
    console: Console,
    response: search_pb2.VerifyByImagesResponse,
    names: Sequence[str],
    locale: str,
    explain: bool = False,
) -> None:
    """``names`` are the photos as the user gave them, in request order."""
    w = words(locale)

    def name(index: int) -> str:
        return names[index] if 0 <= index < len(names) else f"#{index}"

    ranked = [v.ranked for v in response.offers]
    answered = print_answer(console, response.answer, ranked, locale)
    shown = {m.offer_id for m in response.answer.match_set}
    table = Table(title=w["verified"].format(n=response.min_photos))
    for column in ("#", "supplier", "offer", "found_by", "combined", "confidence"):
        table.add_column(w.get(column, column))
    for verified in response.offers:
        offer = verified.ranked.offer
        if answered and offer.offer_id in shown:
            continue
        _row(
            table,
            str(verified.ranked.rank),
            f"{company(offer.supplier, locale)}\n{kind_text(offer.supplier, locale)}",
            f"{offer.offer_id}\n{title(offer, locale)}",
            ", ".join(name(i) for i in verified.photo_indexes),
            f"{verified.combined_similarity:.0f} %",
            _CONFIDENCE["en" if locale == "en" else "zh"].get(int(verified.confidence), "-"),
        )
    if table.row_count:
        if answered:
            table.title = w["others"]
        console.print(table)
    if explain:  # the same breakdown and evidence as search --explain
        rest = [r for r in ranked if r.offer.offer_id not in shown] if answered else ranked
        if rest:
            console.print(offers_table(rest, w["evidence"], locale, explain=True))
    for outcome in response.photos:
        if outcome.ok:
            state = f"{w['ok']} ({w['offers_found'].format(n=outcome.offers_found)})"
        else:
            state = f"[red]{w['failed']}[/red]: {escape(outcome.error.message)}"
        console.print(f"  {w['photo']} {escape(name(outcome.index))}: {state}")
    print_groups(console, response.groups)
    print_analysis(console, response.analysis, locale)
    _footer(console, response.quota_spent, response.request_id, locale)


def print_plans(
    console: Console, response: search_pb2.PlanCustomOrderResponse, locale: str
) -> None:
    """Every plan in one table, a column per offer, and which is cheapest by how much."""
    w = words(locale)
    plans = list(response.plans)
    if plans:
        table = Table(title=w["plans"])
        table.add_column(w["item"])
        for plan in plans:
            table.add_column(
                f"{plan.offer_id}\n{plan.company_name or w['no_name']}", justify="right"
            )
        for label, cell in plan_rows(w):
            _row(table, label, *(cell(p) for p in plans))
        console.print(table)
        ordered = sorted(plans, key=lambda p: from_money(p.grand_total))
        first = ordered[0]
        if len(ordered) > 1:
            second = ordered[1]
            diff = from_money(second.grand_total) - from_money(first.grand_total)
            console.print(
                w["cheapest"].format(
                    offer=first.offer_id,
                    name=first.company_name or w["no_name"],
                    diff=f"¥{diff:,.2f}",
                    next=second.offer_id,
                ),
                markup=False,
            )
        else:
            console.print(
                w["only_plan"].format(
                    offer=first.offer_id, name=first.company_name or w["no_name"]
                ),
                markup=False,
            )
        for plan in plans:
            if plan.HasField("tier_advice"):
                console.print(
                    f"  {plan.offer_id} {w['tip']}: {plan.tier_advice.message}", markup=False
                )
            for note in plan.notes:
                console.print(f"  {plan.offer_id} · {note}", markup=False)
    for refusal in response.refusals:
        console.print(
            f"[red]{w['refused']} {escape(refusal.offer_id)}[/red]: "
            f"{escape(refusal.reason)} {escape(refusal.message)}"
        )


def plan_rows(
    w: dict[str, str],
) -> list[tuple[str, Callable[[planning_pb2.CustomOrderPlan], str]]]:
    def estimated(flag: bool) -> str:
        return f" ({w['estimated']})" if flag else ""

    rows: list[tuple[str, Callable[[planning_pb2.CustomOrderPlan], str]]] = [
        (w["quantity"], lambda p: f"{p.planned_quantity} ({p.requested_quantity})"),
        (w["base_unit"], lambda p: money(p.base_unit_price)),
        (w["markup_rate"], lambda p: f"+{percent(p.markup_rate)}"),
        (w["unit_price"], lambda p: money(p.unit_price)),
        (w["sample_fee"], lambda p: money(p.sample_fee) + estimated(p.sample_fee_estimated)),
        (w["sample_shipping"], lambda p: money(p.sample_shipping)),
        (w["sample_total"], lambda p: money(p.sample_total)),
        (w["batch"], lambda p: money(p.batch_total)),
        (w["freight"], lambda p: money(p.freight) + estimated(p.freight_estimated)),
        (w["grand_total"], lambda p: money(p.grand_total)),
        (w["deposit"], lambda p: f"{money(p.deposit)} ({percent(p.deposit_rate)})"),
        (w["balance"], lambda p: money(p.balance)),
        (w["days"], lambda p: f"{p.sample_days} + {p.production_days} = {p.total_days}"),
    ]
    return rows


def print_quota(console: Console, response: search_pb2.GetQuotaResponse, locale: str) -> None:
    w = words(locale)
    resets = response.resets_at.ToDatetime().isoformat() + "Z"
    table = Table(title=w["quota"].format(tenant=repr(response.tenant), resets=resets))
    for column in ("api", "used", "limit", "remaining", "exhausted"):
        table.add_column(w[column], justify="left" if column == "api" else "right")
    for line in response.usage:
        # A refusal leaves remaining at 0; "exhausted" is what a person reads it as.
        exhausted = line.exhausted or (line.limit > 0 and line.remaining <= 0)
        _row(
            table,
            line.api,
            str(line.used),
            str(line.limit),
            str(line.remaining),
            w["yes" if exhausted else "no"],
        )
    console.print(table)
