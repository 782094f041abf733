from __future__ import annotations

import pytest

from services.sandbox.openapi import errors
from services.sandbox.openapi.signature_check import (
    ApiPath,
    check_signature,
    check_timestamp,
    parse_path,
)
from shared.aop_signing import sign

# The protocol note's test vectors: (urlPath, secret, params, signature).
VECTORS = [
    (
        "param2/1/system/currentTime/1000000",
        "test123",
        {"b": "2", "a": "1"},
        "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88",
    ),
    (
        "param2/1/com.alibaba.fenxiao.crossborder/product.search.imageQuery/1234567",
        "AbCdEf123456",
        {
            "access_token": "8795258a-6c8f-43a5-b8d0-763631edb610",
            "_aop_timestamp": "1718000000000",
            "offerQueryParam": '{"imageId":"1048608196202797156","beginPage":1,"pageSize":20,"country":"en"}',
        },
        "00370AE80B18D487D3C14DFAD197834B76718597",
    ),
    (
        "param2/1/com.alibaba.product/alibaba.product.get/1234567",
        "AbCdEf123456",
        {
            "access_token": "tok",
            "webSite": "1688",
            "productID": "584051070147",
            "_aop_timestamp": "1718000000000",
        },
        "F485209B59E5672052CE63187D9F4A2762FFE4F0",
    ),
]


def _path(url_path: str) -> ApiPath:
    return parse_path(url_path)


@pytest.mark.parametrize(("url_path", "secret", "params", "signature"), VECTORS)
def test_protocol_vectors_verify(
    url_path: str, secret: str, params: dict[str, str], signature: str
) -> None:
    assert sign(url_path, params, secret) == signature
    check_signature(_path(url_path), {**params, "_aop_signature": signature}, secret)


@pytest.mark.parametrize(("url_path", "secret", "params", "signature"), VECTORS)
def test_one_character_change_fails(
    url_path: str, secret: str, params: dict[str, str], signature: str
) -> None:
    path = _path(url_path)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    with pytest.raises(errors.GatewayError) as caught:
        check_signature(path, {**params, "_aop_signature": flipped}, secret)
    assert caught.value.code == "gw.SignatureInvalid"
    key = next(iter(params))
    changed = {**params, key: params[key] + "x", "_aop_signature": signature}
    with pytest.raises(errors.GatewayError):
        check_signature(path, changed, secret)
    other_key = parse_path(url_path[:-1] + ("8" if url_path[-1] != "8" else "9"))
    with pytest.raises(errors.GatewayError):
        check_signature(other_key, {**params, "_aop_signature": signature}, secret)
    with pytest.raises(errors.GatewayError):
        check_signature(path, {**params, "_aop_signature": signature}, secret + "!")


def test_lowercase_signature_is_accepted_like_the_sdks_compare() -> None:
    url_path, secret, params, signature = VECTORS[0]
    check_signature(_path(url_path), {**params, "_aop_signature": signature.lower()}, secret)


def test_missing_signature() -> None:
    url_path, secret, params, _ = VECTORS[0]
    with pytest.raises(errors.GatewayError) as caught:
        check_signature(_path(url_path), params, secret)
    assert (caught.value.status, caught.value.code) == (400, "gw.SignatureMissing")


def test_path_needs_the_app_key_last() -> None:
    path = parse_path("param2/1/com.alibaba.product/alibaba.product.get/1234567")
    assert (path.namespace, path.name, path.app_key, path.api) == (
        "com.alibaba.product",
        "alibaba.product.get",
        "1234567",
        "alibaba.product.get",
    )
    with pytest.raises(errors.GatewayError) as caught:
        parse_path("param2/1/com.alibaba.product/alibaba.product.get")
    assert caught.value.code == "400"
    assert "AppKey" in caught.value.message
    with pytest.raises(errors.GatewayError) as unsupported:
        parse_path("param2/1/x/y/z/extra")
    assert unsupported.value.code == "gw.APIUnsupported"


def test_stale_timestamp_refused() -> None:
    now_ms = 1_718_000_000_000
    check_timestamp({"_aop_timestamp": str(now_ms - 599_000)}, now_ms, 600, required=False)
    with pytest.raises(errors.GatewayError) as caught:
        check_timestamp({"_aop_timestamp": str(now_ms - 601_000)}, now_ms, 600, required=False)
    assert caught.value.body() == {
        "error_code": "400",
        "error_message": "Request is expired.",
        "exception": "RequestValidateException: Request is expired.",
    }
    check_timestamp({}, now_ms, 600, required=False)
    with pytest.raises(errors.GatewayError):
        check_timestamp({}, now_ms, 600, required=True)
    check_timestamp({"_aop_timestamp": "1"}, now_ms, 0, required=False)
