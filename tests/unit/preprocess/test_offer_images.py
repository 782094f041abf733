"""Offer images for the eye: which hosts are fetched, how URLs are completed, and the caches'
bounds."""

from __future__ import annotations

import json
import re

import httpx
import numpy as np

from services.preprocess.image_comparison import Described, DescriptorCache
from services.preprocess.offer_images import ByteLru, absolute_url, host_allowed
from services.preprocess.settings import PreprocessSettings
from services.preprocess.visual_similarity import Descriptor
from shared.config import load
from tests.integration.gateway.real_1688 import REAL_DIR


def test_hosts_are_matched_exactly_or_as_a_domain_and_its_subdomains() -> None:
    hosts = [".alicdn.com", "img.example.org"]
    assert host_allowed("cbu01.alicdn.com", hosts)
    assert host_allowed("alicdn.com", hosts)
    assert host_allowed("CBU01.ALICDN.COM.", hosts)
    assert host_allowed("img.example.org", hosts)
    assert not host_allowed("evilalicdn.com", hosts)
    assert not host_allowed("alicdn.com.evil.net", hosts)
    assert not host_allowed("sub.img.example.org", hosts)
    assert not host_allowed("127.0.0.1", hosts)


def test_every_image_host_in_the_real_1688_bodies_is_fetched_by_default() -> None:
    """Rows point at the CDN and, now and then, at Alibaba Cloud object storage (a
    keywordQuery capture): the default fence must let both through, or those offers stay
    uncompared and the answer is made without them."""
    hosts = load(PreprocessSettings, {}).image_hosts
    urls = [
        url
        for path in sorted(REAL_DIR.glob("*.json"))
        for url in re.findall(r'"imageUrl":\s*"([^"]+)"', json.dumps(json.loads(path.read_text())))
        if "/" in url  # the documentation samples' placeholders ("图片url") are not URLs
    ]
    assert len(urls) >= 20
    seen = {httpx.URL(absolute_url(url)).host for url in urls}
    assert "nhci-aigc.oss-cn-zhangjiakou.aliyuncs.com" in seen
    assert {host for host in seen if not host_allowed(host, hosts)} == set()


def test_protocol_relative_and_bare_paths_become_https_cdn_urls() -> None:
    assert absolute_url("//cbu01.alicdn.com/img/a.jpg") == "https://cbu01.alicdn.com/img/a.jpg"
    assert absolute_url("img/ibank/a.jpg") == "https://cbu01.alicdn.com/img/ibank/a.jpg"
    assert absolute_url("/img/ibank/a.jpg") == "https://cbu01.alicdn.com/img/ibank/a.jpg"
    assert absolute_url("http://127.0.0.1:8080/a.jpg") == "http://127.0.0.1:8080/a.jpg"


def test_the_byte_cache_drops_the_least_recently_used_beyond_its_size() -> None:
    cache = ByteLru(10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1234", None, b"1234")
    assert cache.size == 8
    cache.put("huge", b"x" * 11)  # larger than the whole cache: not kept
    assert cache.get("huge") is None
    assert len(cache) == 2
    cache.put("a", b"12")  # replacing a value counts its new size
    assert cache.size == 6


def test_the_description_cache_keeps_at_most_its_size() -> None:
    def described(value: float) -> Described:
        frame = np.zeros((2, 2), dtype=np.uint8)
        return Described(Descriptor(np.full((1, 2), value, dtype=np.float32), 1), 0, frame)

    cache = DescriptorCache(2)
    cache.put("a", described(1))
    cache.put("b", described(2))
    assert cache.get("a") is not None
    cache.put("c", described(3))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    off = DescriptorCache(0)
    off.put("a", described(1))
    assert off.get("a") is None
