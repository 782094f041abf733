"""Every sentence a buyer reads, in Chinese and English.

The rules decide; this module only words their decisions, so a wording change
never touches a rule and both languages stay side by side.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from services.ranking.domain import InvalidRequest, Locale, SupplierKind
from shared.money import FEN

_KIND_NAMES: dict[SupplierKind, tuple[str, str]] = {
    SupplierKind.SOURCE_FACTORY: ("源头工厂", "source factory"),
    SupplierKind.MANUFACTURER: ("生产厂家", "manufacturer"),
    SupplierKind.BRAND: ("品牌商", "brand"),
    SupplierKind.TRADING_COMPANY: ("贸易公司", "trading company"),
    SupplierKind.UNKNOWN: ("类型不明", "unknown kind"),
}

# key -> (zh, en); placeholders are filled with str.format.
_TEXT: dict[str, tuple[str, str]] = {
    # supplier-kind evidence
    "ev.seller_identity": ("1688身份「{value}」：{kind}", "1688 seller identity {value}: a {kind}"),
    "ev.company_name": ("公司名含「{value}」：{kind}", "company name contains {value}: a {kind}"),
    "ev.biz_type": ("经营模式 bizType={value}：{kind}", "bizType {value} in the detail: a {kind}"),
    "ev.title_word": (
        "标题写「{value}」：{kind}（贸易商也常这样写，权重低）",
        "title says {value}: a {kind} (traders write it too, so it weighs little)",
    ),
    "ev.certification": ("认证「{value}」：{kind}", "certification {value}: a {kind}"),
    "ev.years_on_platform": (
        "入驻1688 {value} 年：老牌商家，略倾向{kind}",
        "{value} years on 1688: an established seller, slightly more likely a {kind}",
    ),
    # customization evidence
    "cu.processing": (
        "bizType=2（加工）：按买家要求生产",
        "bizType 2 (processing): makes to order",
    ),
    "cu.to_sample": ("「{value}」：支持来样/来图加工", "{value}: makes to the buyer's sample"),
    "cu.custom": ("「{value}」：接受定制", "{value}: takes custom orders"),
    "cu.sampling": ("「{value}」：提供打样", "{value}: makes samples"),
    "cu.negated": (
        "「{value}」前有否定词：不接此类订单",
        "{value} is negated: refuses such orders",
    ),
    "cu.custom_minimum": ("定制起订量「{value}」", "custom minimum stated: {value}"),
    "cu.sample_fee": ("打样费「{value}」", "sample fee stated: {value}"),
    # score reasons
    "sc.kind": ("{kind}", "{kind}"),
    "sc.kind_certified": ("{kind}，有工厂认证（+5）", "{kind} with a factory certification (+5)"),
    "sc.supported": ("接受定制 10", "custom orders 10"),
    "sc.to_sample": ("来样加工 8", "made to sample 8"),
    "sc.minimum_low": ("定制起订 {minimum} < 500：7", "custom minimum {minimum} < 500: 7"),
    "sc.minimum_high": ("定制起订 {minimum} ≥ 500：0", "custom minimum {minimum} ≥ 500: 0"),
    "sc.minimum_unknown": ("定制起订量未知：0", "custom minimum unknown: 0"),
    "sc.no_customization": ("无定制信号", "no sign of customization"),
    "sc.no_price": ("无价格可比", "no price to compare"),
    "sc.price": (
        "{basis}{price}，为均价{average}的{percent}%（{band}）",
        "{basis} {price} is {percent} % of the average {average} ({band})",
    ),
    "sc.basis_ladder": ("{quantity}件阶梯价", "ladder price at {quantity} pcs"),
    "sc.basis_listed": ("标价", "listed price"),
    "sc.band_20": ("低于90%", "under 90 %"),
    "sc.band_15": ("低于95%", "under 95 %"),
    "sc.band_10": ("不高于均价", "not above the average"),
    "sc.band_0": ("高于均价", "above the average"),
    "sc.min_order": ("起订量 {quantity}（{band}）", "minimum order {quantity} ({band})"),
    "sc.min_order_unknown": ("起订量未知，按最差计", "minimum order unknown: counted as the worst"),
    "sc.similarity": ("相似度 {similarity}%", "similarity {similarity} %"),
    "sc.similarity_tie": (
        "相似度 {similarity}%（仅用于同分排序）",
        "similarity {similarity} % (breaks ties only)",
    ),
    # groups
    "gr.source": ("{count}家在售，源头为{name}", "{count} sellers, the source is {name}"),
    "gr.resellers_all": ("其余为贸易商，加价{markup}", "the others are traders at {markup}"),
    "gr.resellers_some": ("{resellers}家贸易商加价{markup}", "traders: {resellers}, at {markup}"),
    "gr.resellers_no_price": (
        "{resellers}家贸易商（价格无法比较）",
        "traders: {resellers} (prices not comparable)",
    ),
    "gr.makers": ("另有{makers}家生产商", "other makers: {makers}"),
    "gr.no_source": (
        "{count}家在售同款，未识别出生产方",
        "{count} sellers of the same product, none identified as its maker",
    ),
    "gr.join": ("，", ", "),
    # analysis
    "an.contact": (
        "找到{count}家源头工厂，优先联系{name}（综合得分{total}）",
        "Source factories found: {count}. Contact {name} first (score {total})",
    ),
    "an.manufacturer": (
        "未找到源头工厂，可先联系生产厂家{name}（综合得分{total}）；扩大地区范围或去掉一个筛选条件可能找到工厂",
        "No source factory found; contact the manufacturer {name} first (score {total}), "
        "or widen the region or drop a filter to find a factory",
    ),
    "an.no_factory": (
        "未找到工厂：建议扩大地区范围或去掉一个筛选条件",
        "No factory found: widen the region or drop a filter",
    ),
    "an.low_similarity": (
        "整体相似度偏低（平均{average}%）：建议补一张细节图（面料、做工特写）",
        "Low average similarity ({average} %): add a detail photo (fabric, stitching, logo)",
    ),
    "an.to_sample": ("{count}家支持来样加工", "Suppliers that make to sample: {count}"),
    "an.groups": (
        "{count}款商品有多家在售，已标出源头和转售商",
        "Products sold by several sellers: {count}; sources and resellers are marked",
    ),
    "an.outranked": (
        "与照片最相似的是{name}（相似度{similarity}%），排第{rank}：相似度低于{floor}%的商品凭供应商得分排在它前面；"
        "选用similarity排序或设置相似度下限可让匹配的商品优先",
        "The best match for the photo is {name} (similarity {similarity} %), ranked {rank}: "
        "offers below {floor} % similarity rank above it on supplier points; the similarity "
        "profile or a similarity floor puts matches first",
    ),
    "an.nothing": (
        "没有可推荐的商品：建议换一张更清晰的照片",
        "No offers to rank: try a clearer photo",
    ),
    "an.all_filtered": (
        "{total}个商品全部被筛掉，其中「{filter}」筛掉最多（{removed}个）：建议放宽它",
        "All {total} offers were filtered out, most by {filter} ({removed}): loosen it",
    ),
    # filters, as named in conclusions
    "fi.min_similarity": ("相似度下限", "the similarity floor"),
    "fi.max_min_order": ("起订量上限", "the minimum-order limit"),
    "fi.price": ("价格区间", "the price range"),
    "fi.regions": ("地区", "the region"),
    "fi.supplier_kinds": ("供应商类型", "the supplier kinds"),
    "fi.made_to_sample_only": ("仅来样加工", "made-to-sample only"),
}


def parse_locale(text: str) -> Locale:
    """ "" and zh* → zh, en* → en; anything else is a bad request."""
    lowered = text.strip().lower().replace("_", "-")
    if lowered in ("", "zh") or lowered.startswith("zh-"):
        return "zh"
    if lowered == "en" or lowered.startswith("en-"):
        return "en"
    raise InvalidRequest("locale", f"unknown locale {text!r}: use zh or en")


def say(locale: Locale, key: str, **values: object) -> str:
    zh, en = _TEXT[key]
    return (zh if locale == "zh" else en).format(**values)


# Stand-ins for the per-offer values, and the average, while the rest of the price
# sentence is worded.
_PRICE_MARK, _PERCENT_MARK, _AVERAGE_MARK = "\x00", "\x01", "\x02"


def price_template(locale: Locale, basis: str, band: str) -> tuple[str, str, str]:
    """The "sc.price" sentence cut around the offer's price and percentage, which come in
    that order in both languages, with the average still to be filled in by
    ``price_sentence``: worded once per basis and band, whatever the average."""
    text = say(
        locale,
        "sc.price",
        basis=basis,
        average=_AVERAGE_MARK,
        band=band,
        price=_PRICE_MARK,
        percent=_PERCENT_MARK,
    )
    head, rest = text.split(_PRICE_MARK)
    between, tail = rest.split(_PERCENT_MARK)
    return head, between, tail


def price_sentence(template: tuple[str, str, str], average: str) -> tuple[str, str, str]:
    """A ``price_template`` with the average filled in: per offer,
    ``head + price + between + percent + tail`` (several times cheaper than
    ``str.format`` on the whole sentence)."""
    head, between, tail = template
    mark = _AVERAGE_MARK
    return head.replace(mark, average), between.replace(mark, average), tail.replace(mark, average)


def kind_name(locale: Locale, kind: SupplierKind) -> str:
    zh, en = _KIND_NAMES[kind]
    return zh if locale == "zh" else en


def evidence_note(locale: Locale, signal: str, value: str, points_to: SupplierKind) -> str:
    return say(locale, f"ev.{signal}", value=value, kind=kind_name(locale, points_to))


def customization_note(locale: Locale, meaning: str, value: str) -> str:
    return say(locale, f"cu.{meaning}", value=value)


def yuan(amount: Decimal) -> str:
    """Half-up to the fen, as shared.money.round_fen (called per offer: the rounding is
    passed positionally, a third faster); str(): Decimal's format() costs over twice as much."""
    return "¥" + str(amount.quantize(FEN, ROUND_HALF_UP))


_TENTH = Decimal("0.1")
_HUNDRED = Decimal(100)  # an int operand is converted on every call


def percent(fraction: Decimal) -> str:
    """0.8995 → "90.0" (shown rounded; the rule itself compares exactly)."""
    # Rounding passed positionally: a third faster.
    return str((fraction * _HUNDRED).quantize(_TENTH, ROUND_HALF_UP))


def markup_range(low: Decimal, high: Decimal) -> str:
    """ "+12–35 %" style; a single value when both ends round alike."""
    # Once per group: a Decimal operand and the rounding passed positionally make it a
    # quarter quicker (keyword arguments to Decimal methods are parsed slowly).
    lo = int((low * _HUNDRED).to_integral_value(ROUND_HALF_UP))
    hi = int((high * _HUNDRED).to_integral_value(ROUND_HALF_UP))
    if lo == hi:
        return f"{lo:+d} %"
    if lo >= 0:
        return f"+{lo}–{hi} %"
    return f"{lo:+d}–{hi:+d} %"


def points(value: Decimal) -> str:
    """45 → "45", 131.50 → "131.5"."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
