"""JWT pairs through simplejwt: issue, rotate, blacklist, revoke.

Kept apart from ``accounts.services`` so the services stay free of the HTTP framework
(simplejwt lives on top of DRF); every refusal here is a ``foodxchange.errors`` domain
error with the codes the API has always answered with."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from foodxchange.errors import InvalidInput, NotAuthenticated

TOKEN_NOT_VALID = "token_not_valid"


def issue_tokens(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def rotate_refresh(*, raw_refresh: str) -> dict[str, str]:
    """Rotation that two concurrent requests cannot both win: the outstanding token row
    is locked before it is checked and blacklisted."""
    try:
        token = RefreshToken(raw_refresh, verify=True)  # type: ignore[arg-type]
    except TokenError as exc:
        raise NotAuthenticated(str(exc), code=TOKEN_NOT_VALID) from None
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise NotAuthenticated("Token is blacklisted", code=TOKEN_NOT_VALID)
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise NotAuthenticated("Token is blacklisted", code=TOKEN_NOT_VALID) from None
        user = User.objects.filter(pk=token["user_id"], is_active=True).first()
        if user is None:
            raise NotAuthenticated("User is inactive or gone.", code=TOKEN_NOT_VALID)
        return issue_tokens(user)


def blacklist_refresh(*, user: User, raw_refresh: str) -> None:
    try:
        token = RefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidInput(details={"refresh": [str(exc)]}) from None
    if str(token["user_id"]) != str(user.pk):
        raise InvalidInput(details={"refresh": ["This refresh token belongs to another session."]})
    token.blacklist()


def revoke_all_refresh_tokens(user: User) -> int:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    rows = [BlacklistedToken(token=t) for t in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
