"""Sellers: who they are, what they are called, where they sit.

The catalog knows each seller's true *kind* (``source_factory``,
``manufacturer``, ``brand``, ``trading``); the API never states it, exactly as
on 1688, so callers must infer it from the name, the seller identities, the
bizType and the title words. Names follow real 1688 patterns by kind
(…服装厂, …制衣有限公司, …五金制品厂, …贸易有限公司, …商贸商行,
…电子商务有限公司, …旗舰店) and addresses lie in the industrial belt of the
category (广州/虎门 apparel, 柯桥 fabric, 永康 hardware, 义乌 small
commodities, 深圳/东莞 electronics, 澄海 toys ...); traders cluster in the
trade hubs.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

KINDS = ("source_factory", "manufacturer", "brand", "trading")


@dataclass(frozen=True, slots=True)
class Belt:
    """A place: province and city as 1688 shows them, and its towns."""

    province: str
    city: str
    towns: tuple[str, ...]
    county_city: bool = False


BELTS: dict[str, Belt] = {
    "guangzhou_apparel": Belt("广东", "广州", ("白云区", "番禺区", "海珠区", "增城区")),
    "humen_apparel": Belt("广东", "东莞", ("虎门镇", "大朗镇")),
    "hangzhou_apparel": Belt("浙江", "杭州", ("临平区", "余杭区", "上城区")),
    "shishi_apparel": Belt("福建", "泉州", ("石狮市", "晋江市"), county_city=True),
    "keqiao_fabric": Belt("浙江", "绍兴", ("柯桥区",)),
    "shengze_fabric": Belt("江苏", "苏州", ("吴江区",)),
    "guangzhou_fabric": Belt("广东", "广州", ("海珠区",)),
    "yongkang_hardware": Belt("浙江", "金华", ("永康市", "武义县"), county_city=True),
    "yongnian_fasteners": Belt("河北", "邯郸", ("永年区",)),
    "wenzhou_hardware": Belt("浙江", "温州", ("瓯海区", "乐清市")),
    "longgang_packaging": Belt("浙江", "温州", ("龙港市", "苍南县"), county_city=True),
    "dongguan_packaging": Belt("广东", "东莞", ("长安镇", "塘厦镇")),
    "yiwu_packaging": Belt("浙江", "金华", ("义乌市",), county_city=True),
    "shenzhen_electronics": Belt("广东", "深圳", ("宝安区", "龙华区", "龙岗区", "福田区")),
    "dongguan_electronics": Belt("广东", "东莞", ("长安镇", "清溪镇", "凤岗镇")),
    "yiwu_commodities": Belt("浙江", "金华", ("义乌市",), county_city=True),
    "huangyan_plastics": Belt("浙江", "台州", ("黄岩区", "路桥区")),
    "ningbo_commodities": Belt("浙江", "宁波", ("慈溪市", "余姚市"), county_city=True),
    "shunde_fittings": Belt("广东", "佛山", ("顺德区", "南海区")),
    "gaoyao_fittings": Belt("广东", "肇庆", ("高要区",)),
    "jieyang_fittings": Belt("广东", "揭阳", ("揭东区", "榕城区")),
    "chenghai_toys": Belt("广东", "汕头", ("澄海区",)),
    "yangzhou_plush": Belt("江苏", "扬州", ("邗江区",)),
    "yiwu_trade": Belt("浙江", "金华", ("义乌市",), county_city=True),
    "guangzhou_trade": Belt("广东", "广州", ("越秀区", "荔湾区", "天河区")),
    "hangzhou_trade": Belt("浙江", "杭州", ("余杭区", "滨江区")),
    "shenzhen_trade": Belt("广东", "深圳", ("龙岗区", "南山区")),
    "shanghai_trade": Belt("上海", "上海", ("闵行区", "松江区")),
}

TRADE_HUBS = ("yiwu_trade", "guangzhou_trade", "hangzhou_trade", "shenzhen_trade", "shanghai_trade")

_SYLLABLES = (
    "鑫",
    "恒",
    "华",
    "佳",
    "美",
    "盛",
    "达",
    "源",
    "兴",
    "丰",
    "利",
    "宏",
    "博",
    "瑞",
    "锦",
    "雅",
    "诚",
    "德",
    "顺",
    "永",
    "信",
    "创",
    "新",
    "泰",
    "金",
    "昌",
    "隆",
    "益",
    "康",
    "优",
    "嘉",
    "润",
    "凯",
    "辉",
    "晨",
    "航",
    "星",
    "悦",
    "琪",
    "铭",
    "轩",
    "豪",
    "富",
    "旺",
    "通",
)
_ROAD_WORDS = ("工业", "兴业", "创业", "科技", "振兴", "人民", "建设", "环城", "迎宾", "富民")
_TRADE_PATTERNS = (
    "{city}{brand}贸易有限公司",
    "{city}{town}{brand}商贸商行",
    "{city}{brand}电子商务有限公司",
    "{city}{brand}进出口有限公司",
    "{city}{brand}供应链管理有限公司",
)


@dataclass(frozen=True, slots=True)
class Seller:
    """One company on the platform (its true kind stays inside the sandbox)."""

    member_id: str
    login_id: str
    name: str
    kind: str
    province: str
    city: str
    town: str
    address: str
    identities: tuple[str, ...]
    tp_year: int
    certified_factory: bool
    trade_score: str
    service_score: str
    repeat_purchase: str
    # A maker listing under a name and identities that say little about it.
    plain: bool = False


_PLAIN_PATTERNS = (
    "{city}{brand}商行",
    "{city}{town}{brand}经营部",
    "{city}{brand}科技有限公司",
    "{city}{brand}实业有限公司",
    "{city}{brand}日用品店",
)


def plain_maker(rng: random.Random, seller: Seller, taken: set[str]) -> Seller:
    """``seller`` (a maker) as it lists itself when it says little: a shop-like
    name, only ``tp_member`` (or nothing), no factory certification."""
    city = seller.city + "市"
    for _ in range(20):
        brand = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
        name = rng.choice(_PLAIN_PATTERNS).format(city=city, town=seller.town, brand=brand)
        if name not in taken:
            break
    taken.add(name)
    identities = ("tp_member",) if rng.random() < 0.85 else ()
    return dataclasses.replace(
        seller, name=name, identities=identities, certified_factory=False, plain=True
    )


def _place_prefix(belt: Belt, town: str, with_town: bool) -> tuple[str, str]:
    """The city part of a company name, and the town part (may be empty)."""
    if belt.county_city and town.endswith("市"):
        return town, ""
    return belt.city + "市", town if with_town else ""


def _name(
    rng: random.Random, kind: str, belt: Belt, town: str, suffixes: tuple[tuple[str, ...], ...]
) -> str:
    brand = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
    factory_suffixes, maker_suffixes = suffixes
    city, town_part = _place_prefix(belt, town, with_town=rng.random() < 0.6)
    if kind == "source_factory":
        return f"{city}{town_part}{brand}{rng.choice(factory_suffixes)}"
    if kind == "manufacturer":
        return f"{city}{brand}{rng.choice(maker_suffixes)}"
    if kind == "brand":
        return f"{brand}{rng.choice(('', '家居', '生活', '优品'))}旗舰店"
    pattern = rng.choice(_TRADE_PATTERNS)
    return pattern.format(city=city, town=town_part, brand=brand)


def _address(rng: random.Random, belt: Belt, town: str, kind: str) -> str:
    # Municipalities (上海) are their own province: "上海市闵行区...".
    province = "" if belt.province == belt.city else belt.province + "省"
    city = belt.city + "市"
    road = rng.choice(_ROAD_WORDS) + rng.choice(("路", "大道", "街"))
    number = rng.randint(1, 988)
    if kind in ("source_factory", "manufacturer"):
        park = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + "工业园"
        return f"{province}{city}{town}{road}{number}号{park}{rng.randint(1, 12)}栋"
    return f"{province}{city}{town}{road}{number}号{rng.randint(1, 30)}楼{rng.randint(1, 40):02d}室"


_IDENTITY_ODDS = {
    "source_factory": (("super_factory", 0.25), ("powerful_merchants", 0.4)),
    "manufacturer": (("super_factory", 0.08), ("powerful_merchants", 0.4)),
    "brand": (("powerful_merchants", 0.6),),
    "trading": (("powerful_merchants", 0.25),),
}
_TP_YEARS = {
    "source_factory": (2, 16),
    "manufacturer": (2, 14),
    "brand": (1, 8),
    "trading": (1, 10),
}


def _identities(rng: random.Random, kind: str) -> tuple[str, ...]:
    found = [name for name, odds in _IDENTITY_ODDS[kind] if rng.random() < odds]
    if kind != "trading" or rng.random() < 0.95:
        found.append("tp_member")
    return tuple(found)


def make_seller(
    rng: random.Random,
    kind: str,
    belt_key: str,
    suffixes: tuple[tuple[str, ...], ...],
    taken: set[str],
) -> Seller:
    """A new seller of ``kind`` in ``belt_key`` whose name is not in ``taken``."""
    belt = BELTS[belt_key]
    town = rng.choice(belt.towns)
    name = _name(rng, kind, belt, town, suffixes)
    while name in taken:
        name = _name(rng, kind, belt, town, suffixes)
    taken.add(name)
    identities = _identities(rng, kind)
    makes = kind in ("source_factory", "manufacturer")
    return Seller(
        member_id=f"b2b-{rng.randrange(10**12, 10**13)}{rng.randrange(16**4):04x}",
        login_id=f"sandbox_{rng.randrange(16**8):08x}",
        name=name,
        kind=kind,
        province=belt.province,
        city=belt.city,
        town=town,
        address=_address(rng, belt, town, kind),
        identities=identities,
        tp_year=rng.randint(*_TP_YEARS[kind]),
        certified_factory=makes and ("super_factory" in identities or rng.random() < 0.3),
        trade_score=f"{rng.uniform(4.0, 5.0):.1f}",
        service_score=f"{rng.uniform(3.5, 5.0):.1f}",
        repeat_purchase=f"{rng.uniform(0.1, 0.7):.2f}",
    )
