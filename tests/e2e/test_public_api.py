"""The whole job through the public API, against the full stack and the sandbox."""

from __future__ import annotations

import asyncio
import io
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc
import pytest
from factoryfinder.v1 import common_pb2, planning_pb2, search_pb2, search_pb2_grpc
from google.rpc import error_details_pb2, status_pb2
from google.type import money_pb2
from PIL import Image, ImageDraw

from services.sandbox.admin.client import SandboxAdmin
from services.sandbox.catalog.ground_truth import product_id, product_photo
from shared.grpc_errors import status_of
from tests.buyer_photos import CONDITIONS, buyer_photo
from tests.e2e.photos import manifest, sample, variant
from tests.e2e.stack import Stack

UPLOAD = "product.image.upload"
DETAIL_APIS = ("product.search.queryProductDetail", "alibaba.product.get")


@pytest.fixture
async def stub(stack: Stack) -> AsyncIterator[search_pb2_grpc.SearchServiceAsyncStub]:
    async with grpc.aio.insecure_channel(stack.target) as channel:
        yield search_pb2_grpc.SearchServiceStub(channel)


def _photo(
    data: bytes, role: common_pb2.PhotoRole.ValueType = common_pb2.PHOTO_ROLE_PRODUCT
) -> common_pb2.Photo:
    return common_pb2.Photo(image_data=data, role=role)


def _reason(status: status_pb2.Status) -> str:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


async def test_factory_first_and_traders_grouped_under_it(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    truth = manifest()
    request = search_pb2.SearchByImageRequest(
        photo=_photo(sample("phone_rotated.jpg")),
        # A buyer looking for this product keeps the offers that look like it; among
        # them the factory must come first, its traders grouped under it.
        options=search_pb2.SearchOptions(
            filters=common_pb2.Filters(purchase_quantity=100, min_similarity=60)
        ),
    )
    response = await stub.SearchByImage(request, metadata=stack.metadata, timeout=60)
    top = response.offers[0]
    assert top.offer.offer_id == truth.source_offer_id, stack.logs()
    assert top.offer.supplier.kind == common_pb2.SUPPLIER_KIND_SOURCE_FACTORY
    assert top.is_group_source
    group = next(g for g in response.groups if g.source_offer_id == truth.source_offer_id)
    resellers = set(group.offer_ids) - {group.source_offer_id}
    assert len(resellers) >= 2
    assert resellers <= set(truth.offer_ids)
    flagged = {r.offer.offer_id for r in response.offers if r.is_reseller}
    assert resellers <= flagged
    assert response.analysis.top_factory_offer_id == truth.source_offer_id
    assert [t.stage for t in response.timings][-1] == "total"
    assert {s.api for s in response.quota_spent} >= {UPLOAD, "product.search.imageQuery"}


async def test_verify_searches_photos_concurrently(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    async with SandboxAdmin(stack.sandbox_url) as admin:
        before = max((c.seq for c in await admin.requests()), default=0)
        await admin.set_faults(latency_ms=300)
        try:
            photos = [
                _photo(variant("phone_rotated.jpg", 1)),
                _photo(variant("detail_closeup.jpg", 1), common_pb2.PHOTO_ROLE_DETAIL),
                _photo(variant("low_contrast.jpg", 1)),
            ]
            response = await stub.VerifyByImages(
                search_pb2.VerifyByImagesRequest(photos=photos),
                metadata=stack.metadata,
                timeout=60,
            )
        finally:
            await admin.set_faults(latency_ms=0)
        uploads = await admin.requests(since=before, api=UPLOAD)
    assert len(uploads) == 3
    # Structural proof of concurrency: every upload began before any had finished.
    assert max(u.start for u in uploads) < min(u.end or 0 for u in uploads)
    assert all(o.ok for o in response.photos)
    assert response.min_photos == 2
    assert response.offers, "the three photos agree on at least one offer"
    assert response.offers[0].found_by >= 2
    truth = manifest()
    assert truth.source_offer_id in {v.ranked.offer.offer_id for v in response.offers}


async def test_verify_survives_one_corrupt_photo(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    photos = [
        _photo(variant("phone_rotated.jpg", 2)),
        _photo(variant("product.webp", 2)),
        _photo(b"this is not an image at all"),
    ]
    response = await stub.VerifyByImages(
        search_pb2.VerifyByImagesRequest(photos=photos), metadata=stack.metadata, timeout=60
    )
    assert [o.ok for o in response.photos] == [True, True, False]
    failed = response.photos[2]
    assert failed.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert _reason(failed.error) == "NOT_AN_IMAGE"
    assert response.offers


async def test_verify_with_too_few_good_photos_fails_precondition(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    photos = [_photo(variant("phone_rotated.jpg", 3)), _photo(b"junk"), _photo(b"more junk")]
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.VerifyByImages(
            search_pb2.VerifyByImagesRequest(photos=photos), metadata=stack.metadata, timeout=60
        )
    assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_batch_streams_thirty_results_with_progress(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    names = [
        "phone_rotated.jpg",
        "low_contrast.jpg",
        "product.webp",
        "cutout.png",
        "detail_closeup.jpg",
    ]

    async def requests() -> AsyncIterator[search_pb2.BatchSearchRequest]:
        for i in range(30):
            data = b"\x89PNG broken" if i % 6 == 5 else variant(names[i % 5], 100 + i)
            yield search_pb2.BatchSearchRequest(
                item_id=f"item-{i}", photo=_photo(data), expected_total=30
            )

    replies = [r async for r in stub.BatchSearch(requests(), metadata=stack.metadata, timeout=240)]
    assert len(replies) == 30
    assert sorted(r.item_id for r in replies) == sorted(f"item-{i}" for i in range(30))
    errors = {r.item_id for r in replies if r.HasField("error")}
    assert errors == {f"item-{i}" for i in range(30) if i % 6 == 5}
    assert all(r.result.offers for r in replies if r.HasField("result"))
    assert [r.progress.done for r in replies] == list(range(1, 31))
    assert replies[-1].progress.failed == 5
    assert replies[-1].progress.total == 30
    assert replies[-1].progress.quota_spent >= 25 * 2


async def _customizable_and_not(stack: Stack) -> tuple[list[str], str]:
    """Two offers the sandbox says take custom orders, and one that does not."""
    async with SandboxAdmin(stack.sandbox_url) as admin:
        products = (await admin.catalog(limit=100))["products"]
    offers = [o for p in products for o in p["offers"]]
    yes = [str(o["offer_id"]) for o in offers if o["customizable"]][:2]
    no = next(str(o["offer_id"]) for o in offers if not o["customizable"])
    return yes, no


async def test_plan_custom_order_compares_offers_from_their_detail(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    yes, no = await _customizable_and_not(stack)
    order = planning_pb2.OrderSpec(quantity=100, complexity=common_pb2.COMPLEXITY_STANDARD)
    gone = "100000000001"
    response = await stub.PlanCustomOrder(
        search_pb2.PlanCustomOrderRequest(offer_ids=[*yes, no, gone], order=order),
        metadata=stack.metadata,
        timeout=60,
    )
    assert sorted(p.offer_id for p in response.plans) == sorted(yes)
    assert sorted((r.offer_id, r.reason) for r in response.refusals) == sorted(
        [(no, "NOT_CUSTOMIZABLE"), (gone, "OFFER_NOT_FOUND")]
    )
    totals = [p.grand_total.units * 10**9 + p.grand_total.nanos for p in response.plans]
    assert totals == sorted(totals)
    for plan in response.plans:
        assert plan.planned_quantity >= 100
        assert plan.batch_total.units > 0
    assert {s.api for s in response.quota_spent} & {
        "product.search.queryProductDetail",
        "alibaba.product.get",
    }


async def test_plan_for_one_offer_that_cannot_customize_is_refused(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    _yes, no = await _customizable_and_not(stack)
    order = planning_pb2.OrderSpec(quantity=100, complexity=common_pb2.COMPLEXITY_SIMPLE)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.PlanCustomOrder(
            search_pb2.PlanCustomOrderRequest(offer_ids=[no], order=order),
            metadata=stack.metadata,
            timeout=60,
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    status = status_of(refused.value)
    assert status is not None and _reason(status) == "NOT_CUSTOMIZABLE"


async def test_a_bad_order_is_refused_before_any_detail_is_paid_for(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    async with SandboxAdmin(stack.sandbox_url) as admin:
        products = (await admin.catalog(limit=100))["products"]
        # Offers no other test plans (so no detail of theirs is in the gateway's cache) and
        # one that does not exist: with a good order each would be fetched upstream.
        fresh = [str(o["offer_id"]) for p in products[-3:] for o in p["offers"]][-2:]
        ids = [*fresh, "100000000003"]
        simple = common_pb2.COMPLEXITY_SIMPLE
        orders = [
            planning_pb2.OrderSpec(quantity=0, complexity=simple),
            planning_pb2.OrderSpec(quantity=100, complexity=simple, destination_province="火星"),
            planning_pb2.OrderSpec(quantity=-5),
        ]
        before = max((c.seq for c in await admin.requests()), default=0)
        refusals = []
        for order in orders:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.PlanCustomOrder(
                    search_pb2.PlanCustomOrderRequest(offer_ids=ids, order=order),
                    metadata=stack.metadata,
                    timeout=60,
                )
            refusals.append(_refusal(refused.value))
        details = [c.api for c in await admin.requests(since=before) if c.api in DETAIL_APIS]
    assert refusals == [
        (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUANTITY", ["order.quantity"]),
        (grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_REGION", ["order.destination_province"]),
        (
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_REQUEST",
            ["order.quantity", "order.complexity"],
        ),
    ]
    assert details == [], "no upstream detail call is paid for an order that is refused"


async def test_quota_view_and_authentication(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    quota = await stub.GetQuota(search_pb2.GetQuotaRequest(), metadata=stack.metadata, timeout=10)
    lines = {line.api: line for line in quota.usage}
    assert lines[UPLOAD].used >= 1
    assert lines[UPLOAD].remaining == lines[UPLOAD].limit - lines[UPLOAD].used
    assert quota.resets_at.seconds > time.time()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetQuota(search_pb2.GetQuotaRequest(), timeout=10)
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_deadline_is_enforced_and_upstream_call_cancelled(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    async with SandboxAdmin(stack.sandbox_url) as admin:
        await admin.set_faults(latency_ms=2000)
        before = max((c.seq for c in await admin.requests()), default=0)
        try:
            request = search_pb2.SearchByImageRequest(photo=_photo(variant("product.webp", 7)))
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as late:
                await stub.SearchByImage(request, metadata=stack.metadata, timeout=0.2)
            elapsed = time.monotonic() - started
            assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert elapsed < 0.2 + 1.0
            await asyncio.sleep(2.5)
            uploads = await admin.requests(since=before, api=UPLOAD)
        finally:
            await admin.set_faults(latency_ms=0)
    assert len(uploads) == 1
    assert uploads[0].status == 499, "the gateway hung up on the upstream when the deadline passed"


# --- the answer: who makes the product in this photo (issue 15) ---------------------------


def _condition_photo(condition: str, seed: int = 0) -> common_pb2.Photo:
    truth = json.loads(sample("manifest.json"))
    picture = product_photo(int(truth["seed"]), product_id(int(truth["product"])), 800)
    return _photo(buyer_photo(picture, condition, seed))


async def test_every_offer_is_compared_by_factoryfinders_own_eye(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    truth = manifest()
    response = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(photo=_condition_photo("phone", 41)),
        metadata=stack.metadata,
        timeout=60,
    )
    offers = [r.offer for r in response.offers]
    assert offers and all(o.visual_match.compared for o in offers), stack.logs()
    assert all(o.similarity == o.visual_match.similarity for o in offers)
    assert all(o.has_image_phash for o in offers)
    assert "compare" in [t.stage for t in response.timings]
    # The eye itself: the offer it finds most similar shows the pictured product.
    best = max(offers, key=lambda o: o.similarity)
    assert best.offer_id in truth.offer_ids
    others = [o.similarity for o in offers if o.offer_id not in truth.offer_ids]
    assert best.similarity > max(others, default=0)


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
async def test_the_answer_names_the_factory_and_lists_its_resellers(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub, condition: str
) -> None:
    truth = manifest()
    response = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(photo=_condition_photo(condition)),
        metadata=stack.metadata,
        timeout=60,
    )
    returned = {r.offer.offer_id for r in response.offers}
    answer = response.answer
    if truth.source_offer_id not in returned:
        # 1688 did not return the factory: the answer must not pass another product's seller
        # off as the maker with any confidence.
        named = answer.source_offer_id
        assert not answer.found or named in truth.offer_ids or answer.confidence < 0.5, (
            answer.summary
        )
        return
    assert answer.found, answer.summary
    assert answer.source_offer_id == truth.source_offer_id, answer.summary
    assert response.offers[0].offer.offer_id == truth.source_offer_id
    resellers = {m.offer_id for m in answer.match_set if m.role == common_pb2.MATCH_ROLE_RESELLER}
    returned_resellers = (returned & set(truth.offer_ids)) - {truth.source_offer_id}
    assert resellers <= set(truth.offer_ids)
    if returned_resellers:
        assert resellers, f"none of {sorted(returned_resellers)} listed as resellers"
    assert answer.match_set[0].offer_id == truth.source_offer_id
    assert answer.match_set[0].role == common_pb2.MATCH_ROLE_SOURCE


def _not_in_catalog() -> bytes:
    """A photo of nothing the catalog sells: a patterned ring of triangles on black."""
    image = Image.new("RGB", (900, 900), (10, 10, 12))
    draw = ImageDraw.Draw(image)
    for step in range(12):
        angle = step * 30
        x = 450 + 300 * math.cos(math.radians(angle))
        y = 450 + 300 * math.sin(math.radians(angle))
        draw.polygon(
            [(x, y - 60), (x - 52, y + 30), (x + 52, y + 30)],
            fill=((step * 53) % 256, 255 - step * 20, (step * 97) % 256),
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def test_a_photo_of_something_not_in_the_catalog_gets_a_low_confidence_answer(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    response = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(photo=_photo(_not_in_catalog())),
        metadata=stack.metadata,
        timeout=60,
    )
    answer = response.answer
    assert answer.summary, "the answer says what it found, even when it is nothing"
    assert not answer.found or answer.confidence < 0.5, answer.summary
    if not answer.found:
        assert answer.source_offer_id == ""


async def test_the_answers_source_gets_a_plan_or_an_honest_refusal(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    found = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(photo=_photo(sample("phone_rotated.jpg"))),
        metadata=stack.metadata,
        timeout=60,
    )
    source = found.answer.source_offer_id
    assert found.answer.found and source == manifest().source_offer_id
    order = planning_pb2.OrderSpec(quantity=200, complexity=common_pb2.COMPLEXITY_STANDARD)
    try:
        planned = await stub.PlanCustomOrder(
            search_pb2.PlanCustomOrderRequest(offer_ids=[source], order=order),
            metadata=stack.metadata,
            timeout=60,
        )
    except grpc.aio.AioRpcError as refused:
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        status = status_of(refused)
        assert status is not None and _reason(status) == "NOT_CUSTOMIZABLE"
    else:
        assert [p.offer_id for p in planned.plans] == [source]
        assert planned.plans[0].planned_quantity >= 200
        assert planned.plans[0].grand_total.units > 0


@pytest.mark.parametrize("enrich", [0, 8])
async def test_a_region_filter_keeps_the_offers_1688_did_not_place_marked(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub, enrich: int
) -> None:
    """The sandbox's live rows carry no place, as 1688's do: the README's --region 广东
    example must still answer. Enriched offers are placed by their detail's shipping
    origin (the sample product's factory ships from 东莞); the others stay unknown."""
    truth = manifest()
    response = await stub.SearchByImage(
        search_pb2.SearchByImageRequest(
            photo=_photo(sample("product.webp")),
            options=search_pb2.SearchOptions(
                filters=common_pb2.Filters(purchase_quantity=100, regions=["广东"]),
                enrich_top_k=enrich,
                locale="en",
            ),
        ),
        metadata=stack.metadata,
        timeout=60,
    )
    offers = response.offers
    assert len(offers) >= 10, response.analysis.conclusions
    placed = [r for r in offers if r.offer.supplier.address]
    unknown = [r for r in offers if r.region_unknown]
    assert {r.offer.offer_id for r in unknown} == {r.offer.offer_id for r in offers} - {
        r.offer.offer_id for r in placed
    }
    assert all(r.offer.supplier.address.startswith("广东省") for r in placed)
    assert (len(placed) > 0) == (enrich > 0)
    for ranked in offers:
        marks = [c for c in ranked.score.components if c.name == "region"]
        assert len(marks) == ranked.region_unknown
        assert all("广东 could not be checked" in c.reason for c in marks)
    # Only what a detail placed elsewhere is removed (the sample's resellers in 浙江).
    removed = {r.filter: r.removed for r in response.filter_reports}
    assert removed["regions"] + len(placed) <= response.enriched_count
    assert (removed["regions"] > 0) == (enrich > 0)
    # The report says how many it could not check: the offers marked (no filter runs after).
    unchecked = {r.filter: r.unchecked for r in response.filter_reports}
    assert unchecked["regions"] == len(unknown) > 0
    answer = response.answer
    if truth.source_offer_id in {r.offer.offer_id for r in offers}:
        assert answer.found and answer.source_offer_id == truth.source_offer_id, answer.summary
        assert offers[0].offer.offer_id == truth.source_offer_id
        assert answer.match_set[0].offer_id == truth.source_offer_id
    members = {m.offer_id: m for m in answer.match_set}
    unknown_members = [i for i in members if i in {r.offer.offer_id for r in unknown}]
    for offer_id in unknown_members:
        assert any(e.signal == "region" for e in members[offer_id].reasons)
    if unknown_members:
        assert f"1688 did not say where {len(unknown_members)} of them are" in answer.summary
    # Among the other candidates, the offers known to be in 广东 come first.
    rest = [r.region_unknown for r in offers if r.offer.offer_id not in members]
    assert rest == sorted(rest)


def _refusal(failed: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str, list[str]]:
    status = status_of(failed)
    assert status is not None, failed.details()
    bad = error_details_pb2.BadRequest()
    fields = [v.field for d in status.details if d.Unpack(bad) for v in bad.field_violations]
    return failed.code(), _reason(status), fields


async def test_what_callers_send_wrong_is_invalid_argument_naming_it(
    stack: Stack, stub: search_pb2_grpc.SearchServiceAsyncStub
) -> None:
    async with grpc.aio.insecure_channel(stack.target) as channel:
        # A Go or Java caller's bytes that are not UTF-8 in a string (here the keyword).
        raw = channel.unary_unary(
            "/factoryfinder.v1.SearchService/SearchByImage",
            request_serializer=lambda body: body,
            response_deserializer=search_pb2.SearchByImageResponse.FromString,
        )
        request = search_pb2.SearchByImageRequest(
            photo=_photo(sample("product.webp")), options=search_pb2.SearchOptions(keyword="KW")
        )
        body = request.SerializeToString().replace(b"KW", b"\xff\xfe")
        with pytest.raises(grpc.aio.AioRpcError) as undecodable:
            await raw(body, metadata=stack.metadata, timeout=30)
    code, reason, _fields = _refusal(undecodable.value)
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert "UTF-8" in (undecodable.value.details() or "")

    too_many_nanos = common_pb2.Filters(
        price_min=money_pb2.Money(currency_code="CNY", units=1, nanos=2_000_000_000)
    )
    two = [_photo(sample("product.webp")), _photo(sample("cutout.png"))]

    def search(**options: Any) -> Awaitable[object]:
        request = search_pb2.SearchByImageRequest(
            photo=_photo(sample("product.webp")), options=search_pb2.SearchOptions(**options)
        )
        return stub.SearchByImage(request, metadata=stack.metadata, timeout=60)

    cases: list[tuple[Awaitable[object], tuple[str, list[str]]]] = [
        (search(filters=too_many_nanos), ("INVALID_REQUEST", ["options.filters.price_min"])),
        (search(page_size=51), ("INVALID_REQUEST", ["options.page_size"])),
        (search(profile="cheapest-first"), ("INVALID_REQUEST", ["options.profile"])),
        (
            stub.VerifyByImages(
                search_pb2.VerifyByImagesRequest(photos=two, min_photos=3),
                metadata=stack.metadata,
                timeout=60,
            ),
            ("INVALID_REQUEST", ["min_photos"]),
        ),
        (
            stub.PlanCustomOrder(
                search_pb2.PlanCustomOrderRequest(
                    offer_ids=[manifest().source_offer_id],
                    order=planning_pb2.OrderSpec(
                        quantity=100,
                        complexity=common_pb2.COMPLEXITY_SIMPLE,
                        destination_province="火星",
                    ),
                ),
                metadata=stack.metadata,
                timeout=60,
            ),
            ("UNKNOWN_REGION", ["order.destination_province"]),
        ),
    ]
    for call, (reason, fields) in cases:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert _refusal(refused.value) == (grpc.StatusCode.INVALID_ARGUMENT, reason, fields)
    assert "Traceback" not in stack.logs()
