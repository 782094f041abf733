"""Every documented gateway error path: exact HTTP status and body."""

from __future__ import annotations

import json
from datetime import datetime

from services.sandbox.admin.client import SandboxAdmin
from shared.china_time import CHINA_TZ
from tests.integration.sandbox.conftest import (
    APP,
    CROSSBORDER,
    OTHER_APP,
    OTHER_SECRET,
    Gateway,
    MakeSandbox,
    connect,
    gateway_error,
)

DETAIL = "product.search.queryProductDetail"
UNAUTHORIZED = {
    "error_code": "401",
    "error_message": "Request need user authorized",
    "exception": "Request need user authorized",
}


def _detail_param(offer_id: int) -> dict[str, str]:
    return {"offerDetailParam": json.dumps({"offerId": offer_id, "country": "en"})}


async def test_unknown_api_and_wrong_url_styles(gateway: Gateway) -> None:
    response = await gateway.call(CROSSBORDER, "product.nope", {})
    assert response.status_code == 400
    message = "The API is not supported: com.alibaba.fenxiao.crossborder:product.nope-1"
    assert gateway_error(response) == {
        "error_code": "gw.APIUnsupported",
        "error_message": message,
        "exception": message,
    }
    for path in (
        f"/openapi/param2/2/{CROSSBORDER}/{DETAIL}/{APP}",
        f"/openapi/http/1/{CROSSBORDER}/{DETAIL}/{APP}",
        f"/openapi/param2/1/com.alibaba.product/{DETAIL}/{APP}",
    ):
        refused = await gateway.http.post(path, data={})
        assert refused.status_code == 400 and refused.json()["error_code"] == "gw.APIUnsupported"


async def test_signature_missing_and_invalid(gateway: Gateway) -> None:
    missing = await gateway.call(CROSSBORDER, DETAIL, _detail_param(1), sign=False)
    assert missing.status_code == 400
    assert gateway_error(missing) == {
        "error_code": "gw.SignatureMissing",
        "error_message": "Signature is missing.",
        "exception": "Signature is missing.",
    }
    url, sent = gateway.signed(CROSSBORDER, DETAIL, _detail_param(1))
    sent["offerDetailParam"] = sent["offerDetailParam"].replace("1", "2")
    invalid = await gateway.http.post(url, data=sent)
    assert invalid.status_code == 400
    assert gateway_error(invalid) == {
        "error_code": "gw.SignatureInvalid",
        "error_message": "Signature is invalid.",
        "exception": "Signature is invalid.",
    }


async def test_app_key_problems(gateway: Gateway) -> None:
    unknown = await gateway.call(CROSSBORDER, DETAIL, _detail_param(1), app_key="999")
    assert unknown.status_code == 400
    assert gateway_error(unknown) == {
        "error_code": "400",
        "error_message": "AppKey is not exist: 999",
        "exception": "RequestValidateException: AppKey is not exist: 999",
    }
    missing = await gateway.http.post(f"/openapi/param2/1/{CROSSBORDER}/{DETAIL}", data={})
    assert missing.status_code == 400
    assert gateway_error(missing)["error_code"] == "400"


async def test_stale_timestamp(gateway: Gateway) -> None:
    stale = {**_detail_param(1), "_aop_timestamp": "1718000000000"}
    url, sent = gateway.signed(CROSSBORDER, DETAIL, stale, timestamp=False)
    response = await gateway.http.post(url, data=sent)
    assert response.status_code == 400
    assert gateway_error(response) == {
        "error_code": "400",
        "error_message": "Request is expired.",
        "exception": "RequestValidateException: Request is expired.",
    }


async def test_param_missing_per_api(gateway: Gateway) -> None:
    cases = [
        (CROSSBORDER, "product.image.upload", "uploadImageParam"),
        (CROSSBORDER, "product.search.imageQuery", "offerQueryParam"),
        (CROSSBORDER, DETAIL, "offerDetailParam"),
        ("com.alibaba.product", "alibaba.product.get", "productID"),
        ("com.alibaba.linkplus", "alibaba.cross.similar.offer.search", "picUrl"),
    ]
    for namespace, api, param in cases:
        response = await gateway.call(namespace, api, {})
        assert response.status_code == 400
        assert gateway_error(response) == {
            "error_code": "gw.ParamMissing",
            "error_message": f"Required argument {param}",
        }


async def test_missing_unknown_foreign_and_expired_tokens(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(access_token_seconds=30.0)
    gateway = await connect(sandbox)
    offer_id = sandbox.state.loaded.catalog.offers[0].offer_id
    try:
        assert (await gateway.call(CROSSBORDER, DETAIL, _detail_param(offer_id))).status_code == 200
        no_token = await gateway.call(CROSSBORDER, DETAIL, _detail_param(offer_id), token=False)
        assert no_token.status_code == 401 and gateway_error(no_token) == UNAUTHORIZED
        foreign = await connect(sandbox, OTHER_APP, OTHER_SECRET)
        gateway.token, stolen = foreign.token, gateway.token
        assert (await gateway.call(CROSSBORDER, DETAIL, _detail_param(offer_id))).status_code == 401
        gateway.token = "8795258a-6c8f-43a5-b8d0-763631edb610"
        assert (await gateway.call(CROSSBORDER, DETAIL, _detail_param(offer_id))).status_code == 401
        gateway.token = stolen
        async with SandboxAdmin(sandbox.base_url) as admin:
            await admin.advance_clock(31)
        expired = await gateway.call(CROSSBORDER, DETAIL, _detail_param(offer_id))
        assert expired.status_code == 401 and gateway_error(expired) == UNAUTHORIZED
        await foreign.aclose()
    finally:
        await gateway.aclose()


async def test_acl_decline_from_settings_and_admin(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(acl_decline=((APP, "alibaba.product.get"),))
    gateway = await connect(sandbox)
    try:
        declined = await gateway.call(
            "com.alibaba.product", "alibaba.product.get", {"productID": "1", "webSite": "1688"}
        )
        assert declined.status_code == 400
        assert gateway_error(declined) == {
            "error_code": "gw.APIACLDecline",
            "error_message": "AppKey is not allowed(acl)",
        }
        async with SandboxAdmin(sandbox.base_url) as admin:
            assert await admin.set_acl(APP, DETAIL, allowed=False) == [
                (APP, "alibaba.product.get"),
                (APP, DETAIL),
            ]
            assert (await gateway.call(CROSSBORDER, DETAIL, _detail_param(1))).json()[
                "error_code"
            ] == "gw.APIACLDecline"
            await admin.set_acl(APP, "alibaba.product.get", allowed=True)
        allowed = await gateway.call(
            "com.alibaba.product", "alibaba.product.get", {"productID": "1", "webSite": "1688"}
        )
        assert allowed.status_code == 200 and allowed.json()["errorCode"] == "PRODUCT_NOT_EXIST"
    finally:
        await gateway.aclose()


async def test_qps_and_budget_count_and_reset_exactly(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(qps=((DETAIL, 2),), budgets=((DETAIL, 3),))
    gateway = await connect(sandbox)
    param = _detail_param(sandbox.state.loaded.catalog.offers[0].offer_id)
    try:
        async with SandboxAdmin(sandbox.base_url) as admin:
            await admin.set_clock(datetime(2025, 5, 1, 23, 59, 50, tzinfo=CHINA_TZ), frozen=True)
            codes = [
                (await gateway.call(CROSSBORDER, DETAIL, param)).json().get("error_code")
                for _ in range(3)
            ]
            assert codes == [None, None, "gw.QosAppFrequencyLimit"]
            throttled = await gateway.call(CROSSBORDER, DETAIL, param)
            assert throttled.status_code == 400 and gateway_error(throttled) == {
                "error_code": "gw.QosAppFrequencyLimit",
                "error_message": "App call exceeds limited frequency",
            }
            await admin.advance_clock(1)
            assert (await gateway.call(CROSSBORDER, DETAIL, param)).status_code == 200
            refused = await gateway.call(
                CROSSBORDER, DETAIL, param
            )  # uses the QPS window, not the budget
            assert refused.status_code == 400
            assert gateway_error(refused) == {
                "error_code": "gw.NoUsageLeftError",
                "error_message": "SLA bill has no usage left",
                "exception": "SLA bill has no usage left",
            }
            assert (await admin.usage())[APP][DETAIL] == {
                "used": 3,
                "budget": 3,
                "day": "2025-05-01",
            }
            assert await admin.call_count(APP, DETAIL) == 6
            await admin.advance_clock(9)  # 00:00:00 China time
            assert (await gateway.call(CROSSBORDER, DETAIL, param)).status_code == 200
            assert (await admin.usage())[APP][DETAIL]["day"] == "2025-05-02"
            await admin.reset()
            assert await admin.call_counts() == {}
    finally:
        await gateway.aclose()


async def test_get_and_post_are_both_accepted(gateway: Gateway) -> None:
    param = _detail_param(1)
    by_get = await gateway.call(CROSSBORDER, DETAIL, param, method="GET")
    by_post = await gateway.call(CROSSBORDER, DETAIL, param)
    assert by_get.status_code == by_post.status_code == 200
    assert (
        by_get.json()
        == by_post.json()
        == {
            "result": {
                "success": "false",
                "code": "OFFER_NOT_FOUND",
                "message": "offer 1 does not exist",
            }
        }
    )
