"""The APIs the sandbox serves and what the gateway demands of each call.

``signature``: ``"required"`` (data APIs), ``"optional"`` (verified when
sent: ``system/currentTime``) or ``"none"`` (OAuth calls authenticate with
``client_secret``). ``authorized`` APIs need a live ``access_token`` of the
same app key. ``limited`` APIs go through the ACL, the QPS limit and the
daily budget. ``styles`` are the URL styles the API is reachable under.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiSpec:
    namespace: str
    name: str
    required: tuple[str, ...]
    signature: str
    authorized: bool
    limited: bool
    styles: tuple[str, ...] = ("param2",)


CROSSBORDER = "com.alibaba.fenxiao.crossborder"
UPLOAD = "product.image.upload"
IMAGE_QUERY = "product.search.imageQuery"
DETAIL = "product.search.queryProductDetail"
PRODUCT_GET = "alibaba.product.get"
LINKPLUS_SEARCH = "alibaba.cross.similar.offer.search"
GET_TOKEN = "getToken"
POSTPONE_TOKEN = "postponeToken"
CURRENT_TIME = "currentTime"

_SPECS = (
    ApiSpec("system", CURRENT_TIME, (), "optional", authorized=False, limited=False),
    ApiSpec(
        "system.oauth2",
        GET_TOKEN,
        ("grant_type", "client_id", "client_secret"),
        "none",
        authorized=False,
        limited=False,
        styles=("param2", "http"),
    ),
    ApiSpec(
        "system.oauth2",
        POSTPONE_TOKEN,
        ("client_id", "client_secret", "access_token"),
        "none",
        authorized=False,
        limited=False,
    ),
    ApiSpec(CROSSBORDER, UPLOAD, ("uploadImageParam",), "required", authorized=True, limited=True),
    ApiSpec(
        CROSSBORDER, IMAGE_QUERY, ("offerQueryParam",), "required", authorized=True, limited=True
    ),
    ApiSpec(CROSSBORDER, DETAIL, ("offerDetailParam",), "required", authorized=True, limited=True),
    ApiSpec(
        "com.alibaba.product",
        PRODUCT_GET,
        ("productID", "webSite"),
        "required",
        authorized=True,
        limited=True,
    ),
    ApiSpec(
        "com.alibaba.linkplus",
        LINKPLUS_SEARCH,
        ("picUrl",),
        "required",
        authorized=True,
        limited=True,
    ),
)

REGISTRY: dict[tuple[str, str], ApiSpec] = {(spec.namespace, spec.name): spec for spec in _SPECS}


def find(namespace: str, name: str, style: str) -> ApiSpec | None:
    spec = REGISTRY.get((namespace, name))
    if spec is None or style not in spec.styles:
        return None
    return spec
