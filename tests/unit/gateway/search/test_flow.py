"""The search and detail flows against a scripted upstream: caching, paging, enrichment."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from factoryfinder.v1 import common_pb2

from services.gateway.errors import to_service_error
from services.gateway.offers.details import DetailUnavailable
from services.gateway.runtime import GatewayRuntime, build_runtime
from services.gateway.search.flow import upload_param
from services.gateway.search.request import (
    InvalidSearch,
    SearchFilters,
    SearchImage,
    SearchQuery,
)
from services.gateway.settings import load_gateway_settings
from services.gateway.upstream import errors
from services.gateway.upstream.client import CallContext
from services.gateway.upstream.errors import QuotaExhausted
from tests.unit.gateway.fake_upstream import APP_KEY, SECRET, TOKEN, FakeUpstream
from tests.unit.gateway.local_http import LocalHttp
from tests.unit.gateway.store.held_puts import HeldPuts

UPLOAD = "product.image.upload"
QUERY = "product.search.imageQuery"
DETAIL = "product.search.queryProductDetail"
GET = "alibaba.product.get"


def image(seed: bytes, phash: int | None = None, side: int = 0) -> SearchImage:
    jpeg = b"\xff\xd8fake-jpeg-" + seed
    return SearchImage(jpeg, hashlib.sha256(jpeg).hexdigest(), phash, side, side)


def ctx() -> CallContext:
    return CallContext("acme", time.monotonic() + 10)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeUpstream]:
    scripted = FakeUpstream()
    server = LocalHttp(scripted.handle)
    await server.start()
    scripted.url = server.url
    yield scripted
    await server.stop()


async def runtime_for(upstream: FakeUpstream, **env: str) -> GatewayRuntime:
    settings = load_gateway_settings(
        {
            "FF_GATEWAY_APP_KEY": APP_KEY,
            "FF_GATEWAY_APP_SECRET": SECRET,
            "FF_GATEWAY_ACCESS_TOKEN": TOKEN,
            "FF_GATEWAY_STORE_URL": "memory://",
            "FF_GATEWAY_UPSTREAM_URL": f"{upstream.url}/openapi",
            **env,
        }
    )
    return build_runtime(settings)


@pytest.fixture
async def runtime(upstream: FakeUpstream) -> AsyncIterator[GatewayRuntime]:
    built = await runtime_for(upstream)
    yield built
    await built.close()


async def test_first_page_then_paging_reuses_the_upload(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"a")
    first_ctx = ctx()
    first = await runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), first_ctx)
    assert len(first.offers) == 20
    assert first.total_results == 45
    assert first.page == 1
    assert not first.from_cache
    assert dict(first.spent) == {UPLOAD: 1, QUERY: 1}
    assert first.offers[0].repurchase_rate == pytest.approx(0.13)
    second_ctx = ctx()
    second = await runtime.flow.search(
        SearchQuery(None, first.next_page_token, SearchFilters(), 0), second_ctx
    )
    assert second.page == 2
    assert second.offers[0].offer_id == "500020"
    assert dict(second.spent) == {QUERY: 1}
    third = await runtime.flow.search(
        SearchQuery(None, second.next_page_token, SearchFilters(), 0), ctx()
    )
    assert len(third.offers) == 5
    assert third.next_page_token == ""
    assert upstream.calls[UPLOAD] == 1


async def test_a_repeat_search_spends_nothing(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"b")
    await runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    before = sum(upstream.calls.values())
    repeat = await runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    assert repeat.from_cache
    assert sum(repeat.spent.values()) == 0
    assert sum(upstream.calls.values()) == before
    assert len(repeat.offers) == 20


async def test_a_search_does_not_wait_for_its_cache_writes_and_closing_does(
    upstream: FakeUpstream,
) -> None:
    built = await runtime_for(upstream)
    held = HeldPuts(built.store)
    photo = image(b"behind")
    first = await built.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    await asyncio.sleep(0)
    # Answered while the imageId and the page are still on their way to the store ...
    assert not first.from_cache and held.started == 2
    # ... and this process finds both at once: the repeat spends nothing.
    repeat = await built.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    assert repeat.from_cache and sum(repeat.spent.values()) == 0
    assert (upstream.calls[UPLOAD], upstream.calls[QUERY]) == (1, 1)
    at_close: list[bytes | None] = []
    close_store = built.store.close

    async def close_after_reading() -> None:
        at_close.append(await built.store.get(f"cache:image:{photo.sha256}"))
        await close_store()

    built.store.close = close_after_reading  # type: ignore[method-assign]
    closing = asyncio.ensure_future(built.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    held.release.set()
    await closing
    # The store was closed only after the writes had landed.
    assert at_close == [b"1001"]


async def test_a_near_duplicate_photo_reuses_the_upload_and_its_pages(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    first = await runtime.flow.search(
        SearchQuery(image(b"c", 0xF0F0), "", SearchFilters(), 0), ctx()
    )
    near_photo = image(b"c2", 0xF0F1)
    near = await runtime.flow.search(SearchQuery(near_photo, "", SearchFilters(), 0), ctx())
    assert near.from_cache
    assert dict(near.spent) == {}
    assert [o.offer_id for o in near.offers] == [o.offer_id for o in first.offers]
    assert (upstream.calls[UPLOAD], upstream.calls[QUERY]) == (1, 1)
    # Its page token names the near-duplicate, so it pages on with that photo.
    second = await runtime.flow.search(
        SearchQuery(near_photo, near.next_page_token, SearchFilters(), 0), ctx()
    )
    assert (second.page, second.from_cache, dict(second.spent)) == (2, False, {QUERY: 1})
    assert (upstream.calls[UPLOAD], upstream.calls[QUERY]) == (1, 2)


async def test_other_options_of_a_known_upload_spend_one_query(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"c3")
    await runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    other = await runtime.flow.search(
        SearchQuery(photo, "", SearchFilters(sort="price_asc"), 0), ctx()
    )
    assert (other.from_cache, dict(other.spent)) == (False, {QUERY: 1})


async def test_concurrent_repeats_of_one_new_photo_spend_one_query(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"c4")
    results = await asyncio.gather(
        *(runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx()) for _ in range(4))
    )
    assert (upstream.calls[UPLOAD], upstream.calls[QUERY]) == (1, 1)
    assert sorted(r.from_cache for r in results) == [False, True, True, True]
    app, _, _ = await runtime.ledger.usage("acme")
    # The units the waiting callers held for a query they did not need went back.
    assert {line.api: line.used for line in app}[QUERY] == 1


async def test_concurrent_searches_of_one_new_photo_upload_once(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"d")
    filters = [SearchFilters(page_size=size) for size in (10, 20, 30, 40)]
    await asyncio.gather(
        *(runtime.flow.search(SearchQuery(photo, "", f, 0), ctx()) for f in filters)
    )
    assert upstream.calls[UPLOAD] == 1
    assert upstream.calls[QUERY] == 4


async def test_a_token_only_works_with_its_filters(runtime: GatewayRuntime) -> None:
    first = await runtime.flow.search(SearchQuery(image(b"e"), "", SearchFilters(), 0), ctx())
    other = SearchFilters(certified_only=True)
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(SearchQuery(None, first.next_page_token, other, 0), ctx())
    assert caught.value.page_token
    with pytest.raises(InvalidSearch):
        await runtime.flow.search(SearchQuery(None, "garbage", SearchFilters(), 0), ctx())


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (SearchFilters(page_size=51), "page_size"),
        (SearchFilters(category_id="shoes"), "category_id"),
        (SearchFilters(sort="?"), "sort"),
    ],
)
async def test_bad_filters(runtime: GatewayRuntime, filters: SearchFilters, field: str) -> None:
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(SearchQuery(image(b"f"), "", filters, 0), ctx())
    assert caught.value.field == field


async def test_a_negative_enrichment_is_refused(runtime: GatewayRuntime) -> None:
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(SearchQuery(image(b"f"), "", SearchFilters(), -1), ctx())
    assert caught.value.field == "enrich_top_k"


async def test_enrichment_falls_back_when_the_first_detail_api_is_refused(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    upstream.declined.add(DETAIL)
    result = await runtime.flow.search(SearchQuery(image(b"g"), "", SearchFilters(), 3), ctx())
    assert result.enriched_count == 3
    assert result.enrich_limit == 3
    details = [offer.detail for offer in result.offers[:3]]
    assert all(d.status == common_pb2.DETAIL_STATUS_AVAILABLE for d in details)
    assert {d.source_api for d in details} == {GET}
    assert details[0].biz_type == 2
    assert result.spent[GET] == 3
    assert 1 <= result.spent[DETAIL] <= 3
    assert not result.offers[3].HasField("detail")


async def test_enrichment_with_every_detail_api_refused_degrades(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    upstream.declined.update({DETAIL, GET})
    result = await runtime.flow.search(SearchQuery(image(b"h"), "", SearchFilters(), 2), ctx())
    assert result.enriched_count == 0
    statuses = {offer.detail.status for offer in result.offers[:2]}
    assert statuses == {common_pb2.DETAIL_STATUS_ACL_DECLINED}
    assert "may not call" in result.offers[0].detail.unavailable_reason


async def test_enrichment_is_capped_by_configuration(upstream: FakeUpstream) -> None:
    runtime = await runtime_for(upstream, FF_GATEWAY_ENRICH_CAP="2")
    try:
        result = await runtime.flow.search(SearchQuery(image(b"i"), "", SearchFilters(), 10), ctx())
    finally:
        await runtime.close()
    assert result.enrich_limit == 2
    assert result.enriched_count == 2
    assert dict(result.spent)[DETAIL] == 2


async def test_details_are_cached(runtime: GatewayRuntime, upstream: FakeUpstream) -> None:
    first = await runtime.details.get("584051070147", "en", ctx())
    again = await runtime.details.get("584051070147", "en", ctx())
    assert not first.from_cache and again.from_cache
    assert again.offer.detail.min_order == 10
    assert upstream.calls[DETAIL] == 1


async def test_a_spent_query_budget_burns_no_upload(upstream: FakeUpstream) -> None:
    runtime = await runtime_for(upstream, FF_GATEWAY_BUDGETS=f"{QUERY}=1")
    try:
        await runtime.flow.search(SearchQuery(image(b"j"), "", SearchFilters(), 0), ctx())
        with pytest.raises(QuotaExhausted):
            await runtime.flow.search(SearchQuery(image(b"k"), "", SearchFilters(), 0), ctx())
        app, _, _ = await runtime.ledger.usage("acme")
    finally:
        await runtime.close()
    assert upstream.calls[UPLOAD] == 1
    assert {line.api: line.used for line in app}[UPLOAD] == 1


async def test_a_refused_photo_refunds_the_held_query(upstream: FakeUpstream) -> None:
    upstream.refuse_images = True
    runtime = await runtime_for(upstream)
    try:
        with pytest.raises(errors.UpstreamError) as caught:
            await runtime.flow.search(SearchQuery(image(b"l"), "", SearchFilters(), 0), ctx())
        app, _, _ = await runtime.ledger.usage("acme")
    finally:
        await runtime.close()
    assert caught.value.reason == errors.IMAGE_REJECTED
    used = {line.api: line.used for line in app}
    assert used[QUERY] == 0
    assert used[UPLOAD] == 1


async def test_the_query_param_is_what_1688_expects(upstream: FakeUpstream) -> None:
    filters = SearchFilters(
        page_size=30,
        category_id="1038378",
        price_min=Decimal("10.5"),
        certified_only=True,
        sort="price_asc",
    ).checked("en")
    assert filters.query_param("img1", 2) == (
        '{"imageId":"img1","beginPage":2,"pageSize":30,"country":"en","categoryId":1038378,'
        '"priceStart":"10.5","filter":"certifiedFactory","sort":"{\\"price\\":\\"asc\\"}"}'
    )


async def test_an_expired_upload_is_uploaded_again(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"m")
    first = await runtime.flow.search(SearchQuery(photo, "", SearchFilters(), 0), ctx())
    upstream.forget_uploads()
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(
            SearchQuery(None, first.next_page_token, SearchFilters(), 0), ctx()
        )
    assert caught.value.page_token
    second = await runtime.flow.search(
        SearchQuery(photo, first.next_page_token, SearchFilters(), 0), ctx()
    )
    assert second.page == 2
    assert dict(second.spent) == {QUERY: 2, UPLOAD: 1}
    assert upstream.calls[UPLOAD] == 2


async def test_an_offer_outside_the_curated_pool_is_asked_of_product_get(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    upstream.outside_pool.add("584051070147")
    outside = await runtime.details.get("584051070147", "en", ctx())
    inside = await runtime.details.get("584051070148", "en", ctx())
    assert outside.offer.detail.status == common_pb2.DETAIL_STATUS_AVAILABLE
    assert outside.offer.detail.source_api == GET
    # The refusal is the offer's, not the API's: the next offer still asks queryProductDetail.
    assert inside.offer.detail.source_api == DETAIL
    assert (upstream.calls[DETAIL], upstream.calls[GET]) == (2, 1)


async def test_outside_the_pool_with_no_fallback_is_an_unavailable_detail(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    upstream.outside_pool.add("584051070147")
    upstream.declined.add(GET)
    with pytest.raises(DetailUnavailable) as caught:
        await runtime.details.get("584051070147", "en", ctx())
    assert caught.value.status == common_pb2.DETAIL_STATUS_NOT_IN_CURATED_POOL
    assert "curated pool" in caught.value.reason
    error = to_service_error(caught.value)
    assert error is not None
    assert (error.code.value, error.reason) == ("FAILED_PRECONDITION", "DETAIL_UNAVAILABLE")
    assert error.metadata["detail_status"] == "NOT_IN_CURATED_POOL"
    enriched = common_pb2.Offer(offer_id="584051070147")
    assert not await runtime.details.enrich(enriched, "en", ctx())
    assert enriched.detail.status == common_pb2.DETAIL_STATUS_NOT_IN_CURATED_POOL
    # The refusal is remembered: asking again spends no queryProductDetail call.
    assert upstream.calls[DETAIL] == 1


async def test_offers_carry_their_place_in_the_upstream_order(runtime: GatewayRuntime) -> None:
    first = await runtime.flow.search(SearchQuery(image(b"n"), "", SearchFilters(), 0), ctx())
    second = await runtime.flow.search(
        SearchQuery(None, first.next_page_token, SearchFilters(), 0), ctx()
    )
    assert [o.upstream_rank for o in first.offers] == list(range(1, 21))
    assert [o.upstream_rank for o in second.offers] == list(range(21, 41))
    assert all(o.similarity == 0 for o in first.offers + second.offers)


async def test_the_subject_and_keyword_go_upstream_on_every_page(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    filters = SearchFilters(subject=(0.5, 0.5, 1.0, 1.0), keyword="纯棉")
    first = await runtime.flow.search(SearchQuery(image(b"o", side=256), "", filters, 0), ctx())
    await runtime.flow.search(SearchQuery(None, first.next_page_token, filters, 0), ctx())
    assert [(q["region"], q["keyword"], q["beginPage"]) for q in upstream.queries] == [
        ("128,255,128,255", "纯棉", 1),
        ("128,255,128,255", "纯棉", 2),
    ]
    regions = first.picture_regions
    assert regions is not None
    searched = regions.searched
    assert (searched.left, searched.top, searched.right, searched.bottom) == (0.5, 0.5, 1, 1)
    assert [(b.left, b.top, b.right, b.bottom) for b in regions.others] == [(0, 0, 1, 1)]


async def test_the_subject_and_keyword_are_part_of_the_cached_result(
    runtime: GatewayRuntime, upstream: FakeUpstream
) -> None:
    photo = image(b"p", side=256)
    for filters in (
        SearchFilters(),
        SearchFilters(keyword="不锈钢"),
        SearchFilters(subject=(0, 0, 0.5, 0.5)),
        SearchFilters(subject=(0, 0, 0.5, 0.5)),
    ):
        await runtime.flow.search(SearchQuery(photo, "", filters, 0), ctx())
    assert upstream.calls[QUERY] == 3
    first = await runtime.flow.search(SearchQuery(photo, "", SearchFilters(keyword="x"), 0), ctx())
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(
            SearchQuery(None, first.next_page_token, SearchFilters(keyword="y"), 0), ctx()
        )
    assert caught.value.page_token


@pytest.mark.parametrize(
    ("filters", "side", "field"),
    [
        (SearchFilters(subject=(0.5, 0, 0.5, 1)), 256, "subject"),
        (SearchFilters(subject=(0, 0, 1, 1)), 0, "image.width"),
        (SearchFilters(keyword="字" * 51), 256, "keyword"),
    ],
)
async def test_bad_subjects_and_keywords(
    runtime: GatewayRuntime, filters: SearchFilters, side: int, field: str
) -> None:
    with pytest.raises(InvalidSearch) as caught:
        await runtime.flow.search(SearchQuery(image(b"q", side=side), "", filters, 0), ctx())
    assert caught.value.field == field


async def test_enrichment_fills_what_a_live_row_lacks(runtime: GatewayRuntime) -> None:
    result = await runtime.flow.search(SearchQuery(image(b"r"), "", SearchFilters(), 1), ctx())
    enriched, plain = result.offers[0], result.offers[1]
    assert enriched.supplier.id == "BBBfakeSeller"
    assert list(enriched.category_path) == ["10166", "1031919"]
    assert enriched.category_id == "1031919"
    assert enriched.min_order == 10
    assert enriched.supplier.address == "广东省广州市"  # the shipping origin places it
    assert (plain.supplier.id, plain.category_id, plain.min_order) == ("", "", 0)
    assert plain.supplier.address == ""


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000, 65_537])
def test_the_upload_param_is_the_json_of_the_photos_base64(size: int) -> None:
    photo = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    encoded = base64.b64encode(photo).decode("ascii")
    expected = json.dumps({"imageBase64": encoded}, separators=(",", ":"))
    assert upload_param(photo) == expected
    assert base64.b64decode(json.loads(upload_param(photo))["imageBase64"]) == photo
