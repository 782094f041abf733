"""The sandbox's category tree: eight 1688-style top categories, each with
second- and third-level categories.

A third-level category is a *kind* of product: it fixes the drawing family of
its photos, the selling unit, the factory price band (in fen), the usual
minimum order, the shipping weight and the title words sellers use. Category
ids are sandbox-made (stable across seeds), shaped like 1688's numeric ids.
Each top category names the industrial belts where its factories cluster
(keys of ``companies.BELTS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    """A third-level category: what one product is."""

    third_id: int
    name_zh: str
    name_en: str
    shape: str
    unit: str
    price_fen: tuple[int, int]
    moq: tuple[int, ...]
    weight_kg: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Second:
    second_id: int
    name_zh: str
    kinds: tuple[Kind, ...]


@dataclass(frozen=True, slots=True)
class TopCategory:
    top_id: int
    key: str
    name_zh: str
    name_en: str
    belts: tuple[str, ...]
    factory_suffixes: tuple[str, ...]
    maker_suffixes: tuple[str, ...]
    seconds: tuple[Second, ...]


def _k(
    third_id: int,
    zh: str,
    en: str,
    shape: str,
    unit: str,
    fen: tuple[int, int],
    moq: tuple[int, ...],
    kg: tuple[float, float],
) -> Kind:
    return Kind(third_id, zh, en, shape, unit, fen, moq, kg)


CATEGORIES: tuple[TopCategory, ...] = (
    TopCategory(
        10166,
        "apparel",
        "服装",
        "Apparel",
        ("guangzhou_apparel", "humen_apparel", "hangzhou_apparel", "shishi_apparel"),
        ("服装厂", "制衣厂", "服饰加工厂"),
        ("制衣有限公司", "服饰有限公司", "服装有限公司"),
        (
            Second(
                1016601,
                "T恤",
                (
                    _k(
                        101660101,
                        "圆领短袖T恤",
                        "round neck short sleeve T-shirt",
                        "tshirt",
                        "件",
                        (900, 3800),
                        (2, 10, 50, 100),
                        (0.15, 0.3),
                    ),
                    _k(
                        101660102,
                        "纯棉广告衫",
                        "cotton promotional T-shirt",
                        "tshirt",
                        "件",
                        (600, 2200),
                        (50, 100, 200),
                        (0.15, 0.25),
                    ),
                ),
            ),
            Second(
                1016602,
                "卫衣",
                (
                    _k(
                        101660201,
                        "连帽卫衣",
                        "hooded sweatshirt",
                        "hoodie",
                        "件",
                        (2800, 8800),
                        (2, 20, 50, 100),
                        (0.45, 0.8),
                    ),
                ),
            ),
            Second(
                1016603,
                "裙装裤装",
                (
                    _k(
                        101660301,
                        "连衣裙",
                        "dress",
                        "dress",
                        "件",
                        (2500, 12000),
                        (2, 10, 30, 50),
                        (0.25, 0.5),
                    ),
                    _k(
                        101660302,
                        "休闲长裤",
                        "casual trousers",
                        "trousers",
                        "条",
                        (2200, 7800),
                        (2, 20, 50),
                        (0.35, 0.6),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        1038378,
        "fabric",
        "纺织面料",
        "Fabric & textiles",
        ("keqiao_fabric", "shengze_fabric", "guangzhou_fabric"),
        ("纺织厂", "织造厂", "印染厂"),
        ("纺织品有限公司", "纺织科技有限公司", "布业有限公司"),
        (
            Second(
                1038301,
                "棉麻面料",
                (
                    _k(
                        103830101,
                        "全棉平纹布",
                        "plain cotton fabric",
                        "swatch",
                        "米",
                        (600, 2600),
                        (1, 50, 100, 500),
                        (0.12, 0.25),
                    ),
                    _k(
                        103830102,
                        "亚麻面料",
                        "linen fabric",
                        "swatch",
                        "米",
                        (1500, 4500),
                        (1, 50, 300),
                        (0.15, 0.3),
                    ),
                ),
            ),
            Second(
                1038302,
                "化纤面料",
                (
                    _k(
                        103830201,
                        "涤纶印花布",
                        "printed polyester fabric",
                        "swatch",
                        "米",
                        (400, 1800),
                        (1, 100, 500, 1000),
                        (0.1, 0.2),
                    ),
                    _k(
                        103830202,
                        "针织布卷",
                        "knitted fabric roll",
                        "fabric_roll",
                        "公斤",
                        (2200, 5800),
                        (25, 100, 500),
                        (1.0, 1.0),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        1042954,
        "hardware",
        "五金工具",
        "Hardware",
        ("yongkang_hardware", "yongnian_fasteners", "wenzhou_hardware"),
        ("五金制品厂", "五金厂", "标准件厂"),
        ("五金制品有限公司", "工具有限公司", "紧固件有限公司"),
        (
            Second(
                1042901,
                "合页铰链",
                (
                    _k(
                        104290101,
                        "不锈钢合页",
                        "stainless steel hinge",
                        "hinge",
                        "个",
                        (80, 900),
                        (100, 500, 1000, 5000),
                        (0.05, 0.2),
                    ),
                ),
            ),
            Second(
                1042902,
                "紧固件",
                (
                    _k(
                        104290201,
                        "外六角螺栓",
                        "hex bolt",
                        "bolt",
                        "个",
                        (5, 120),
                        (1000, 5000, 10000),
                        (0.01, 0.06),
                    ),
                ),
            ),
            Second(
                1042903,
                "手动工具",
                (
                    _k(
                        104290301,
                        "开口扳手",
                        "open-end wrench",
                        "wrench",
                        "把",
                        (350, 2800),
                        (10, 50, 100, 500),
                        (0.1, 0.4),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        1043472,
        "packaging",
        "包装",
        "Packaging",
        ("longgang_packaging", "dongguan_packaging", "yiwu_packaging"),
        ("包装制品厂", "纸品厂", "印刷厂"),
        ("包装制品有限公司", "纸制品有限公司", "印刷包装有限公司"),
        (
            Second(
                1043401,
                "纸箱纸盒",
                (
                    _k(
                        104340101,
                        "瓦楞纸箱",
                        "corrugated carton box",
                        "box",
                        "个",
                        (30, 600),
                        (100, 500, 1000, 3000),
                        (0.05, 0.4),
                    ),
                ),
            ),
            Second(
                1043402,
                "手提袋",
                (
                    _k(
                        104340201,
                        "牛皮纸手提袋",
                        "kraft paper bag",
                        "paper_bag",
                        "个",
                        (25, 350),
                        (500, 1000, 3000),
                        (0.02, 0.08),
                    ),
                ),
            ),
            Second(
                1043403,
                "瓶罐",
                (
                    _k(
                        104340301,
                        "塑料瓶",
                        "plastic bottle",
                        "bottle",
                        "个",
                        (20, 260),
                        (1000, 5000, 10000),
                        (0.01, 0.05),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        7,
        "electronics",
        "数码配件",
        "Electronics accessories",
        ("shenzhen_electronics", "dongguan_electronics"),
        ("电子厂", "数码配件厂", "电子制品厂"),
        ("电子科技有限公司", "电子有限公司", "数码科技有限公司"),
        (
            Second(
                701,
                "充电配件",
                (
                    _k(
                        70101,
                        "数据线",
                        "charging cable",
                        "cable",
                        "条",
                        (150, 1500),
                        (10, 100, 500, 1000),
                        (0.03, 0.08),
                    ),
                    _k(
                        70102,
                        "充电头",
                        "wall charger",
                        "charger",
                        "个",
                        (450, 3500),
                        (10, 100, 500),
                        (0.05, 0.15),
                    ),
                ),
            ),
            Second(
                702,
                "手机周边",
                (
                    _k(
                        70201,
                        "手机壳",
                        "phone case",
                        "phone_case",
                        "个",
                        (120, 2500),
                        (10, 50, 100, 500),
                        (0.02, 0.06),
                    ),
                    _k(
                        70202,
                        "蓝牙耳机",
                        "wireless earbuds",
                        "earbuds",
                        "副",
                        (1800, 9800),
                        (5, 50, 200),
                        (0.05, 0.12),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        1813,
        "commodities",
        "日用百货",
        "Small commodities",
        ("yiwu_commodities", "huangyan_plastics", "ningbo_commodities"),
        ("日用品厂", "塑料制品厂", "工艺品厂"),
        ("日用品有限公司", "塑胶制品有限公司", "工艺品有限公司"),
        (
            Second(
                181301,
                "杯壶",
                (
                    _k(
                        18130101,
                        "陶瓷马克杯",
                        "ceramic mug",
                        "mug",
                        "个",
                        (300, 2200),
                        (36, 100, 500, 1000),
                        (0.3, 0.45),
                    ),
                ),
            ),
            Second(
                181302,
                "个人护理",
                (
                    _k(
                        18130201,
                        "梳子",
                        "hair comb",
                        "comb",
                        "把",
                        (40, 600),
                        (100, 500, 2000),
                        (0.02, 0.06),
                    ),
                ),
            ),
            Second(
                181303,
                "小饰品",
                (
                    _k(
                        18130301,
                        "钥匙扣",
                        "keychain",
                        "keychain",
                        "个",
                        (30, 500),
                        (100, 500, 1000),
                        (0.01, 0.04),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        127424004,
        "fittings",
        "家具配件",
        "Furniture fittings",
        ("shunde_fittings", "gaoyao_fittings", "jieyang_fittings"),
        ("五金配件厂", "家具配件厂", "拉手厂"),
        ("家具配件有限公司", "五金配件有限公司", "家居五金有限公司"),
        (
            Second(
                12742401,
                "拉手",
                (
                    _k(
                        1274240101,
                        "柜门拉手",
                        "cabinet handle",
                        "cabinet_handle",
                        "个",
                        (90, 1800),
                        (50, 200, 1000, 5000),
                        (0.03, 0.2),
                    ),
                    _k(
                        1274240102,
                        "圆形拉手",
                        "round knob",
                        "knob",
                        "个",
                        (40, 900),
                        (100, 500, 2000),
                        (0.02, 0.08),
                    ),
                ),
            ),
            Second(
                12742402,
                "滑轨脚轮",
                (
                    _k(
                        1274240201,
                        "抽屉滑轨",
                        "drawer slide",
                        "drawer_slide",
                        "副",
                        (450, 3200),
                        (20, 100, 500),
                        (0.4, 1.2),
                    ),
                    _k(
                        1274240202,
                        "万向脚轮",
                        "swivel caster",
                        "caster",
                        "个",
                        (180, 2500),
                        (20, 100, 500),
                        (0.08, 0.4),
                    ),
                ),
            ),
        ),
    ),
    TopCategory(
        1042841,
        "toys",
        "玩具",
        "Toys",
        ("chenghai_toys", "yangzhou_plush", "yiwu_commodities"),
        ("玩具厂", "毛绒玩具厂", "塑胶玩具厂"),
        ("玩具有限公司", "玩具实业有限公司", "文化用品有限公司"),
        (
            Second(
                104281,
                "毛绒玩具",
                (
                    _k(
                        10428101,
                        "毛绒小熊",
                        "plush teddy bear",
                        "plush_bear",
                        "个",
                        (500, 6500),
                        (10, 50, 200, 500),
                        (0.1, 0.6),
                    ),
                ),
            ),
            Second(
                104282,
                "益智玩具",
                (
                    _k(
                        10428201,
                        "积木",
                        "building blocks",
                        "blocks",
                        "套",
                        (800, 9000),
                        (6, 24, 100),
                        (0.3, 1.0),
                    ),
                    _k(
                        10428202,
                        "惯性玩具车",
                        "friction toy car",
                        "toy_car",
                        "个",
                        (300, 3500),
                        (24, 96, 500),
                        (0.08, 0.3),
                    ),
                    _k(
                        10428203,
                        "弹力球",
                        "bouncy ball",
                        "ball",
                        "个",
                        (20, 500),
                        (100, 500, 2000),
                        (0.01, 0.08),
                    ),
                ),
            ),
        ),
    ),
)


def all_kinds() -> list[tuple[TopCategory, Second, Kind]]:
    """Every (top, second, kind) triple, in a stable order."""
    return [(top, sec, kind) for top in CATEGORIES for sec in top.seconds for kind in sec.kinds]
