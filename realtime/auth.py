"""Authenticates WebSocket connections with a simplejwt access token, taken from the
``token`` query-string parameter or from ``Sec-WebSocket-Protocol`` (``bearer, <token>``)."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


def token_from_scope(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode())
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"sec-websocket-protocol":
            parts = [p.strip() for p in value.decode().split(",")]
            if len(parts) >= 2 and parts[0].lower() == "bearer":
                return parts[1]
    return None


@database_sync_to_async
def user_for_token(raw: str):
    try:
        token = AccessToken(raw)
    except TokenError:
        return None
    user = get_user_model().objects.filter(pk=token.get("user_id"), is_active=True).first()
    return user


class JWTAuthMiddleware(BaseMiddleware):
    """Sets ``scope["user"]`` (AnonymousUser when the token is missing or invalid) and
    ``scope["auth_error"]`` so consumers can close with a clear code."""

    async def __call__(self, scope, receive, send):
        raw = token_from_scope(scope)
        user = await user_for_token(raw) if raw else None
        scope["user"] = user or AnonymousUser()
        scope["auth_error"] = None if user else ("missing_token" if not raw else "invalid_token")
        return await super().__call__(scope, receive, send)
