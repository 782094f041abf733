"""Image search, detail APIs and offer images over real HTTP."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from PIL import Image

from services.sandbox.server import RunningSandbox
from tests.integration.sandbox.conftest import CROSSBORDER, Gateway, MakeSandbox, connect


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


async def test_own_photo_finds_the_factory_first_and_pages(
    sandbox: RunningSandbox, gateway: Gateway
) -> None:
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
    assert rows[0]["offerId"] == source.offer_id and rows[0]["similarity"] >= 90
    assert [r["similarity"] for r in rows] == sorted((r["similarity"] for r in rows), reverse=True)
    assert rows[0]["imageUrl"] == f"{sandbox.base_url}/img/ibank/{source.offer_id}.jpg"
    assert (
        rows[0]["companyName"] == source.seller.name
        and rows[0]["province"] == source.seller.province
    )
    second = _page((await gateway.query(imageId=image_id, beginPage="2", pageSize="20")).json())
    assert not {r["offerId"] for r in rows} & {r["offerId"] for r in second["data"]}
    big = _page((await gateway.query(imageId=image_id, pageSize=80)).json())
    assert big["pageSize"] == 50 and len(big["data"]) == 50


async def test_filters_over_http(sandbox: RunningSandbox, gateway: Gateway) -> None:
    catalog = sandbox.state.loaded.catalog
    source = catalog.source_of(3)
    image_id = await _image_id(gateway, source.offer_id)
    top = catalog.products[3].top.top_id
    rows = _page((await gateway.query(imageId=image_id, categoryId=str(top), pageSize=50)).json())[
        "data"
    ]
    assert rows and all(r["topCategoryId"] == top for r in rows)
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
        success_style="string",
        emit_similarity=False,
        search_address=False,
        upload_refusal_shape="zero_id",
        min_image_side=200,
    )
    gateway = await connect(sandbox)
    try:
        source = sandbox.state.loaded.catalog.source_of(0)
        refused = (await gateway.upload(_png((100, 100), False))).json()
        assert refused["result"]["result"] == "0" and refused["result"]["success"] == "true"
        image_id = await _image_id(gateway, source.offer_id)
        page = (await gateway.query(imageId=image_id)).json()["result"]
        assert page["success"] == "true"
        row = page["result"]["data"][0]
        assert (
            "similarity" not in row and "province" not in row and row["offerId"] == source.offer_id
        )
    finally:
        await gateway.aclose()


async def test_detail_and_product_get(sandbox: RunningSandbox, gateway: Gateway) -> None:
    catalog = sandbox.state.loaded.catalog
    textual = next(o for o in catalog.offers if o.text_ladder_style is not None)
    detail = (
        await gateway.call(
            CROSSBORDER,
            "product.search.queryProductDetail",
            {"offerDetailParam": json.dumps({"offerId": textual.offer_id, "country": "en"})},
        )
    ).json()
    result = detail["result"]
    assert result["success"] == "true" and result["result"]["offerId"] == textual.offer_id
    assert result["result"]["productSaleInfo"]["priceRangeList"] == []
    assert result["result"]["minOrderQuantity"] == textual.moq
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
            "com.alibaba.product", "alibaba.product.get", {"productID": "1", "webSite": "alibaba"}
        )
    ).json()
    assert wrong_site == {
        "success": False,
        "errorCode": "WEBSITE_NOT_SUPPORTED",
        "errorMsg": "webSite must be 1688",
    }


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
    default = await gateway.http.get(f"/img/ibank/{offer.offer_id}.jpg")
    assert default.status_code == 200
    assert Image.open(io.BytesIO(default.content)).size == (256, 256)
    large = await gateway.http.get(f"/img/ibank/{offer.offer_id}.jpg_800x800.jpg")
    assert Image.open(io.BytesIO(large.content)).size == (800, 800)
    assert (await gateway.http.get("/img/ibank/1.jpg")).status_code == 404
    assert (await gateway.http.get("/img/ibank/abc.png")).status_code == 404
