"""Offer titles the way 1688 sellers write them, with an English translation.

A title strings together claims (厂家直销, 源头工厂, 一件代发 ...), a season or
year, attribute words of the category, the product name and, for offers that
take custom orders, customization words (来样加工, 来图定制, 定制, OEM, ODM,
贴牌). Traders sometimes claim 厂家直销 too, as they do on the real site,
so a title alone never proves who made the goods.
"""

from __future__ import annotations

import random

Word = tuple[str, str]

_ATTRIBUTES: dict[str, tuple[Word, ...]] = {
    "apparel": (
        ("纯棉", "cotton"),
        ("宽松", "loose fit"),
        ("莫代尔", "modal"),
        ("韩版", "Korean style"),
        ("夏季", "summer"),
        ("重磅", "heavyweight"),
        ("情侣装", "couples"),
    ),
    "fabric": (
        ("高密", "high density"),
        ("环保", "eco-friendly"),
        ("弹力", "stretch"),
        ("数码印花", "digital print"),
        ("色织", "yarn-dyed"),
        ("阻燃", "flame retardant"),
    ),
    "hardware": (
        ("304不锈钢", "304 stainless steel"),
        ("加厚", "thickened"),
        ("镀锌", "galvanized"),
        ("工业级", "industrial grade"),
        ("高强度", "high strength"),
        ("防锈", "anti-rust"),
    ),
    "packaging": (
        ("加硬", "extra hard"),
        ("环保", "eco-friendly"),
        ("彩印", "color printed"),
        ("食品级", "food grade"),
        ("快递", "shipping"),
        ("可折叠", "foldable"),
    ),
    "electronics": (
        ("快充", "fast charging"),
        ("PD20W", "PD 20W"),
        ("防摔", "shockproof"),
        ("磁吸", "magnetic"),
        ("降噪", "noise cancelling"),
        ("Type-C", "Type-C"),
    ),
    "commodities": (
        ("家用", "household"),
        ("创意", "creative"),
        ("简约", "minimalist"),
        ("便携", "portable"),
        ("ins风", "ins style"),
        ("礼品", "gift"),
    ),
    "fittings": (
        ("锌合金", "zinc alloy"),
        ("铝合金", "aluminium alloy"),
        ("静音", "silent"),
        ("阻尼", "soft-close"),
        ("北欧", "Nordic"),
        ("加厚", "thickened"),
    ),
    "toys": (
        ("儿童", "kids"),
        ("益智", "educational"),
        ("卡通", "cartoon"),
        ("网红", "trending"),
        ("安全无毒", "non-toxic"),
        ("节日礼物", "holiday gift"),
    ),
}

_FACTORY_CLAIMS: tuple[Word, ...] = (
    ("厂家直销", "factory direct"),
    ("源头工厂", "source factory"),
    ("工厂批发", "factory wholesale"),
    ("厂家现货", "factory stock"),
)
_TRADER_CLAIMS: tuple[Word, ...] = (
    ("一件代发", "dropshipping"),
    ("跨境", "cross-border"),
    ("爆款", "hot sale"),
    ("批发", "wholesale"),
    ("新款", "new arrival"),
)
_BRAND_CLAIMS: tuple[Word, ...] = (("官方正品", "official genuine"), ("品牌直营", "brand direct"))
CUSTOM_WORDS: tuple[Word, ...] = (
    ("来样加工", "made to sample"),
    ("来图定制", "made to drawing"),
    ("定制", "customized"),
    ("OEM", "OEM"),
    ("ODM", "ODM"),
    ("贴牌", "private label"),
    ("可定制logo", "custom logo"),
)
_YEARS: tuple[Word, ...] = (("2024新款", "2024 new"), ("2025新款", "2025 new"), ("", ""))


def _claims(rng: random.Random, kind: str) -> list[Word]:
    if kind in ("source_factory", "manufacturer"):
        return rng.sample(_FACTORY_CLAIMS, rng.randint(0, 2))
    if kind == "brand":
        return [rng.choice(_BRAND_CLAIMS)]
    claims = rng.sample(_TRADER_CLAIMS, rng.randint(1, 2))
    if rng.random() < 0.2:
        claims.insert(0, _FACTORY_CLAIMS[0])
    return claims


def make_title(
    rng: random.Random, category: str, product_zh: str, product_en: str, kind: str, custom: bool
) -> tuple[str, str]:
    """A (Chinese subject, English subjectTrans) pair."""
    words = _claims(rng, kind)
    words.append(rng.choice(_YEARS))
    words.extend(rng.sample(_ATTRIBUTES[category], 2))
    words.append((product_zh, product_en))
    if custom:
        words.extend(rng.sample(CUSTOM_WORDS, rng.randint(1, 3)))
    chinese = "".join(zh for zh, _ in words if zh)
    english = " ".join(en for _, en in words if en)
    return chinese, english[:1].upper() + english[1:]
