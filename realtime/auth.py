"""Authenticates WebSocket connections with a simplejwt access token, taken from the
``token`` query-string parameter or from ``Sec-WebSocket-Protocol: bearer, <token>``
(browsers cannot set an Authorization header on a WebSocket).

Sets ``scope["user"]`` (AnonymousUser when the token is missing or invalid),
``scope["auth_error"]`` (None, ``missing_token``, ``invalid_token``, ``expired_token``
or ``inactive_user``) so consumers close with a clear code, ``scope["auth_expires_at"]``
(the token's ``exp``, epoch seconds) and ``scope["auth_subprotocol"]`` (``"bearer"``
when the token came that way: the server must echo it when accepting)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

BEARER_SUBPROTOCOL = "bearer"


def _subprotocols(scope) -> list[str]:
    offered = list(scope.get("subprotocols") or [])
    if not offered:
        for name, value in scope.get("headers", []):
            if name == b"sec-websocket-protocol":
                offered.extend(p.strip() for p in value.decode("latin-1").split(","))
    return [p for p in offered if p]


def token_from_scope(scope) -> tuple[str | None, str | None]:
    """(raw token, subprotocol to accept with)."""
    offered = _subprotocols(scope)
    if len(offered) >= 2 and offered[0].lower() == BEARER_SUBPROTOCOL:
        return offered[1], offered[0]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], None
    return None, None


def authenticate_token(raw: str):
    """(user or None, error code or None, expiry epoch or None) for a raw access token."""
    try:
        token = AccessToken(raw)  # type: ignore[arg-type]
    except ExpiredTokenError:
        return None, "expired_token", None
    except TokenError:
        return None, "invalid_token", None
    user = get_user_model().objects.filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()
    if user is None:
        return None, "invalid_token", None
    if not user.is_active:
        return None, "inactive_user", None
    return user, None, token.get("exp")


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        raw, subprotocol = token_from_scope(scope)
        if raw:
            user, error, expires_at = await database_sync_to_async(authenticate_token)(raw)
        else:
            user, error, expires_at = None, "missing_token", None
        scope["user"] = user or AnonymousUser()
        scope["auth_error"] = error
        scope["auth_expires_at"] = expires_at
        scope["auth_subprotocol"] = subprotocol
        return await super().__call__(scope, receive, send)
