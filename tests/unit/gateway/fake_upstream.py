"""A scripted 1688 for unit tests of the flows (the real emulator is services/sandbox)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.aop_signing import verify
from tests.unit.gateway.local_http import Received, Reply, json_reply

APP_KEY = "app1"
SECRET = "unit-secret-0123"
TOKEN = "unit-token-0123"
TOTAL = 45


def error_reply(status: int, code: str, message: str = "") -> Reply:
    """1688's error body (``error_code``, ``error_message``) with this HTTP status."""
    return json_reply({"error_code": code, "error_message": message}, status)


@dataclass
class FakeUpstream:
    calls: Counter[str] = field(default_factory=Counter)
    declined: set[str] = field(default_factory=set)
    refuse_images: bool = False
    image_ids: set[str] = field(default_factory=set)
    # Offers queryProductDetail refuses as outside its curated pool.
    outside_pool: set[str] = field(default_factory=set)
    # Every offerQueryParam received, decoded.
    queries: list[dict[str, Any]] = field(default_factory=list)
    # Where it is served (tests/unit/gateway/local_http.py).
    url: str = ""

    def handle(self, request: Received) -> Reply:
        path = request.path.removeprefix("/openapi/")
        form = request.form
        api = path.split("/")[3]
        self.calls[api] += 1
        if not verify(path, form, SECRET):
            return error_reply(400, "gw.SignatureInvalid", "signature mismatch")
        if api == "currentTime":
            return json_reply({"result": 1_718_000_000_000})
        if form.get("access_token") != TOKEN:
            return error_reply(401, "401", "Request need user authorized")
        if api in self.declined:
            return error_reply(400, "gw.APIACLDecline", "no permission")
        handler = {
            "product.image.upload": self._upload,
            "product.search.imageQuery": self._query,
            "product.search.queryProductDetail": self._detail,
            "alibaba.product.get": self._product,
        }[api]
        return handler(form)

    def forget_uploads(self) -> None:
        """As after the upstream's imageId store expired."""
        self.image_ids.clear()

    def _upload(self, form: dict[str, str]) -> Reply:
        json.loads(form["uploadImageParam"])["imageBase64"]
        image_id = "0" if self.refuse_images else str(1000 + self.calls["product.image.upload"])
        self.image_ids.add(image_id)
        return json_reply({"result": {"success": "true", "code": "200", "result": image_id}})

    def _query(self, form: dict[str, str]) -> Reply:
        param = json.loads(form["offerQueryParam"])
        self.queries.append(param)
        if param["imageId"] not in self.image_ids:
            failure = {"success": False, "code": "IMAGE_NOT_FOUND", "message": "imageId not found"}
            return json_reply({"result": failure})
        page, size = param["beginPage"], param["pageSize"]
        first = (page - 1) * size
        rows = [
            {
                "offerId": 500_000 + index,
                "subject": f"offer {index}",
                "priceInfo": {"price": "12.50"},
                "repurchaseRate": "13%",
                "companyName": "广州XX服装厂",
            }
            for index in range(first, min(first + size, TOTAL))
        ]
        result = {
            "totalRecords": TOTAL,
            "totalPage": -(-TOTAL // size),
            "currentPage": page,
            "pageSize": size,
            "data": rows,
            "picRegionInfo": {
                "currentRegion": param.get("region", "0,255,0,255"),
                "yoloCropRegion": "0,255,0,255;128,255,128,255",
            },
        }
        return json_reply({"result": {"success": True, "code": "200", "result": result}})

    def _detail(self, form: dict[str, str]) -> Reply:
        offer_id = json.loads(form["offerDetailParam"])["offerId"]
        if str(offer_id) in self.outside_pool:
            refusal = {"success": False, "message": f"offerId:{offer_id} 不是精选货源商品"}
            return json_reply({"result": refusal})
        detail = {
            "offerId": offer_id,
            "subject": "detail",
            "sellerOpenId": "BBBfakeSeller",
            "topCategoryId": 10166,
            "secondCategoryId": 1031919,
            "minOrderQuantity": 10,
            "productSaleInfo": {"priceRangeList": [{"startQuantity": 10, "price": "9.00"}]},
            "productShippingInfo": {"sendGoodsAddressText": "广东省广州市"},
        }
        return json_reply({"result": {"success": True, "result": detail}})

    def _product(self, form: dict[str, str]) -> Reply:
        info = {
            "productID": int(form["productID"]),
            "bizType": 2,
            "saleInfo": {"priceRanges": [{"startQuantity": 5, "price": "8.00"}]},
        }
        return json_reply({"productInfo": info, "success": True})
