"""Fuzzing the real 1688 bodies: whatever is changed in them, the gateway reads valid offers
or says the reply is malformed (or a refusal), never anything else.

Seeds: every capture in ``../shared/real-1688/`` (search rows, details, alibaba.product.get,
the upload, the error bodies), each in 1688's envelope and the relay's. Mutations are what
other captures vary in: keys dropped, values nulled, strings and numbers swapped, containers
emptied, unknown keys added, odd values (``"NaN"``, ``"1e400"``, ``"¥12.50"``, ``"//host/a.jpg"``,
``"&amp;"``, ``true`` ...), and the serialized body cut short.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from factoryfinder.v1 import common_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.gateway.offers import parsing
from services.gateway.upstream import errors
from services.gateway.upstream.errors import UpstreamError, UpstreamMalformed
from shared.money import from_money, money_problem
from tests.integration.gateway.real_1688 import ENVELOPES, REAL_DIR, load, served

SEARCH = "product.search.imageQuery"
UPLOAD = "product.image.upload"
# What a reply can say (the call's own failures, such as an open circuit, are not a reply's).
REASONS = {
    errors.MALFORMED,
    errors.TOKEN_EXPIRED,
    errors.SIGNATURE_INVALID,
    errors.ACL_DECLINED,
    errors.API_UNSUPPORTED,
    errors.PARAM_MISSING,
    errors.IMAGE_REJECTED,
    errors.UNAVAILABLE,
    errors.RATE_LIMITED,
    errors.QUOTA_EXHAUSTED,
    errors.REQUEST_INVALID,
    errors.OFFER_NOT_FOUND,
}
FUZZ = settings(
    max_examples=1200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ODD_VALUES: list[Any] = [
    "", " ", "NaN", "Infinity", "-1", "0", "0.00", "1e400", "1e999999", "12.1234567891",
    "100000000000000000000", "¥12.50", "12.5-18", "12,50", "面议", "true", "false", "null",
    "//cbu01.alicdn.com/img/ibank/a.jpg", "http://cbu01.alicdn.com/a.jpg_220x220.jpg",
    "img/ibank/a.jpg", "图片url", "Men&#39;s &amp; <em>T恤</em>", "super_factory-超级工厂",
    -1, 0, 1, 3_000_000_000, 10**20, 1e300, 12.5, True, False, [], {}, [None], {"x": None},
]  # fmt: skip


def _search(payload: Any) -> list[common_pb2.Offer]:
    return parsing.parse_search_page(SEARCH, payload).offers


def _image_id(payload: Any) -> list[common_pb2.Offer]:
    image_id = parsing.parse_image_id(UPLOAD, payload)
    assert image_id is None or (image_id and image_id == image_id.strip())
    return []


# The API of each capture (by its name's start) and what reads its payload.
APIS = {
    "image_upload": UPLOAD,
    "queryProductDetail": parsing.QUERY_DETAIL_API,
    "alibaba_product_get": parsing.PRODUCT_GET_API,
}
READERS: dict[str, Callable[[Any], list[common_pb2.Offer]]] = {
    "imageQuery": _search,
    "keywordQuery": _search,
    "querySellerOfferList": _search,
    "queryProductDetail": lambda payload: [parsing.parse_query_detail(payload)],
    "alibaba_product_get": lambda payload: [parsing.parse_product_get(payload)],
    "image_upload": _image_id,
}


@cache
def seeds() -> tuple[tuple[str, int, str], ...]:
    """(reader, HTTP status, body text) for every capture, in each envelope it can come in."""
    found = []
    for path in sorted(REAL_DIR.glob("*.json")):
        reader = path.name.split("__")[0]
        if reader == "error":  # as quoted (HTTP 400 or 401), and inside a 200
            found.append((reader, 400, path.read_text(encoding="utf-8")))
            found.append((reader, 200, path.read_text(encoding="utf-8")))
        elif reader == "alibaba_product_get":
            found.append((reader, 200, json.dumps(load(path.name), ensure_ascii=False)))
        else:
            for envelope in ENVELOPES:
                body = served(path.name, envelope)
                found.append((reader, 200, json.dumps(body, ensure_ascii=False)))
    return tuple(found)


def _slots(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) in the tree, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            _slots(value, found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            _slots(value, found)
    return found


def _swapped(value: Any) -> Any:
    """A string as a number and a number as a string, as other captures send them."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            number = float(value.rstrip("%"))
        except ValueError:
            return len(value)
        return int(number) if number.is_integer() and abs(number) < 1e18 else number
    return json.dumps(value, ensure_ascii=False)


def _odd(draw: st.DrawFn) -> Any:
    """One of ODD_VALUES, a copy (a container shared between places could become a cycle)."""
    return copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))


def _mutate(tree: Any, draw: st.DrawFn) -> None:
    """1-5 changes, each to one place or to a field by name wherever it is (as another
    capture would send that field: every row alike)."""
    for _ in range(draw(st.integers(1, 5))):
        slots = _slots(tree, [])
        if not slots:
            return
        if draw(st.booleans()):
            chosen = [slots[draw(st.integers(0, len(slots) - 1))]]
        else:
            names = sorted({key for _, key in slots if isinstance(key, str)})
            if not names:
                return
            name = draw(st.sampled_from(names))
            chosen = [(holder, key) for holder, key in slots if key == name]
        kind = draw(st.sampled_from(["drop", "null", "swap", "empty", "extra", "odd"]))
        new = _odd(draw) if kind == "odd" else copy.deepcopy(draw(st.sampled_from(["", [], {}])))
        extra = draw(st.sampled_from(["similarity", "zz_new", "data", "code", "result"]))
        for holder, key in reversed(chosen):  # from the end: list indexes stay valid
            _change(holder, key, kind, copy.deepcopy(new), extra)


def _change(holder: Any, key: Any, kind: str, new: Any, extra: str) -> None:
    value = holder[key]
    if kind == "drop":
        del holder[key]
    elif kind == "null":
        holder[key] = None
    elif kind == "swap":
        holder[key] = _swapped(value)
    elif kind == "extra" and isinstance(value, dict):
        value[extra] = new
    else:
        holder[key] = new


@st.composite
def mutated_bodies(draw: st.DrawFn) -> tuple[str, int, bytes]:
    reader, status, text = draw(st.sampled_from(seeds()))
    tree = json.loads(text)
    _mutate(tree, draw)
    raw = json.dumps(tree, ensure_ascii=False).encode()
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return reader, status, raw


def _check_money(money: Any) -> None:
    assert money_problem(money) is None
    assert money.currency_code == "CNY"
    assert from_money(money) > 0


def _check_offer(offer: common_pb2.Offer) -> None:
    assert offer.offer_id and offer.offer_id == offer.offer_id.strip()
    if offer.HasField("price"):
        _check_money(offer.price)
    for ladder in (offer.price_ladder, offer.detail.price_ladder):
        starts = [tier.min_quantity for tier in ladder]
        assert starts == sorted(set(starts))
        for tier in ladder:
            _check_money(tier.unit_price)
            assert tier.min_quantity >= 1
            assert tier.max_quantity == 0 or tier.max_quantity >= tier.min_quantity
    for field in ("sku_price_min", "sku_price_max"):
        if offer.detail.HasField(field):
            _check_money(getattr(offer.detail, field))
    if offer.image_url:
        url = urlsplit(offer.image_url)
        assert url.netloc and (
            url.scheme == "https" or (url.scheme == "http" and "alicdn" not in url.netloc)
        )
    assert offer.month_sold >= 0 and offer.min_order >= 0 and offer.detail.min_order >= 0
    assert 0 <= offer.repurchase_rate <= 1
    assert math.isfinite(offer.supplier.trade_score)
    assert math.isfinite(offer.detail.unit_weight_kg)
    assert all(
        name and value for name, value in ((a.name, a.value) for a in offer.detail.attributes)
    )
    assert common_pb2.Offer.FromString(offer.SerializeToString()) == offer


def _read(reader: str, status: int, raw: bytes) -> list[common_pb2.Offer]:
    """What the gateway makes of the reply: offers, or an UpstreamError (checked) raised."""
    api = APIS.get(reader, SEARCH)
    body = parsing.decode_body(api, raw)
    error = errors.classify(api, status, body)
    if error is not None:
        raise error
    payload = parsing.unwrap_result(api, body, image_api=reader == "image_upload")
    try:
        return READERS.get(reader, _search)(payload)  # an error body as imageQuery's reply
    except UpstreamError as exc:
        # Past the envelope only "malformed" may be said of a reply.
        assert isinstance(exc, UpstreamMalformed), exc
        raise


def test_every_seed_reads_as_captured() -> None:
    for reader, status, text in seeds():
        if reader == "error":
            continue
        offers = _read(reader, status, text.encode())
        assert bool(offers) is (reader != "image_upload"), reader
        for offer in offers:
            _check_offer(offer)


@FUZZ
@given(mutated_bodies())
def test_mutated_real_bodies(case: tuple[str, int, bytes]) -> None:
    try:
        offers = _read(*case)
    except UpstreamError as exc:
        assert exc.reason in REASONS, exc
        return
    for offer in offers:
        _check_offer(offer)
