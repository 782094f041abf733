from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from services.gateway.store.caches import Caches, search_key
from services.gateway.store.interface import Store, open_store
from tests.unit.gateway.store.held_puts import HeldPuts

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
    caches.put_image_id("sha-far", _flip(BASE, 1, 9, 17, 33, 60), "img-far")
    caches.put_image_id("sha-near", _flip(BASE, 2, 40), "img-near")
    assert await caches.find_image_id_near(BASE) == "img-near"
    # Six bits from both stored hashes: beyond the distance.
    assert await caches.find_image_id_near(_flip(BASE, 0, 8, 16, 24, 32, 63)) is None


async def test_every_distance_up_to_the_setting_is_found(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=4)
    caches.put_image_id("sha", BASE, "img")
    spread = [3, 19, 35, 51]  # one flipped bit in each band
    for count in range(5):
        assert await caches.find_image_id_near(_flip(BASE, *spread[:count])) == "img"
    assert await caches.find_image_id_near(_flip(BASE, *spread, 60)) is None


async def test_distance_zero_means_exact_sha256_only(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60, phash_distance=0)
    caches.put_image_id("sha", BASE, "img")
    assert await caches.get_image_id("sha") == "img"
    assert await caches.find_image_id_near(BASE) is None
    assert await caches.get_image_id("other") is None


async def test_search_and_detail_round_trip(store: Store) -> None:
    caches = Caches(store, search_ttl_s=60)
    key = search_key("imageQuery", {"q": "id-1,page=2"}, {"page_size": 20, "category": "123"})
    assert await caches.get_search(key) is None
    caches.put_search(key, b"page-2")
    assert await caches.get_search(key) == b"page-2"
    caches.put_detail("618", b"detail")
    assert (await caches.get_detail("618"), await caches.get_detail("619")) == (b"detail", None)


def test_search_key_ignores_filter_order_but_not_values() -> None:
    key = search_key("api", {"q": "id-1"}, {"a": 1, "b": "x"})
    assert key == search_key("api", {"q": "id-1"}, {"b": "x", "a": 1})
    assert key != search_key("api", {"q": "id-2"}, {"a": 1, "b": "x"})
    assert key != search_key("api", {"q": "id-1", "page": "2"}, {"a": 1, "b": "x"})
    assert key != search_key("api", {"q": "id-1"}, {"a": 2, "b": "x"})
    assert key != search_key("api2", {"q": "id-1"}, {"a": 1, "b": "x"})


async def test_writes_behind_are_read_back_here_before_they_land(store: Store) -> None:
    held = HeldPuts(store)
    caches = Caches(store, search_ttl_s=60, phash_distance=0)
    caches.put_search("page-key", b"page")
    caches.put_image_id("sha", None, "img")
    caches.put_detail("618", b"detail")
    await asyncio.sleep(0)
    # The request did not wait for the store, yet this process finds what it got.
    assert held.started == 3
    assert await caches.get_search("page-key") == b"page"
    assert await caches.get_image_id("sha") == "img"
    assert await caches.get_detail("618") == b"detail"
    held.release.set()
    await caches.settle()
    # Landed: every replica reads them from the store.
    assert await store.get("cache:search:page-key") == b"page"
    assert await Caches(store, search_ttl_s=60).get_image_id("sha") == "img"


async def test_a_near_duplicate_is_found_while_its_index_update_is_under_way(
    store: Store,
) -> None:
    held = HeldPuts(store)
    caches = Caches(store, search_ttl_s=60, phash_distance=4)
    caches.put_image_id("sha", BASE, "img")
    await asyncio.sleep(0.01)
    assert await store.get("cache:image:sha") is None  # nothing landed yet
    assert await caches.find_image_id_near(_flip(BASE, 3, 19)) == "img"
    assert await caches.find_image_id_near(_flip(BASE, 3, 19, 35, 51, 60)) is None
    held.release.set()
    await caches.settle()
    # Landed: another replica (its own Caches) finds it through the index.
    elsewhere = Caches(store, search_ttl_s=60, phash_distance=4)
    assert await elsewhere.find_image_id_near(_flip(BASE, 3, 19)) == "img"


async def test_a_cache_write_that_fails_is_logged_and_the_search_goes_on(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    HeldPuts(store, fail=True)
    caches = Caches(store, search_ttl_s=60)
    with caplog.at_level(logging.WARNING):
        caches.put_search("page-key", b"page")
        await caches.settle()
    assert [r.getMessage() for r in caplog.records] == ["a cache entry was not written"]
    assert await caches.get_search("page-key") is None
