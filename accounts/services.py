"""Account operations: registration, password login with per-account lockout, the
two-step 2FA login, token rotation and revocation, password reset."""

import io
import logging
import math
import secrets
from base64 import b32encode
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import LoginThrottle, User
from foodxchange.api.errors import TooManyAttempts
from foodxchange.services import record_audit

logger = logging.getLogger(__name__)

CHALLENGE_SALT = "accounts.2fa-challenge"
BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10


class InvalidCredentials(exceptions.AuthenticationFailed):
    default_detail = "Email or password is incorrect."
    default_code = "invalid_credentials"


class InvalidCode(exceptions.ValidationError):
    pass


def register_user(
    *, email: str, password: str, first_name: str, last_name: str, role: str, timezone_name: str = "UTC", request=None
) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            role=role,
            timezone=timezone_name,
        )
        record_audit(actor=user, action="account.registered", target=user, after={"role": role}, request=request)
    return user


def issue_tokens(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


# --- password login with lockout --------------------------------------------------------


def _lockout_message(until) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return f"Too many failed login attempts for this account. Try again in {minutes} minute(s)."


def authenticate_password(*, request, email: str, password: str) -> User:
    """Checks the password; after ``LOGIN_LOCKOUT_ATTEMPTS`` failures in a row the
    account (by email, whether or not it exists) is locked for ``LOGIN_LOCKOUT_MINUTES``."""
    email = email.strip().lower()
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(email=email)
        if throttle.is_locked():
            raise TooManyAttempts(
                wait=(throttle.locked_until - timezone.now()).total_seconds(),
                detail=_lockout_message(throttle.locked_until),
            )
        user = authenticate(request, email=email, password=password)
        if user is not None:
            throttle.failures = 0
            throttle.locked_until = None
            throttle.save(update_fields=["failures", "locked_until", "updated_at"])
            return user
        throttle.failures += 1
        locked = throttle.failures >= settings.LOGIN_LOCKOUT_ATTEMPTS
        if locked:
            throttle.failures = 0
            throttle.locked_until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.save(update_fields=["failures", "locked_until", "updated_at"])
    if locked:
        logger.warning("login locked out after repeated failures", extra={"email": email})
        raise TooManyAttempts(wait=settings.LOGIN_LOCKOUT_MINUTES * 60, detail=_lockout_message(throttle.locked_until))
    raise InvalidCredentials()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def login(*, request, email: str, password: str) -> dict[str, Any]:
    """Password step. Returns tokens, or a 2FA challenge when TOTP is confirmed."""
    user = authenticate_password(request=request, email=email, password=password)
    if has_two_factor(user):
        return {"2fa_required": True, "challenge": make_challenge(user)}
    record_audit(actor=user, action="account.login", target=user, request=request)
    return {**issue_tokens(user), "user": user}


# --- two-factor -------------------------------------------------------------------------


def make_challenge(user: User) -> str:
    return signing.dumps({"uid": user.pk, "n": secrets.token_urlsafe(12)}, salt=CHALLENGE_SALT)


def _challenge_user(challenge: str) -> tuple[User, str]:
    try:
        data = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=settings.TWO_FACTOR_CHALLENGE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidCode({"challenge": ["This login challenge has expired; log in again."]}) from None
    except signing.BadSignature:
        raise InvalidCode({"challenge": ["This login challenge is not valid."]}) from None
    user = User.objects.filter(pk=data["uid"], is_active=True).first()
    if user is None:
        raise InvalidCode({"challenge": ["This login challenge is not valid."]})
    return user, data["n"]


def setup_totp(*, user: User) -> dict[str, str]:
    """Creates a new unconfirmed TOTP device (replacing any earlier unconfirmed one)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return {
        "secret": b32encode(device.bin_key).decode(),
        "otpauth_url": device.config_url,
        "qr_svg": buffer.getvalue().decode(),
    }


def _ensure_not_throttled(device) -> None:
    # django-otp throttles wrong guesses per device (exponential back-off); say so
    # rather than calling a correct code wrong.
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = None
        if info and info.get("locked_until"):
            wait = max(1.0, (info["locked_until"] - timezone.now()).total_seconds())
        raise TooManyAttempts(detail="Too many wrong codes; wait a moment before trying again.", wait=wait)


def _verify_totp(device: TOTPDevice, code: str) -> bool:
    # django-otp also refuses a reused time step.
    _ensure_not_throttled(device)
    return device.verify_token(code)


def confirm_totp(*, user: User, code: str, request=None) -> None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise InvalidCode({"code": ["Start with /auth/2fa/setup: there is no authenticator waiting to be confirmed."]})
    if not _verify_totp(device, code):
        raise InvalidCode({"code": ["That code is not correct for this authenticator."]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_audit(actor=user, action="account.2fa_enabled", target=user, request=request)


def complete_challenge(*, challenge: str, code: str, request=None) -> dict[str, Any]:
    """Second login step: a TOTP code or an unused backup code yields tokens."""
    user, nonce = _challenge_user(challenge)
    used_key = f"2fa-challenge-used:{nonce}"
    if not cache.add(used_key, 1, settings.TWO_FACTOR_CHALLENGE_SECONDS):
        raise InvalidCode({"challenge": ["This login challenge was already used; log in again."]})
    code = code.strip().replace(" ", "")
    try:
        ok = _check_second_factor(user, code)
    except TooManyAttempts:
        cache.delete(used_key)
        raise
    if not ok:
        cache.delete(used_key)  # a typo may be corrected with the same challenge
        raise InvalidCode({"code": ["That code is not correct, or the backup code was already used."]})
    record_audit(actor=user, action="account.login", target=user, after={"second_factor": True}, request=request)
    return {**issue_tokens(user), "user": user}


def _check_second_factor(user: User, code: str) -> bool:
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if totp is not None and code.isascii() and code.isdigit() and _verify_totp(totp, code):
        return True
    return _use_backup_code(user, code)


def _use_backup_code(user: User, code: str) -> bool:
    with transaction.atomic():
        device = StaticDevice.objects.select_for_update().filter(user=user, name=BACKUP_DEVICE_NAME).first()
        if device is None:
            return False
        _ensure_not_throttled(device)
        # verify_token deletes the matching token, so each backup code works once.
        return device.verify_token(code)


def regenerate_backup_codes(*, user: User, request=None) -> list[str]:
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        record_audit(actor=user, action="account.backup_codes_regenerated", target=user, request=request)
    return codes


# --- refresh tokens -----------------------------------------------------------------------


def rotate_refresh(*, raw_refresh: str) -> dict[str, str]:
    """Rotation that two concurrent requests cannot both win: the outstanding token row
    is locked before it is checked and blacklisted."""
    try:
        token = RefreshToken(raw_refresh, verify=True)
    except TokenError as exc:
        raise exceptions.AuthenticationFailed(str(exc), code="token_not_valid") from None
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise exceptions.AuthenticationFailed("Token is blacklisted", code="token_not_valid")
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise exceptions.AuthenticationFailed("Token is blacklisted", code="token_not_valid") from None
        user = User.objects.filter(pk=token["user_id"], is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed("User is inactive or gone.", code="token_not_valid")
        return issue_tokens(user)


def blacklist_refresh(*, user: User, raw_refresh: str) -> None:
    try:
        token = RefreshToken(raw_refresh)
    except TokenError as exc:
        raise exceptions.ValidationError({"refresh": [str(exc)]}) from None
    if str(token["user_id"]) != str(user.pk):
        raise exceptions.ValidationError({"refresh": ["This refresh token belongs to another session."]})
    token.blacklist()


def revoke_all_refresh_tokens(user: User) -> int:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    rows = [BlacklistedToken(token=t) for t in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- password reset ----------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Emails a single-use reset link if an active account has this email. Says
    nothing either way, so the caller cannot learn which emails exist."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"
    transaction.on_commit(
        lambda: send_mail(
            subject="Reset your FoodXchange password",
            message=(
                f"Hello {user.first_name or user.email},\n\n"
                f"Use this link within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes to choose a new "
                f"password:\n{link}\n\nIf you did not ask for this, ignore this email.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    )


def reset_password(*, uid: str, token: str, new_password: str, request=None) -> User:
    """The token is single-use (Django's generator hashes the current password);
    every refresh token the user holds stops working."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise exceptions.ValidationError({"token": ["This reset link is invalid or has already been used."]})
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({"new_password": list(exc.messages)}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        LoginThrottle.objects.filter(email=user.email).delete()
        revoked = revoke_all_refresh_tokens(user)
        record_audit(
            actor=user,
            action="account.password_reset",
            target=user,
            after={"refresh_tokens_revoked": revoked},
            request=request,
        )
    return user
