"""Region names: provinces, cities, industrial towns and belts, mapped to supplier places."""

from __future__ import annotations

import pytest

from services.ranking.domain import Supplier
from services.ranking.errors import InvalidRequest
from services.ranking.regions import KNOWN_NAMES, normalize, resolve_regions


def matches(region: str, province: str = "", city: str = "", address: str = "") -> bool:
    found = resolve_regions([region])
    assert found is not None
    return found.matches(Supplier(province=province, city=city, address=address))


@pytest.mark.parametrize(
    ("region", "province", "city", "expected"),
    [
        ("广东", "广东", "东莞", True),
        ("广东省", "广东省", "广州市", True),
        ("广东", "浙江", "金华", False),
        ("广州", "广东", "广州", True),
        ("广州市", "广东", "深圳", False),
        ("Guangzhou", "广东", "广州", True),
        ("yiwu", "浙江", "义乌", True),
        ("上海", "上海", "上海", True),
    ],
)
def test_provinces_and_cities(region: str, province: str, city: str, expected: bool) -> None:
    assert matches(region, province=province, city=city) is expected


def test_a_city_without_a_province_is_placed_by_the_city() -> None:
    assert matches("广东", city="东莞")
    assert not matches("浙江", city="东莞")


@pytest.mark.parametrize(
    ("region", "address", "expected"),
    [
        ("虎门", "广东省东莞市虎门镇大宁村", True),
        ("虎门", "广东省东莞市大朗镇", False),
        ("柯桥", "浙江省绍兴市柯桥区中国轻纺城", True),
        ("澄海", "广东省汕头市澄海区莲下镇", True),
        ("义乌", "浙江省义乌市福田街道", True),
    ],
)
def test_towns_are_found_in_the_address(region: str, address: str, expected: bool) -> None:
    parent = {"虎门": "东莞", "柯桥": "绍兴", "澄海": "汕头", "义乌": "金华"}[region]
    assert matches(region, province="", city=parent, address=address) is expected


def test_without_an_address_a_town_accepts_its_city_rather_than_dropping_everyone() -> None:
    assert matches("虎门", province="广东", city="东莞")
    assert not matches("虎门", province="广东", city="广州")
    assert matches("义乌", province="浙江", city="义乌")


def test_belts_cover_their_cities() -> None:
    assert matches("珠三角", province="广东", city="佛山")
    assert not matches("珠三角", province="广东", city="汕头")
    assert matches("潮汕", province="广东", city="汕头")
    assert matches("长三角", province="上海", city="上海")


def test_several_names_keep_a_supplier_in_any_of_them() -> None:
    found = resolve_regions(["义乌", "永康"])
    assert found is not None
    assert found.matches(Supplier(province="浙江", city="金华", address="浙江省永康市"))
    assert not found.matches(Supplier(province="广东", city="广州"))


def test_no_names_means_no_region_filter() -> None:
    assert resolve_regions([]) is None
    assert resolve_regions(["  "]) is None


def test_an_unknown_name_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_regions(["广州", "火星"])
    error = caught.value
    assert error.reason == "UNKNOWN_REGION"
    assert error.field_name == "filters.regions"
    assert error.metadata["unknown"] == "火星"
    known = error.metadata["known"].split(",")
    assert {"广州", "虎门", "义乌", "永康", "东莞", "深圳", "柯桥", "绍兴", "汕头", "佛山"} <= set(
        known
    )
    assert {"温州", "晋江", "广东", "珠三角"} <= set(known)
    assert "火星" in error.message and "虎门" in error.message


def test_known_names_are_chinese_and_unique() -> None:
    assert len(KNOWN_NAMES) == len(set(KNOWN_NAMES))
    assert all(not name.isascii() for name in KNOWN_NAMES)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("广东省", "广东"),
        (" Yiwu ", "yiwu"),
        ("柯桥区", "柯桥"),
        ("曹县", "曹县"),
        ("广西壮族自治区", "广西"),
    ],
)
def test_normalize(name: str, expected: str) -> None:
    assert normalize(name) == expected
