"""``system.oauth2`` (getToken, postponeToken) and ``system/currentTime``.

- Code exchange: ``POST /openapi/http/1/system.oauth2/getToken/{appKey}`` with
  ``grant_type=authorization_code, need_refresh_token, client_id,
  client_secret, redirect_uri, code``. Without ``need_refresh_token=true`` the
  answer has no refresh token.
- Refresh: ``/openapi/param2/1/system.oauth2/getToken/{appKey}`` with
  ``grant_type=refresh_token, client_id, client_secret`` and the refresh
  token under ``refresh_token`` or ``refreshToken`` (setting
  ``refresh_param``; the spelling is [?]). Each grant is refused on the other
  URL style (``unsupported_grant_type``), as the note gives one URL for each.
- ``postponeToken``: ``client_id, client_secret, refresh_token, access_token``
  → a new access token and refresh token, only in the refresh token's last
  ``postpone_window_days``.
- ``currentTime`` answers ``{"result": "<ms since epoch>"}`` from the host
  clock (the one ``_aop_timestamp`` is judged by).

Refusals use the OAuth style ``{"error", "error_description"}``:
``invalid_client`` (401) for a wrong client id or secret, ``invalid_request``
(400) for a missing parameter, ``invalid_grant`` (400) for a bad, used or
expired code or refresh token.
"""

from __future__ import annotations

import time

from services.sandbox.openapi.api_call import Call, Reply, ok
from services.sandbox.openapi.errors import OAuthError
from services.sandbox.sandbox_state import SandboxState


def current_time(state: SandboxState, call: Call) -> Reply:
    return ok({"result": str(int(time.time() * 1000))})


def _client(state: SandboxState, call: Call) -> None:
    params = call.params
    if (
        params["client_id"] != call.app_key
        or state.apps.get(call.app_key) != params["client_secret"]
    ):
        raise OAuthError(401, "invalid_client", "client_id or client_secret is wrong")


def _refresh_token(state: SandboxState, call: Call) -> str:
    names = {"both": ("refresh_token", "refreshToken")}.get(
        state.settings.refresh_param, (state.settings.refresh_param,)
    )
    for name in names:
        value = call.params.get(name)
        if value:
            return value
    raise OAuthError(400, "invalid_request", f"{' or '.join(names)} is missing")


def get_token(state: SandboxState, call: Call) -> Reply:
    _client(state, call)
    grant = call.params["grant_type"]
    style = call.path.style
    if grant == "authorization_code" and style == "http":
        code = call.params.get("code")
        if not code or not call.params.get("redirect_uri"):
            raise OAuthError(400, "invalid_request", "code and redirect_uri are required")
        with_refresh = call.params.get("need_refresh_token", "").lower() == "true"
        return ok(state.tokens.exchange_code(call.app_key, code, with_refresh))
    if grant == "refresh_token" and style == "param2":
        return ok(state.tokens.refresh(call.app_key, _refresh_token(state, call)))
    raise OAuthError(
        400, "unsupported_grant_type", f"grant_type {grant} is not supported on this url"
    )


def postpone_token(state: SandboxState, call: Call) -> Reply:
    _client(state, call)
    return ok(state.tokens.postpone(call.app_key, _refresh_token(state, call)))
