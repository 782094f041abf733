"""Image search, detail APIs and offer images over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image

from services.sandbox.admin.client import SandboxAdmin
from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.openapi import offer_json
from services.sandbox.openapi.detail_apis import in_curated_pool
from services.sandbox.openapi.offer_json import ROW_SHAPES
from services.sandbox.server import RunningSandbox
from tests.integration.sandbox.conftest import CROSSBORDER, Gateway, MakeSandbox, connect

DETAIL = "product.search.queryProductDetail"


async def _photo_b64(gateway: Gateway, offer_id: int, side: int = 800) -> str:
    """The offer's picture as served (imageUrl with 1688's size suffix)."""
    response = await gateway.http.get(f"/img/ibank/{offer_id}.jpg_{side}x{side}.jpg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    return base64.b64encode(response.content).decode()


async def _image_id(gateway: Gateway, offer_id: int) -> str:
    uploaded = (await gateway.upload(await _photo_b64(gateway, offer_id))).json()
    assert uploaded["result"]["success"] == "true" and uploaded["result"]["code"] == "200"
    image_id: str = uploaded["result"]["result"]
    assert image_id.isdigit() and len(image_id) == 19
    return image_id


def _page(response: dict[str, Any]) -> dict[str, Any]:
    result = response["result"]
    assert result["success"] is True
    page: dict[str, Any] = result["result"]
    return page


@pytest.fixture(params=ROW_SHAPES)
async def shaped(
    request: pytest.FixtureRequest, make_sandbox: MakeSandbox
) -> AsyncIterator[tuple[RunningSandbox, Gateway]]:
    sandbox = await make_sandbox(row_shape=request.param)
    client = await connect(sandbox)
    yield sandbox, client
    await client.aclose()


def _rank(rows: list[dict[str, Any]], offer_id: int) -> int:
    return [r["offerId"] for r in rows].index(offer_id)


async def test_own_photo_finds_its_product_in_engine_order_and_pages(
    shaped: tuple[RunningSandbox, Gateway],
) -> None:
    sandbox, gateway = shaped
    shape = sandbox.state.settings.row_shape
    catalog = sandbox.state.loaded.catalog
    source = catalog.source_of(11)
    image_id = await _image_id(gateway, source.offer_id)
    first = _page(
        (await gateway.query(imageId=image_id, beginPage=1, pageSize=20, country="en")).json()
    )
    assert (first["totalRecords"], first["totalPage"], first["pageSize"], first["currentPage"]) == (
        500,
        25,
        20,
        1,
    )
    rows = first["data"]
    assert isinstance(rows, list) and len(rows) == 20
    assert _rank(rows, source.offer_id) < 3
    assert set(first["picRegionInfo"]) == {"currentRegion", "yoloCropRegion"}
    for row in rows:
        assert not any("similar" in key.lower() for key in row)
        assert ("companyName" in row) is (shape == "doc2026")
        assert ("minOrderQuantity" in row) is (shape == "doc2026")
        assert len(row) == 11 or shape == "doc2026"
    mine = next(r for r in rows if r["offerId"] == source.offer_id)
    if shape == "doc2026":
        assert mine["companyName"] == source.seller.name and mine["minOrderQuantity"] == source.moq
    picture = await gateway.http.get(mine["imageUrl"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    second = _page((await gateway.query(imageId=image_id, beginPage="2", pageSize="20")).json())
    assert not {r["offerId"] for r in rows} & {r["offerId"] for r in second["data"]}
    big = _page((await gateway.query(imageId=image_id, pageSize=80)).json())
    assert big["pageSize"] == 50 and len(big["data"]) == 50


def _jpeg_b64(image: Image.Image, quality: int) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return base64.b64encode(buffer.getvalue()).decode()


async def _ids(gateway: Gateway, image_b64: str, **fields: Any) -> list[int]:
    uploaded = (await gateway.upload(image_b64)).json()["result"]["result"]
    rows = _page((await gateway.query(imageId=uploaded, pageSize=50, **fields)).json())["data"]
    return [r["offerId"] for r in rows]


async def test_engine_order_has_a_real_engines_imperfections(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(qps_default=0, budget_default=0, budgets=())
    gateway = await connect(sandbox)
    try:
        await _check_engine_order(sandbox, gateway)
    finally:
        await gateway.aclose()


async def _check_engine_order(sandbox: RunningSandbox, gateway: Gateway) -> None:
    catalog = sandbox.state.loaded.catalog
    changed = reseller_first = outsiders = 0
    for product in range(0, 120, 4):
        photo = catalog_photos.offer_photo(catalog, catalog.source_of(product), 800)
        once = await _ids(gateway, _jpeg_b64(photo, 90))
        assert await _ids(gateway, _jpeg_b64(photo, 90)) == once  # same query, same order
        again = await _ids(gateway, _jpeg_b64(photo, 89))  # a near-identical query
        assert len(set(once[:20]) & set(again[:20])) >= 14
        changed += once[:20] != again[:20]
        own = set(catalog.products[product].offer_ids)
        reseller_first += once[0] in own and once[0] != catalog.source_of(product).offer_id
        kind = catalog.products[product].kind
        outsiders += any(
            catalog.products[catalog.offers[catalog.index_of[i]].product].kind != kind
            for i in once[:20]
        )
    assert changed >= 10  # near-identical queries order a little differently
    assert reseller_first >= 1  # an edited copy can outrank the source
    assert outsiders >= 15  # unrelated look-alikes on the first page


async def test_region_and_pic_region_info(sandbox: RunningSandbox, gateway: Gateway) -> None:
    catalog = sandbox.state.loaded.catalog
    left = catalog_photos.offer_photo(catalog, catalog.source_of(2), 800)
    right = catalog_photos.offer_photo(catalog, catalog.source_of(9), 800)
    pair = Image.new("RGB", (2000, 1000), (255, 255, 255))
    pair.paste(left, (40, 100))
    pair.paste(right, (1160, 100))
    uploaded = (await gateway.upload(_jpeg_b64(pair, 92))).json()["result"]["result"]
    whole = _page((await gateway.query(imageId=uploaded)).json())
    boxes = whole["picRegionInfo"]["yoloCropRegion"].split(";")
    assert len(boxes) >= 2
    assert whole["picRegionInfo"]["currentRegion"] in boxes
    for box in boxes:
        x0, x1, y0, y1 = (int(v) for v in box.split(","))
        assert 0 <= x0 < x1 <= 1999 and 0 <= y0 < y1 <= 999
    on_right = _page((await gateway.query(imageId=uploaded, region="1160,1959,100,899")).json())
    assert on_right["picRegionInfo"]["currentRegion"] == "1160,1959,100,899"
    right_ids = [r["offerId"] for r in on_right["data"]]
    assert _rank(on_right["data"], catalog.source_of(9).offer_id) < 3
    on_left = _page((await gateway.query(imageId=uploaded, region="40,839,100,899")).json())
    assert _rank(on_left["data"], catalog.source_of(2).offer_id) < 3
    assert right_ids != [r["offerId"] for r in on_left["data"]]


async def test_keyword_narrows_to_titles_that_contain_it(
    shaped: tuple[RunningSandbox, Gateway],
) -> None:
    sandbox, gateway = shaped
    catalog = sandbox.state.loaded.catalog
    apparel = next(p for p in catalog.products if p.top.key == "apparel")
    image_id = await _image_id(gateway, catalog.source_of(apparel.index).offer_id)
    everything = _page((await gateway.query(imageId=image_id, pageSize=50)).json())
    narrowed = _page((await gateway.query(imageId=image_id, keyword="纯棉", pageSize=50)).json())
    assert 0 < narrowed["totalRecords"] < everything["totalRecords"]
    assert all("纯棉" in r["subject"] for r in narrowed["data"])
    order = [r["offerId"] for r in everything["data"] if "纯棉" in r["subject"]]
    assert [r["offerId"] for r in narrowed["data"]][: len(order)] == order


async def test_filters_over_http(shaped: tuple[RunningSandbox, Gateway]) -> None:
    sandbox, gateway = shaped
    catalog = sandbox.state.loaded.catalog
    source = catalog.source_of(3)
    image_id = await _image_id(gateway, source.offer_id)
    top = catalog.products[3].top.top_id
    rows = _page((await gateway.query(imageId=image_id, categoryId=str(top), pageSize=50)).json())[
        "data"
    ]

    def top_of(offer_id: int) -> int:
        offer = catalog.offer(offer_id)
        assert offer is not None
        return catalog.products[offer.product].top.top_id

    assert rows and all(top_of(r["offerId"]) == top for r in rows)
    page = _page(
        (
            await gateway.query(
                imageId=image_id,
                filter="certifiedFactory",
                priceStart="0.5",
                priceEnd="30",
                sort='{"price":"asc"}',
                pageSize=50,
            )
        ).json()
    )
    prices = [float(r["priceInfo"]["price"]) for r in page["data"]]
    assert prices == sorted(prices) and all(0.5 <= p <= 30 for p in prices)
    certified = {o.offer_id for o in catalog.offers if o.seller.certified_factory}
    assert all(r["offerId"] in certified for r in page["data"])
    region = _page((await gateway.query(imageId=image_id, region="0,400,0,400")).json())
    assert region["totalRecords"] == 500


async def test_query_business_errors(gateway: Gateway) -> None:
    unknown = (await gateway.query(imageId="1000000000000000001")).json()
    assert unknown == {
        "result": {
            "success": False,
            "code": "IMAGE_NOT_FOUND",
            "message": "imageId 1000000000000000001 not found or expired",
        }
    }
    bad = await gateway.call(
        CROSSBORDER, "product.search.imageQuery", {"offerQueryParam": "{not json"}
    )
    assert bad.status_code == 200 and bad.json()["result"]["code"] == "PARAM_INVALID"


def _png(size: tuple[int, int], transparent: bool) -> str:
    image = Image.new("RGBA", size, (10, 200, 30, 255))
    if transparent:
        image.putpixel((0, 0), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_upload_refusals_have_the_documented_shapes(gateway: Gateway) -> None:
    prefixed = (await gateway.upload("data:image/png;base64," + _png((900, 900), False))).json()
    assert prefixed == {
        "result": {
            "success": "true",
            "code": "IMAGE_DATA_URI",
            "message": "imageBase64 must not carry a data: prefix",
            "result": "0",
        }
    }
    transparent = (await gateway.upload(_png((900, 900), True))).json()
    assert transparent == {
        "result": {"success": "false", "code": "IMAGE_INVALID", "message": "invalid image"}
    }
    small = (await gateway.upload(_png((600, 900), False))).json()
    assert small["result"]["success"] == "false" and small["result"]["code"] == "IMAGE_TOO_SMALL"
    assert "result" not in small["result"]
    ok = (await gateway.upload(_png((900, 900), False))).json()
    assert ok["result"]["result"].isdigit()


async def test_shape_settings(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(
        success_style="string", upload_refusal_shape="zero_id", min_image_side=200
    )
    gateway = await connect(sandbox)
    try:
        source = sandbox.state.loaded.catalog.source_of(0)
        refused = (await gateway.upload(_png((100, 100), False))).json()
        assert refused["result"]["result"] == "0" and refused["result"]["success"] == "true"
        image_id = await _image_id(gateway, source.offer_id)
        page = (await gateway.query(imageId=image_id)).json()["result"]
        assert page["success"] == "true"
    finally:
        await gateway.aclose()


def _detail_call(offer_id: int) -> dict[str, str]:
    return {"offerDetailParam": json.dumps({"offerId": offer_id, "country": "en"})}


async def test_detail_and_product_get(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(detail_refusal_rate=0.0)
    gateway = await connect(sandbox)
    catalog = sandbox.state.loaded.catalog
    textual = next(o for o in catalog.offers if o.text_ladder_style is not None)
    try:
        detail = (await gateway.call(CROSSBORDER, DETAIL, _detail_call(textual.offer_id))).json()
        result = detail["result"]
        assert result["success"] == "true" and result["result"]["offerId"] == textual.offer_id
        sale = result["result"]["productSaleInfo"]
        assert sale["quoteType"] == 1 and len(sale["priceRangeList"]) == 1
        assert result["result"]["minOrderQuantity"] == textual.moq
        assert "companyName" not in result["result"]
        picture = await gateway.http.get(result["result"]["productImage"]["images"][0])
        assert picture.status_code == 200
        info = (
            await gateway.call(
                "com.alibaba.product",
                "alibaba.product.get",
                {"productID": str(textual.offer_id), "webSite": "1688"},
            )
        ).json()
        assert info["success"] is True and info["productInfo"]["bizType"] == textual.biz_type
        wrong_site = (
            await gateway.call(
                "com.alibaba.product",
                "alibaba.product.get",
                {"productID": "1", "webSite": "alibaba"},
            )
        ).json()
        assert wrong_site == {
            "success": False,
            "errorCode": "WEBSITE_NOT_SUPPORTED",
            "errorMsg": "webSite must be 1688",
        }
    finally:
        await gateway.aclose()


async def test_offers_outside_the_curated_pool_are_refused_inside_a_200(
    sandbox: RunningSandbox, gateway: Gateway
) -> None:
    catalog = sandbox.state.loaded.catalog
    rate = sandbox.state.settings.detail_refusal_rate
    outside = [o for o in catalog.offers if not in_curated_pool(o, catalog.seed, rate)]
    assert 0.5 * rate * len(catalog.offers) < len(outside) < 1.5 * rate * len(catalog.offers)
    assert not any(o.jxhy for o in outside)
    refused = await gateway.call(CROSSBORDER, DETAIL, _detail_call(outside[0].offer_id))
    assert refused.status_code == 200
    assert refused.json() == {
        "result": {
            "success": False,
            "code": "500",
            "message": f"offerId:{outside[0].offer_id} 不是精选货源商品",
        }
    }
    fallback = (
        await gateway.call(
            "com.alibaba.product",
            "alibaba.product.get",
            {"productID": str(outside[0].offer_id), "webSite": "1688"},
        )
    ).json()
    assert fallback["productInfo"]["productID"] == outside[0].offer_id
    inside = next(o for o in catalog.offers if in_curated_pool(o, catalog.seed, rate))
    answered = (await gateway.call(CROSSBORDER, DETAIL, _detail_call(inside.offer_id))).json()
    assert answered["result"]["result"]["offerId"] == inside.offer_id


async def test_request_log_carries_the_callers_request_id(
    sandbox: RunningSandbox, gateway: Gateway, admin: SandboxAdmin
) -> None:
    url, sent = gateway.signed(CROSSBORDER, DETAIL, _detail_call(1))
    await gateway.http.post(url, data=sent, headers={"x-request-id": "bench-42"})
    await gateway.call(CROSSBORDER, DETAIL, _detail_call(1))
    logged = await admin.requests(api=DETAIL)
    assert [entry.request_id for entry in logged] == ["bench-42", ""]


async def test_request_log_spans_the_whole_handling_from_the_requests_arrival(
    sandbox: RunningSandbox, gateway: Gateway, admin: SandboxAdmin
) -> None:
    """The logged start is when the request arrived, not when its form had been read: a
    body that is still arriving is the sandbox's time, never its caller's."""
    url, sent = gateway.signed(CROSSBORDER, DETAIL, _detail_call(1))
    body = str(httpx.QueryParams(sent)).encode()
    moments: dict[str, float] = {}

    async def slowly() -> AsyncIterator[bytes]:
        moments["first"] = time.monotonic()
        yield body[:10]
        await asyncio.sleep(0.2)
        moments["rest"] = time.monotonic()
        yield body[10:]

    headers = {"content-type": "application/x-www-form-urlencoded"}
    reply = await gateway.http.post(url, content=slowly(), headers=headers)
    answered = time.monotonic()
    assert reply.status_code == 200
    (entry,) = await admin.requests(api=DETAIL)
    assert entry.end is not None
    assert moments["first"] <= entry.start < moments["rest"] <= entry.end <= answered


async def test_linkplus_search_by_url(sandbox: RunningSandbox, gateway: Gateway) -> None:
    source = sandbox.state.loaded.catalog.source_of(7)
    pic_url = f"{sandbox.base_url}/img/ibank/{source.offer_id}.jpg"
    found = (
        await gateway.call(
            "com.alibaba.linkplus",
            "alibaba.cross.similar.offer.search",
            {"picUrl": pic_url, "page": "1", "pageSize": "50"},
        )
    ).json()
    rows = found["result"]["result"]
    assert len(rows) == 20 and rows[0]["offerId"] == source.offer_id
    assert rows[0]["oldPrice"] == source.tiers[0].price_fen
    away = (
        await gateway.call(
            "com.alibaba.linkplus",
            "alibaba.cross.similar.offer.search",
            {"picUrl": "https://example.com/a.jpg"},
        )
    ).json()
    assert away["result"]["code"] == "PIC_URL_UNREACHABLE"


async def test_offer_images(sandbox: RunningSandbox, gateway: Gateway) -> None:
    offer = sandbox.state.loaded.catalog.offers[5]
    for path in (
        offer_json.cdn_path(offer),
        offer_json.cdn_path(sandbox.state.loaded.catalog.offers[6]),
    ):
        named = await gateway.http.get(path)
        assert named.status_code == 200
        assert Image.open(io.BytesIO(named.content)).size == (256, 256)
        sized = await gateway.http.get(path + "_400x400.jpg")
        assert Image.open(io.BytesIO(sized.content)).size == (400, 400)
    assert (await gateway.http.get("/O1CN01zzzzzzzz_!!1-0-cib.jpg")).status_code == 404
    default = await gateway.http.get(f"/img/ibank/{offer.offer_id}.jpg")
    assert default.status_code == 200
    assert Image.open(io.BytesIO(default.content)).size == (256, 256)
    large = await gateway.http.get(f"/img/ibank/{offer.offer_id}.jpg_800x800.jpg")
    assert Image.open(io.BytesIO(large.content)).size == (800, 800)
    assert (await gateway.http.get("/img/ibank/1.jpg")).status_code == 404
    assert (await gateway.http.get("/img/ibank/abc.png")).status_code == 404
