"""OAuth over HTTP: code exchange, refresh (both spellings), postpone, expiry."""

from __future__ import annotations

import httpx

from services.sandbox.admin.client import SandboxAdmin, tls_context
from services.sandbox.server import RunningSandbox
from tests.integration.sandbox.conftest import APP, CROSSBORDER, SECRET, Gateway, MakeSandbox

TOKEN_URL = f"/openapi/param2/1/system.oauth2/getToken/{APP}"
CODE_URL = f"/openapi/http/1/system.oauth2/getToken/{APP}"
POSTPONE_URL = f"/openapi/param2/1/system.oauth2/postponeToken/{APP}"


async def _exchange(http: httpx.AsyncClient, admin: SandboxAdmin, **extra: str) -> httpx.Response:
    code = await admin.mint_auth_code(APP)
    form = {
        "grant_type": "authorization_code",
        "need_refresh_token": "true",
        "client_id": APP,
        "client_secret": SECRET,
        "redirect_uri": "http://localhost/cb",
        "code": code,
        **extra,
    }
    return await http.post(CODE_URL, data=form)


def _refresh_form(refresh_token: str, name: str = "refresh_token") -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": APP,
        "client_secret": SECRET,
        name: refresh_token,
    }


async def test_code_exchange_then_refresh_both_spellings(
    sandbox: RunningSandbox, admin: SandboxAdmin
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, verify=tls_context()) as http:
        exchanged = await _exchange(http, admin)
        assert exchanged.status_code == 200
        pair = exchanged.json()
        assert pair["expires_in"] == "36000"
        assert set(pair) >= {
            "access_token",
            "refresh_token",
            "refresh_token_timeout",
            "aliId",
            "memberId",
        }
        for name in ("refresh_token", "refreshToken"):
            refreshed = await http.post(TOKEN_URL, data=_refresh_form(pair["refresh_token"], name))
            assert refreshed.status_code == 200
            assert "refresh_token" not in refreshed.json()
            assert refreshed.json()["access_token"] != pair["access_token"]
        without = await _exchange(http, admin, need_refresh_token="false")
        assert "refresh_token" not in without.json()


async def test_oauth_refusals(sandbox: RunningSandbox, admin: SandboxAdmin) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, verify=tls_context()) as http:
        wrong_secret = await _exchange(http, admin, client_secret="nope")
        assert wrong_secret.status_code == 401
        assert wrong_secret.json() == {
            "error": "invalid_client",
            "error_description": "client_id or client_secret is wrong",
        }
        pair = (await _exchange(http, admin)).json()
        on_code_url = await http.post(CODE_URL, data=_refresh_form(pair["refresh_token"]))
        assert (
            on_code_url.status_code == 400
            and on_code_url.json()["error"] == "unsupported_grant_type"
        )
        bad = await http.post(TOKEN_URL, data=_refresh_form("not-a-token"))
        assert bad.status_code == 400
        assert bad.json() == {
            "error": "invalid_grant",
            "error_description": "refresh_token is invalid",
        }
        missing = await http.post(TOKEN_URL, data={"grant_type": "refresh_token", "client_id": APP})
        assert missing.status_code == 400 and missing.json()["error_code"] == "gw.ParamMissing"


async def test_refresh_spelling_is_a_setting(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(refresh_param="refreshToken")
    async with (
        SandboxAdmin(sandbox.base_url) as admin,
        httpx.AsyncClient(base_url=sandbox.base_url, verify=tls_context()) as http,
    ):
        pair = await admin.mint_tokens(APP)
        snake = await http.post(TOKEN_URL, data=_refresh_form(pair.refresh_token))
        assert (
            snake.status_code == 400
            and snake.json()["error_description"] == "refreshToken is missing"
        )
        camel = await http.post(TOKEN_URL, data=_refresh_form(pair.refresh_token, "refreshToken"))
        assert camel.status_code == 200


async def test_expiry_then_refresh_restores_access(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(access_token_seconds=60.0, refresh_token_seconds=3600.0)
    async with (
        SandboxAdmin(sandbox.base_url) as admin,
        httpx.AsyncClient(base_url=sandbox.base_url, verify=tls_context()) as http,
    ):
        pair = await admin.mint_tokens(APP)
        gateway = Gateway(sandbox.base_url, token=pair.access_token)
        detail = {"offerDetailParam": '{"offerId": 1}'}
        assert (
            await gateway.call(CROSSBORDER, "product.search.queryProductDetail", detail)
        ).status_code == 200
        await admin.advance_clock(61)
        assert (
            await gateway.call(CROSSBORDER, "product.search.queryProductDetail", detail)
        ).status_code == 401
        refreshed = await http.post(TOKEN_URL, data=_refresh_form(pair.refresh_token))
        gateway.token = refreshed.json()["access_token"]
        assert (
            await gateway.call(CROSSBORDER, "product.search.queryProductDetail", detail)
        ).status_code == 200
        await admin.advance_clock(3600)
        expired = await http.post(TOKEN_URL, data=_refresh_form(pair.refresh_token))
        assert expired.json() == {
            "error": "invalid_grant",
            "error_description": "refresh_token is expired",
        }
        await gateway.aclose()


async def test_postpone_in_the_last_30_days(sandbox: RunningSandbox, admin: SandboxAdmin) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, verify=tls_context()) as http:
        pair = await admin.mint_tokens(APP)
        form = {
            "client_id": APP,
            "client_secret": SECRET,
            "refresh_token": pair.refresh_token,
            "access_token": pair.access_token,
        }
        early = await http.post(POSTPONE_URL, data=form)
        assert early.status_code == 400 and early.json()["error"] == "invalid_request"
        await admin.advance_clock(151 * 86400)
        renewed = await http.post(POSTPONE_URL, data=form)
        assert renewed.status_code == 200
        assert renewed.json()["refresh_token"] != pair.refresh_token
        assert renewed.json()["refresh_token_timeout"] > pair.refresh_token_timeout


async def test_current_time_needs_no_token_but_checks_a_sent_signature(gateway: Gateway) -> None:
    plain = await gateway.http.get(f"/openapi/param2/1/system/currentTime/{APP}")
    assert plain.status_code == 200 and plain.json()["result"].isdigit()
    signed = await gateway.call("system", "currentTime", {"b": "2", "a": "1"}, token=False)
    assert signed.status_code == 200
    url, sent = gateway.signed("system", "currentTime", {"a": "1"}, token=False)
    sent["a"] = "2"
    assert (await gateway.http.post(url, data=sent)).json()["error_code"] == "gw.SignatureInvalid"
