"""Region names: provinces, cities, industrial towns and belts, mapped to supplier places."""

from __future__ import annotations

import pytest

from services.ranking.domain import Supplier
from services.ranking.errors import InvalidRequest
from services.ranking.regions import KNOWN_NAMES, resolve_regions


def matches(region: str, province: str = "", city: str = "", address: str = "") -> bool | None:
    """True: in the region; False: known to be elsewhere; None: the place is unknown."""
    found = resolve_regions([region])
    assert found is not None
    return found.check(Supplier(province=province, city=city, address=address))


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
    assert matches("广东", city="东莞") is True
    assert matches("浙江", city="东莞") is False


def test_a_supplier_1688_did_not_place_is_unknown_not_outside() -> None:
    # Live image-search rows carry no province, city or address.
    assert matches("广东") is None
    assert matches("虎门") is None
    assert matches("珠三角") is None
    # A city outside the table, with no province, places nobody either.
    assert matches("广东", city="韶关") is None
    assert matches("广东", address="Room 5, Building 2") is None


@pytest.mark.parametrize(
    ("region", "address", "expected"),
    [
        # a fetched detail's shipping origin (sendGoodsAddressText) alone
        ("广东", "广东省广州市", True),
        ("广州", "广东省广州市", True),
        ("深圳", "广东省广州市", False),
        ("广东", "浙江省金华市", False),
        ("珠三角", "广东省东莞市", True),
        ("珠三角", "广东省汕头市", False),
        # it stops at the city: the town's city is the finest place known
        ("义乌", "浙江省金华市", True),
        ("虎门", "广东省广州市", False),
        # a company address without its province
        ("广东", "广州市白云区太和镇", True),
        ("浙江", "广州市白云区太和镇", False),
        # the first place named is where it is, not a street named after another
        ("浙江", "浙江省金华市广东路8号", True),
        ("广东", "浙江省金华市广东路8号", False),
    ],
)
def test_an_address_alone_places_the_supplier(region: str, address: str, expected: bool) -> None:
    assert matches(region, address=address) is expected


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
    # A complete address in the town's city but elsewhere in it is outside.
    assert matches("义乌", province="浙江", city="金华", address="浙江省金华市婺城区") is False


def test_without_an_address_a_town_accepts_its_city_rather_than_dropping_everyone() -> None:
    assert matches("虎门", province="广东", city="东莞") is True
    assert matches("虎门", province="广东", city="广州") is False
    assert matches("义乌", province="浙江", city="义乌") is True
    # Only the province is known: in 浙江, perhaps in 义乌, perhaps not.
    assert matches("义乌", province="浙江") is None
    assert matches("广州", province="广东") is None
    assert matches("广州", province="浙江") is False


def test_belts_cover_their_cities() -> None:
    assert matches("珠三角", province="广东", city="佛山") is True
    assert matches("珠三角", province="广东", city="汕头") is False
    assert matches("潮汕", province="广东", city="汕头") is True
    assert matches("长三角", province="上海", city="上海") is True


def test_several_names_keep_a_supplier_in_any_of_them() -> None:
    found = resolve_regions(["义乌", "永康"])
    assert found is not None
    assert found.check(Supplier(province="浙江", city="金华", address="浙江省永康市")) is True
    assert found.check(Supplier(province="广东", city="广州")) is False


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
