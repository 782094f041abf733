"""Province names as callers and 1688 write them."""

from __future__ import annotations

import pytest

from shared.china_provinces import NAMES, normalize, province_named


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


@pytest.mark.parametrize(
    ("name", "province"),
    [("浙江", "浙江"), ("浙江省", "浙江"), (" Zhejiang ", "浙江"), ("广西壮族自治区", "广西")],
)
def test_a_province_is_found_however_it_is_written(name: str, province: str) -> None:
    assert province_named(name) == province


@pytest.mark.parametrize("name", ["火星", "广州", "义乌", "", "省"])
def test_what_is_no_province_is_none(name: str) -> None:
    assert province_named(name) is None


def test_there_are_31_provinces_in_chinese() -> None:
    assert len(NAMES) == len(set(NAMES)) == 31
    assert not any(name.isascii() for name in NAMES)
