"""Every sentence a buyer reads, in Chinese and English.

The rules decide; this module only words their decisions, so a wording change
never touches a rule and both languages stay side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from services.ranking.domain import Locale, Offer, SupplierKind
from services.ranking.errors import InvalidRequest
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
    "ev.detail_field": ("商品属性「{value}」：{kind}", "product attribute {value}: a {kind}"),
    "ev.says_nothing": (
        "1688身份「{value}」（诚信通会员）：不说明是工厂还是贸易商",
        "1688 seller identity {value} (paid membership): says nothing about the kind",
    ),
    "ev.no_company": ("上游未提供公司名", "company name not provided by the upstream"),
    "ev.no_detail": (
        "未获取商品详情：经营模式和商品属性未知",
        "offer detail not fetched: bizType and product attributes unknown",
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
    "cu.attribute_yes": (
        "商品属性「{value}」：接受定制",
        "product attribute {value}: takes custom orders",
    ),
    "cu.attribute_no": (
        "商品属性「{value}」：不接定制",
        "product attribute {value}: refuses custom orders",
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
    "sc.similarity_unknown": (
        "主图未能比对：相似度未知，按0计",
        "image not compared: similarity unknown, counted as 0",
    ),
    "sc.upstream": ("1688相关度排第{rank}", "1688's relevance order: no. {rank}"),
    "sc.upstream_unknown": ("1688相关度排序未知", "1688's relevance order unknown"),
    "sc.match_none": (
        "不在照片商品的同款集合中",
        "not among the offers that show the pictured product",
    ),
    "sc.match_source_first": (
        "照片商品的源头：默认排序排在最前",
        "the pictured product's source: first in the default order",
    ),
    "sc.match_maker_first": (
        "照片商品的另一家生产方：默认排序紧随源头",
        "another maker of the pictured product: right after the source in the default order",
    ),
    "sc.match_reseller_first": (
        "照片商品的转售商：默认排序排在生产方之后",
        "a reseller of the pictured product: after its makers in the default order",
    ),
    "sc.match_seller_first": (
        "照片商品的在售方：默认排序排在同款集合末尾",
        "a seller of the pictured product: at the end of the match set in the default order",
    ),
    "sc.match_source_shown": (
        "照片商品的源头（本排序只按得分）",
        "the pictured product's source (this profile orders by points only)",
    ),
    "sc.match_maker_shown": (
        "照片商品的另一家生产方（本排序只按得分）",
        "another maker of the pictured product (this profile orders by points only)",
    ),
    "sc.match_reseller_shown": (
        "照片商品的转售商（本排序只按得分）",
        "a reseller of the pictured product (this profile orders by points only)",
    ),
    "sc.match_seller_shown": (
        "照片商品的在售方（本排序只按得分）",
        "a seller of the pictured product (this profile orders by points only)",
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
    "an.not_compared": (
        "{count}个商品中有{missing}个主图未能比对：它们按1688的排序和标题判断",
        "Images not compared: {missing} of {count}; those offers are judged by 1688's order "
        "and their titles",
    ),
    "an.to_sample": ("{count}家支持来样加工", "Suppliers that make to sample: {count}"),
    "an.groups": (
        "{count}款商品有多家在售，已标出源头和转售商",
        "Products sold by several sellers: {count}; sources and resellers are marked",
    ),
    "an.outranked": (
        "照片商品的源头{name}在此排序中排第{rank}：默认排序会把它排在最前",
        "The pictured product's source, {name}, is ranked {rank} under this profile: the "
        "default profile puts it first",
    ),
    "an.nothing": (
        "没有可推荐的商品：建议换一张更清晰的照片",
        "No offers to rank: try a clearer photo",
    ),
    "an.all_filtered": (
        "{total}个商品全部被筛掉，其中「{filter}」筛掉最多（{removed}个）：建议放宽它",
        "All {total} offers were filtered out, most by {filter} ({removed}): loosen it",
    ),
    # the match set: why an offer shows the pictured product
    "ms.visual": (
        "与照片相似度{similarity}%（本页最高{best}%，中位数{median}%）",
        "looks like the photo: {similarity} % (best on the page {best} %, median {median} %)",
    ),
    "ms.duplicate": (
        "主图与商品{offer}的主图几乎相同（{similarity}%）：同一张产品图",
        "its main image is a near-duplicate of offer {offer}'s ({similarity} %): the same photo",
    ),
    "ms.title": (
        "主图未能比对；标题与商品{offer}的几乎相同",
        "its image could not be compared; its title reads like offer {offer}'s",
    ),
    "ms.upstream_first": (
        "1688相关度排第{rank}：能比对的主图太少，暂以1688的排序为准",
        "1688's result no. {rank}: too few images could be compared, so 1688's order stands in",
    ),
    # the source: why this member is the maker
    "so.kind": (
        "供应商类型：{kind}（置信度{confidence}）",
        "supplier kind: {kind} (confidence {confidence})",
    ),
    "so.visual": (
        "主图与照片相似度{similarity}%（最相似的为{best}%）：转售商转用并修改原图，越像越可能是原图",
        "its photo is {similarity}% similar to the buyer's (the closest is {best}%): resellers"
        " copy and edit the original, so the closest is likeliest the original",
    ),
    "so.visual_copy": (
        "主图与照片相似度{similarity}%，与另一家{copy}%的主图几乎相同（最相似的为{best}%）：同一张图的两份拷贝之间的差别是转售商的修改，只计一半",
        "its photo is {similarity}% similar to the buyer's and a near-duplicate of one that is"
        " {copy}% (the closest is {best}%): between copies of one photo the difference is a"
        " reseller's edit, so half of it counts",
    ),
    "so.framing": (
        "{wider}家同款的主图像是从它的主图裁出的，它的主图像是从{narrower}家的裁出的：转售商常把原图裁得更紧",
        "{wider} close copies look like crops of its photo and it looks like a crop of {narrower}:"
        " resellers crop the factory's photo a little tighter",
    ),
    "so.not_compared": (
        "主图未能比对：按比最相似的（或与它几乎相同的已比对主图）低10分计",
        "its photo could not be compared: counted as 10 points below the closest (or below"
        " its closest compared near-duplicate)",
    ),
    "so.upstream": (
        "在1688的排序中列同款第{place}位",
        "1688 lists it no. {place} among the offers of this product",
    ),
    "so.custom": ("接受定制：生产方常见，转售商少见", "takes custom orders: what a maker offers"),
    "so.to_sample": ("支持来样加工", "makes to the buyer's sample"),
    "so.original": (
        "其主图被{count}家转用：原图",
        "its photo is the original: {count} other offers reuse it",
    ),
    "so.cheapest": (
        "{count}家同款中价格最低（仅作弱证据：有转售商标低价引流）",
        "the lowest price of the {count} sellers (weak: some resellers list bait prices)",
    ),
    "so.outside_core": (
        "主图不在与照片最相似的那组同图商品中：可能是相似的其他商品",
        "its photo is not the one the closest matches share: perhaps a look-alike product",
    ),
    "ro.source": ("角色：源头（最可能的生产方）", "role: source (the likeliest maker)"),
    "ro.maker": ("角色：另一家生产方", "role: another maker"),
    "ro.reseller": ("角色：转售商", "role: reseller"),
    "ro.seller": ("角色：在售方，生产或转售不明", "role: seller, maker or reseller unknown"),
    # the answer's sentence
    "aw.source": (
        "照片中的商品由{name}生产（{kind}，商品{offer}，相似度{similarity}%，置信度{confidence}）",
        "The pictured product is made by {name} ({kind}, offer {offer}, similarity "
        "{similarity} %, confidence {confidence})",
    ),
    "aw.no_maker": (
        "{count}家在售照片中的商品，但都没有工厂迹象；最可能的生产方是{name}（商品{offer}，置信度低：{confidence}）",
        "{count} sellers show the pictured product but none shows factory signals; the "
        "likeliest maker is {name} (offer {offer}, low confidence {confidence})",
    ),
    "aw.source_upstream": (
        "能比对的主图太少，按1688的排序，照片中的商品可能由{name}生产（{kind}，商品{offer}，置信度{confidence}）",
        "Too few images could be compared; going by 1688's order, the pictured product may "
        "be made by {name} ({kind}, offer {offer}, confidence {confidence})",
    ),
    "aw.no_maker_upstream": (
        "能比对的主图太少，按1688的排序，{count}家在售方都没有工厂迹象；可能是{name}（商品{offer}，置信度低：{confidence}）",
        "Too few images could be compared; going by 1688's order, none of the {count} sellers "
        "shows factory signals; perhaps {name} (offer {offer}, low confidence {confidence})",
    ),
    "aw.resellers": ("；{resellers}家转售商加价{markup}", "; resellers: {resellers}, at {markup}"),
    "aw.resellers_no_price": (
        "；{resellers}家转售商（价格无法比较）",
        "; resellers: {resellers} (prices not comparable)",
    ),
    "aw.stop": ("。", "."),
    "aw.not_found": (
        "没有商品明显是照片中的商品（最高相似度{best}%）：无法指出生产工厂；请换一张更清晰的照片或框选主体",
        "No offer clearly shows the product in the photo (best similarity {best} %), so no "
        "factory can be named: try a clearer photo or select the subject",
    ),
    "aw.nothing_compared": (
        "主图都未能比对，1688也没有给出排序：无法指出生产工厂",
        "No image could be compared and 1688 gave no order: no factory can be named",
    ),
    "aw.no_maker_note": (
        "同款在售方都没有工厂迹象：这是最可能的一家，并非确定的工厂",
        "no seller of this product shows factory signals: the likeliest one, not a known factory",
    ),
    # the region filter, when 1688 did not say where a supplier is
    "rg.unknown": (
        "地区未知：1688未提供供应商所在地，无法核实是否在{region}",
        "region unknown: 1688 did not say where the supplier is, so {region} could not be checked",
    ),
    "aw.region_unknown": (
        "；其中{count}家的所在地1688未提供，无法核实是否在{region}",
        "; 1688 did not say where {count} of them are, so {region} could not be checked for them",
    ),
    "aw.region_unknown_source": (
        "；其中{count}家（含源头）的所在地1688未提供，无法核实是否在{region}",
        "; 1688 did not say where {count} of them are, the source included, so {region} "
        "could not be checked for them",
    ),
    "an.region_unknown": (
        "{count}个商品的所在地1688未提供，无法核实是否在{region}：已保留并标注「地区未知」，"
        "排在已知在该地区的商品之后（源头和同款各角色的顺序不变）",
        "1688 did not say where the suppliers of {count} offers are, so {region} could not "
        "be checked: kept, marked region unknown and listed after the offers known to be "
        "there (the source and the match set's roles keep their order)",
    ),
    # names
    "nm.unnamed_seller": (
        "卖家{seller}…（上游未提供公司名）",
        "seller {seller}… (company name not provided)",
    ),
    "nm.unnamed_offer": (
        "商品{offer}的卖家（上游未提供公司名）",
        "the seller of offer {offer} (company name not provided)",
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


def supplier_name(locale: Locale, offer: Offer) -> str:
    """The company name, or a plain statement that the upstream did not send one."""
    supplier = offer.supplier
    if supplier.company_name:
        return supplier.company_name
    if supplier.supplier_id:
        return say(locale, "nm.unnamed_seller", seller=supplier.supplier_id[:6])
    return say(locale, "nm.unnamed_offer", offer=offer.offer_id)


def region_names(locale: Locale, names: Sequence[str]) -> str:
    """The buyer's region names as asked ("广东、浙江" / "广东, 浙江")."""
    return ("、" if locale == "zh" else ", ").join(n.strip() for n in names if n.strip())


def kind_name(locale: Locale, kind: SupplierKind) -> str:
    zh, en = _KIND_NAMES[kind]
    return zh if locale == "zh" else en


def evidence_note(locale: Locale, signal: str, value: str, points_to: SupplierKind) -> str:
    return say(locale, f"ev.{signal}", value=value, kind=kind_name(locale, points_to))


def customization_note(locale: Locale, meaning: str, value: str) -> str:
    return say(locale, f"cu.{meaning}", value=value)


def yuan(amount: Decimal) -> str:
    """Half-up to the fen, as shared.money.round_fen."""
    return "¥" + str(amount.quantize(FEN, rounding=ROUND_HALF_UP))


def percent(fraction: Decimal) -> str:
    """0.8995 → "90.0" (shown rounded; the rule itself compares exactly)."""
    return str((fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def markup_range(low: Decimal, high: Decimal) -> str:
    """ "+12–35 %" style; a single value when both ends round alike."""
    lo = int((low * 100).to_integral_value(rounding=ROUND_HALF_UP))
    hi = int((high * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if lo == hi:
        return f"{lo:+d} %"
    if lo >= 0:
        return f"+{lo}–{hi} %"
    return f"{lo:+d}–{hi:+d} %"


def points(value: Decimal) -> str:
    """45 → "45", 131.50 → "131.5"."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
