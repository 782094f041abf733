"""Region filter: provinces, cities and industrial belts, mapped to places.

1688 search results give a supplier's province and city and seldom the full
address, and the upstream has no place filter, so ranking filters here.
A name is a province (广东), a city (广州, 义乌), a town or district known
for one trade (虎门 apparel, 柯桥 fabric, 澄海 toys) or a belt spanning several
cities (珠三角). Names are accepted with or without 省/市/区/镇 and in pinyin.

A town is matched in the address; when the supplier published no address, or
one that stops at the city (the detail's shipping origin, "浙江省金华市"), its city
is the finest place we can check, so a supplier in the town's city is kept rather
than dropped for lack of data.

Where a supplier is comes from the row's province and city (1688's documented 2026
rows), else from its address (a detail's ``sendGoodsAddressText``, "广东省广州市").
Live image-search rows carry neither, so most suppliers' places are unknown: the
check says so (``None``) instead of guessing, and the filter keeps those offers,
marked, rather than dropping every offer 1688 did not place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.ranking.domain import Supplier
from services.ranking.errors import InvalidRequest
from shared.china_provinces import PROVINCES, entries, normalize


@dataclass(frozen=True, slots=True)
class Place:
    province: str
    city: str = ""
    town: str = ""


# province: city (pinyin), ...
_CITIES = {
    "广东": "广州 guangzhou|深圳 shenzhen|东莞 dongguan|佛山 foshan|汕头 shantou|中山 zhongshan|"
    "惠州 huizhou|江门 jiangmen|揭阳 jieyang|潮州 chaozhou|珠海 zhuhai|肇庆 zhaoqing|阳江 yangjiang",
    "浙江": "杭州 hangzhou|宁波 ningbo|温州 wenzhou|绍兴 shaoxing|金华 jinhua|台州 taizhou|"
    "嘉兴 jiaxing|湖州 huzhou",
    "江苏": "苏州 suzhou|无锡 wuxi|常州 changzhou|南通 nantong|南京 nanjing|镇江 zhenjiang|"
    "扬州 yangzhou",
    "福建": "泉州 quanzhou|莆田 putian|厦门 xiamen|福州 fuzhou",
    "山东": "青岛 qingdao|临沂 linyi|潍坊 weifang|济南 jinan|菏泽 heze",
    "河北": "保定 baoding|石家庄 shijiazhuang|邢台 xingtai",
    "河南": "郑州 zhengzhou",
    "湖北": "武汉 wuhan",
    "四川": "成都 chengdu",
    "江西": "景德镇 jingdezhen",
}
# (province, city): town (pinyin), ... Districts, towns and county-level cities known for a
# trade; 1688 often gives their prefecture as the city (义乌 sellers show 金华).
_TOWNS = {
    ("广东", "东莞"): "虎门 humen|大朗 dalang|长安 changan|厚街 houjie",
    ("广东", "广州"): "增城 zengcheng|新塘 xintang|白云 baiyun|番禺 panyu",
    ("广东", "汕头"): "澄海 chenghai",
    ("广东", "佛山"): "顺德 shunde|乐从 lecong|南海 nanhai",
    ("广东", "中山"): "古镇 guzhen",
    ("浙江", "金华"): "义乌 yiwu|永康 yongkang",
    ("浙江", "绍兴"): "柯桥 keqiao",
    ("浙江", "湖州"): "织里 zhili",
    ("浙江", "嘉兴"): "濮院 puyuan|海宁 haining",
    ("浙江", "温州"): "乐清 yueqing|瑞安 ruian",
    ("浙江", "宁波"): "慈溪 cixi|余姚 yuyao",
    ("江苏", "苏州"): "盛泽 shengze|常熟 changshu",
    ("江苏", "镇江"): "丹阳 danyang",
    ("福建", "泉州"): "晋江 jinjiang|石狮 shishi|德化 dehua|安溪 anxi",
    ("山东", "菏泽"): "曹县 caoxian",
    ("河北", "保定"): "白沟 baigou",
    ("河北", "邢台"): "沙河 shahe",
}
# belt (pinyin): member cities, or provinces for the province-level cities (上海)
_BELTS = {
    "珠三角 zhusanjiao": "广州 深圳 东莞 佛山 中山 惠州 江门 珠海 肇庆",
    "潮汕 chaoshan": "汕头 潮州 揭阳",
    "长三角 changsanjiao": "上海 杭州 宁波 绍兴 嘉兴 湖州 苏州 无锡 常州 南通 南京",
}


def _build() -> tuple[dict[str, tuple[Place, ...]], dict[str, str]]:
    """name (and pinyin) → places; city or town → its province."""
    places: dict[str, tuple[Place, ...]] = {}
    province_of: dict[str, str] = {}
    for province, pinyin in entries(PROVINCES):
        places[province] = places[pinyin] = (Place(province),)
    for province, cities in _CITIES.items():
        for city, pinyin in entries(cities):
            province_of[city] = province
            places[city] = places[pinyin] = (Place(province, city),)
    for (province, city), towns in _TOWNS.items():
        for town, pinyin in entries(towns):
            province_of[town] = province
            places[town] = places[pinyin] = (Place(province, city, town),)
    for belt, members in _BELTS.items():
        chinese, pinyin = belt.split()
        places[chinese] = places[pinyin] = tuple(
            Place(province_of[m], m) if m in province_of else Place(m) for m in members.split()
        )
    return places, province_of


_PLACES, _PROVINCE_OF = _build()
# What names a province in an address: the province, or one of its cities written as one.
_MARKS = tuple((p, p) for p, _ in entries(PROVINCES)) + tuple(
    (f"{place}市", province) for place, province in _PROVINCE_OF.items()
)
KNOWN_NAMES: tuple[str, ...] = tuple(name for name in _PLACES if not name.isascii())


@dataclass(frozen=True, slots=True)
class RegionFilter:
    """The places a buyer asked for; ``check`` tells whether a supplier is in one."""

    places: tuple[Place, ...]

    def check(self, supplier: Supplier) -> bool | None:
        """True: in one of the places; False: known to be elsewhere; None: 1688 did not
        say where the supplier is (no province, city or address naming a known one), or
        only its province, which holds an asked city or town."""
        city = normalize(supplier.city)
        address = supplier.address
        province = (
            normalize(supplier.province) or _PROVINCE_OF.get(city, "") or _province_in(address)
        )
        if not province:
            return None
        found = {_in_place(place, province, city, address) for place in self.places}
        return True if True in found else None if None in found else False


def _province_in(address: str) -> str:
    """The province of the first province or known city an address names ("广东省广州市",
    "广州市白云区" → 广东), or "" when it names none."""
    found = [(at, province) for mark, province in _MARKS if (at := address.find(mark)) >= 0]
    return min(found)[1] if found else ""


def _in_place(place: Place, province: str, city: str, address: str) -> bool | None:
    """None: only the province is known, and the place is a city or town in it."""
    if province != place.province:
        return False
    if not place.city:
        return True
    if not city and not address:
        return None
    if place.town:
        if place.town in address or city == place.town:
            return True
        # The town's city is the finest place known: no address, or one that stops there.
        if address:
            return address.endswith(f"{place.city}市") and city in (place.city, "")
        return city == place.city
    return city == place.city or (not city and f"{place.city}市" in address)


def resolve_regions(names: Iterable[str]) -> RegionFilter | None:
    """The filter for ``names``; ``None`` for no names. Unknown names → UNKNOWN_REGION."""
    wanted = [name for name in names if name.strip()]
    if not wanted:
        return None
    unknown = [name for name in wanted if normalize(name) not in _PLACES]
    if unknown:
        known = "、".join(KNOWN_NAMES)
        raise InvalidRequest(
            "filters.regions",
            f"unknown region {', '.join(unknown)}; known: {known}",
            reason="UNKNOWN_REGION",
            metadata={"unknown": ",".join(unknown), "known": ",".join(KNOWN_NAMES)},
        )
    places = tuple(dict.fromkeys(p for name in wanted for p in _PLACES[normalize(name)]))
    return RegionFilter(places)
