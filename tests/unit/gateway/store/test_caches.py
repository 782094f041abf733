from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.gateway.store.caches import Caches, search_key
from services.gateway.store.interface import Store, open_store

BASE = 0x8F3C_5A5A_0F0F_F00D


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


def _flip(value: int, *bits: int) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


async def test_near_duplicates_within_the_distance_reuse_the_closest(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=5)
    await caches.put_image_id("sha-far", _flip(BASE, 1, 9, 17, 33, 60), "img-far")
    await caches.put_image_id("sha-near", _flip(BASE, 2, 40), "img-near")
    assert await caches.find_image_id_near(BASE) == "img-near"
    # Six bits from both stored hashes: beyond the distance.
    assert await caches.find_image_id_near(_flip(BASE, 0, 8, 16, 24, 32, 63)) is None


async def test_every_distance_up_to_the_setting_is_found(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=4)
    await caches.put_image_id("sha", BASE, "img")
    spread = [3, 19, 35, 51]  # one flipped bit in each band
    for count in range(5):
        assert await caches.find_image_id_near(_flip(BASE, *spread[:count])) == "img"
    assert await caches.find_image_id_near(_flip(BASE, *spread, 60)) is None


async def test_distance_zero_means_exact_sha256_only(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=0)
    await caches.put_image_id("sha", BASE, "img")
    assert await caches.get_image_id("sha") == "img"
    assert await caches.find_image_id_near(BASE) is None
    assert await caches.get_image_id("other") is None


async def test_search_and_detail_round_trip(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60)
    key = search_key("imageQuery", {"q": "id-1,page=2"}, {"page_size": 20, "category": "123"})
    assert await caches.get_search(key) is None
    await caches.put_search(key, b"page-2")
    assert await caches.get_search(key) == b"page-2"
    await caches.put_detail("618", b"detail")
    assert (await caches.get_detail("618"), await caches.get_detail("619")) == (b"detail", None)


def test_search_key_ignores_filter_order_but_not_values() -> None:
    key = search_key("api", {"q": "id-1"}, {"a": 1, "b": "x"})
    assert key == search_key("api", {"q": "id-1"}, {"b": "x", "a": 1})
    assert key != search_key("api", {"q": "id-2"}, {"a": 1, "b": "x"})
    assert key != search_key("api", {"q": "id-1", "page": "2"}, {"a": 1, "b": "x"})
    assert key != search_key("api", {"q": "id-1"}, {"a": 2, "b": "x"})
    assert key != search_key("api2", {"q": "id-1"}, {"a": 1, "b": "x"})
