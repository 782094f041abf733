"""China's provinces by name, the one table ranking's regions and planning's freight read.

A province is written as callers and 1688 write it: 广东, 广东省, 广西壮族自治区, or in pinyin
(guangdong). :func:`normalize` drops the administrative suffix; :func:`province_named`
says which province a name is, or ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable

# province (pinyin)
PROVINCES = (
    "广东 guangdong|浙江 zhejiang|江苏 jiangsu|福建 fujian|山东 shandong|河北 hebei|河南 henan|"
    "上海 shanghai|北京 beijing|天津 tianjin|重庆 chongqing|安徽 anhui|湖北 hubei|湖南 hunan|"
    "江西 jiangxi|四川 sichuan|辽宁 liaoning|吉林 jilin|黑龙江 heilongjiang|山西 shanxi|"
    "陕西 shaanxi|广西 guangxi|云南 yunnan|贵州 guizhou|海南 hainan|甘肃 gansu|青海 qinghai|"
    "宁夏 ningxia|新疆 xinjiang|内蒙古 neimenggu|西藏 xizang"
)

_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
    "区",
    "镇",
    "县",
)


def normalize(name: str) -> str:
    """ "广东省" → "广东", "Yiwu " → "yiwu"; 曹县 keeps its 县 (the whole name)."""
    text = name.strip().lower().replace(" ", "")
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


def entries(table: str) -> Iterable[tuple[str, str]]:
    """(chinese, pinyin) pairs of a ``"广东 guangdong|浙江 zhejiang"`` table."""
    for entry in table.split("|"):
        chinese, pinyin = entry.split()
        yield chinese, pinyin


_BY_NAME = {name: chinese for chinese, pinyin in entries(PROVINCES) for name in (chinese, pinyin)}
#: The provinces' Chinese names, in the table's order.
NAMES: tuple[str, ...] = tuple(chinese for chinese, _ in entries(PROVINCES))


def province_named(name: str) -> str | None:
    """The province ``name`` is ("浙江省", "Zhejiang" → "浙江"), or ``None``."""
    return _BY_NAME.get(normalize(name))
