"""Account operations: registration, password login with per-account lockout, the
two-step 2FA login, token rotation and revocation, password reset, and the staff
actions on accounts (activate, deactivate, unlock).

Refusals are ``foodxchange.errors`` domain errors; the JWT mechanics live in
``accounts.tokens``."""

from __future__ import annotations

import io
import ipaddress
import logging
import math
import secrets
from base64 import b32encode
from datetime import datetime, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import tokens
from accounts.hashing import hash_slot
from accounts.models import LoginThrottle, User
from foodxchange.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from foodxchange.services import client_ip, record_audit

logger = logging.getLogger(__name__)

CHALLENGE_SALT = "accounts.2fa-challenge"
BACKUP_DEVICE_NAME = "backup"
BACKUP_CODE_COUNT = 10
DUPLICATE_EMAIL_MESSAGE = "An account with this email already exists."

# Re-exported: callers (views, admin, other apps) use the account services only.
issue_tokens = tokens.issue_tokens
rotate_refresh = tokens.rotate_refresh
blacklist_refresh = tokens.blacklist_refresh
revoke_all_refresh_tokens = tokens.revoke_all_refresh_tokens


def invalid_credentials() -> NotAuthenticated:
    return NotAuthenticated("Email or password is incorrect.", code="invalid_credentials")


def invalid_code(field: str, message: str) -> InvalidInput:
    return InvalidInput(details={field: [message]})


def register_user(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    role: str,
    timezone_name: str = "UTC",
    request: HttpRequest | None = None,
) -> User:
    """Creates the account. Two registrations of one email at once: the unique index
    decides, and the loser is refused like any duplicate."""
    try:
        with hash_slot(), transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=role,
                timezone=timezone_name,
            )
            record_audit(actor=user, action="account.registered", target=user, after={"role": role}, request=request)
    except IntegrityError:
        if User.objects.filter(email__iexact=email.strip()).exists():
            raise InvalidInput(details={"email": [DUPLICATE_EMAIL_MESSAGE]}) from None
        raise
    return user  # type: ignore[no-any-return]


# --- password login with lockout --------------------------------------------------------


def _lockout_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return f"Too many failed login attempts for this account. Try again in {minutes} minute(s)."


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _login_ip(request: HttpRequest | None) -> str | None:
    """The caller's address for the per-IP cap: the client IP when it is a valid
    address, else the socket's peer (a garbage forwarding header never disables it)."""
    if request is None:
        return None
    return _valid_ip(client_ip(request)) or _valid_ip(request.META.get("REMOTE_ADDR"))


def _ensure_ip_may_add_throttle(ip: str | None) -> None:
    """Every email anyone tries gets a lockout row; one address may add only
    ``LOGIN_THROTTLE_MAX_NEW_PER_IP`` of them per window, so nobody grows the table."""
    if ip is None:
        return
    window = timedelta(minutes=settings.LOGIN_THROTTLE_IP_WINDOW_MINUTES)
    since = timezone.now() - window
    recent = LoginThrottle.objects.filter(ip_address=ip, created_at__gte=since)
    if recent.count() < settings.LOGIN_THROTTLE_MAX_NEW_PER_IP:
        return
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    wait = (oldest + window - timezone.now()).total_seconds() if oldest else window.total_seconds()
    logger.warning("login attempts for too many accounts from one address", extra={"ip": ip})
    raise TooManyAttempts(
        "Too many different accounts were tried from this address; try again later.",
        code="too_many_accounts",
        retry_after_seconds=max(1, math.ceil(wait)),
    )


def authenticate_password(*, request: HttpRequest | None, email: str, password: str) -> User:
    """Checks the password; after ``LOGIN_LOCKOUT_ATTEMPTS`` failures in a row the
    account (by email, whether or not it exists) is locked for ``LOGIN_LOCKOUT_MINUTES``."""
    email = email.strip().lower()
    # The slot is taken before the transaction: no row lock is held while waiting.
    with hash_slot(), transaction.atomic():
        throttle = LoginThrottle.objects.select_for_update().filter(email=email).first()
        if throttle is not None and throttle.is_locked():
            assert throttle.locked_until is not None
            raise TooManyAttempts(
                _lockout_message(throttle.locked_until),
                retry_after_seconds=math.ceil((throttle.locked_until - timezone.now()).total_seconds()),
            )
        if throttle is None:
            ip = _login_ip(request)
            # Checked before the password, so the cap cannot be used to guess one.
            _ensure_ip_may_add_throttle(ip)
        user = authenticate(request, email=email, password=password)
        if user is not None:
            if throttle is not None:
                throttle.delete()
            assert isinstance(user, User)
            return user
        if throttle is None:
            # get_or_create: a concurrent first failure for this email may have won.
            LoginThrottle.objects.get_or_create(email=email, defaults={"ip_address": ip})
            throttle = LoginThrottle.objects.select_for_update().get(email=email)
        throttle.failures += 1
        locked = throttle.failures >= settings.LOGIN_LOCKOUT_ATTEMPTS
        if locked:
            throttle.failures = 0
            throttle.locked_until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.save(update_fields=["failures", "locked_until", "updated_at"])
    if locked:
        assert throttle.locked_until is not None
        logger.warning("login locked out after repeated failures", extra={"email": email})
        raise TooManyAttempts(
            _lockout_message(throttle.locked_until),
            retry_after_seconds=math.ceil(settings.LOGIN_LOCKOUT_MINUTES * 60),
        )
    raise invalid_credentials()


def purge_login_throttles(*, now: datetime | None = None) -> int:
    """Deletes lockout rows untouched for ``LOGIN_THROTTLE_RETENTION_HOURS`` that lock
    nothing any more (beat runs it hourly)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.LOGIN_THROTTLE_RETENTION_HOURS)
    stale = LoginThrottle.objects.filter(updated_at__lt=cutoff).exclude(locked_until__gt=now)
    deleted, _ = stale.delete()
    return deleted


def has_two_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def login(*, request: HttpRequest | None, email: str, password: str) -> dict[str, Any]:
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
        raise invalid_code("challenge", "This login challenge has expired; log in again.") from None
    except signing.BadSignature:
        raise invalid_code("challenge", "This login challenge is not valid.") from None
    user = User.objects.filter(pk=data["uid"], is_active=True).first()
    if user is None:
        raise invalid_code("challenge", "This login challenge is not valid.")
    return user, str(data["n"])


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


def _ensure_not_throttled(device: TOTPDevice | StaticDevice) -> None:
    # django-otp throttles wrong guesses per device (exponential back-off); say so
    # rather than calling a correct code wrong.
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = None
        if info and info.get("locked_until"):
            wait = math.ceil(max(1.0, (info["locked_until"] - timezone.now()).total_seconds()))
        raise TooManyAttempts("Too many wrong codes; wait a moment before trying again.", retry_after_seconds=wait)


def _verify_totp(device: TOTPDevice, code: str) -> bool:
    # django-otp also refuses a reused time step.
    _ensure_not_throttled(device)
    return bool(device.verify_token(code))


def confirm_totp(*, user: User, code: str, request: HttpRequest | None = None) -> None:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise invalid_code("code", "Start with /auth/2fa/setup: there is no authenticator waiting to be confirmed.")
    if not _verify_totp(device, code):
        raise invalid_code("code", "That code is not correct for this authenticator.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_audit(actor=user, action="account.2fa_enabled", target=user, request=request)


def complete_challenge(*, challenge: str, code: str, request: HttpRequest | None = None) -> dict[str, Any]:
    """Second login step: a TOTP code or an unused backup code yields tokens."""
    user, nonce = _challenge_user(challenge)
    used_key = f"2fa-challenge-used:{nonce}"
    if not cache.add(used_key, 1, settings.TWO_FACTOR_CHALLENGE_SECONDS):
        raise invalid_code("challenge", "This login challenge was already used; log in again.")
    code = code.strip().replace(" ", "")
    try:
        ok = _check_second_factor(user, code)
    except TooManyAttempts:
        cache.delete(used_key)
        raise
    if not ok:
        cache.delete(used_key)  # a typo may be corrected with the same challenge
        raise invalid_code("code", "That code is not correct, or the backup code was already used.")
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
        return bool(device.verify_token(code))


def regenerate_backup_codes(*, user: User, request: HttpRequest | None = None) -> list[str]:
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        record_audit(actor=user, action="account.backup_codes_regenerated", target=user, request=request)
    return codes


# --- password reset ----------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Queues the reset email, whether or not an account has this email: the request
    does the same work either way, so neither its answer nor its timing tells which
    emails exist. The task looks the account up and sends (or not)."""
    from accounts.tasks import send_password_reset_email

    send_password_reset_email.delay_on_commit(email.strip())


def send_password_reset_email(*, email: str) -> bool:
    """Emails a single-use reset link if an active account has this email (run by the
    task). Returns whether one was sent."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"
    send_mail(
        subject="Reset your FoodXchange password",
        message=(
            f"Hello {user.first_name or user.email},\n\n"
            f"Use this link within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes to choose a new "
            f"password:\n{link}\n\nIf you did not ask for this, ignore this email.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


def reset_password(*, uid: str, token: str, new_password: str, request: HttpRequest | None = None) -> User:
    """The token is single-use (Django's generator hashes the current password);
    every refresh token the user holds stops working."""
    user: User | None
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid_code("token", "This reset link is invalid or has already been used.")
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise InvalidInput(details={"new_password": list(exc.messages)}) from None
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


# --- staff actions -------------------------------------------------------------------------

ACCOUNT_EMAILS = {
    "deactivated": (
        "Your FoodXchange account was deactivated",
        "Your account was deactivated by our staff and you were signed out everywhere. "
        "Reply to this email if you think this is a mistake.",
    ),
    "activated": ("Your FoodXchange account is active again", "Your account was reactivated; you can log in again."),
    "unlocked": (
        "Your FoodXchange login was unlocked",
        "Our staff lifted the temporary lock on your login after repeated failed attempts. "
        "If those attempts were not yours, choose a new password.",
    ),
}


def _notify_account(user: User, kind: str) -> None:
    from accounts.tasks import send_account_email

    send_account_email.delay_on_commit(user.pk, kind)


def send_account_email(*, user_id: int, kind: str) -> bool:
    """The email telling a user what staff did to their account (run by a task)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or kind not in ACCOUNT_EMAILS:
        return False
    subject, text = ACCOUNT_EMAILS[kind]
    send_mail(
        subject=subject,
        message=f"Hello {user.first_name or user.email},\n\n{text}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


def set_users_active(
    *, actor: User, users: QuerySet[User], active: bool, request: HttpRequest | None = None
) -> list[User]:
    """Activates or deactivates accounts (staff). Deactivation signs the user out
    everywhere (refresh tokens revoked). Staff cannot deactivate themselves, and only a
    superuser may deactivate a superuser. Each change is audited and the user told by
    email; accounts already in that state are left alone."""
    with transaction.atomic():
        targets = list(users.select_for_update().order_by("pk"))
        if not active:
            if any(u.pk == actor.pk for u in targets):
                raise InvalidInput("You cannot deactivate your own account.", field="users")
            if not actor.is_superuser and any(u.is_superuser for u in targets):
                raise InvalidInput("Only a superuser may deactivate a superuser.", field="users")
        changed = [u for u in targets if u.is_active != active]
        for user in changed:
            user.is_active = active
            user.save(update_fields=["is_active"])
            revoked = 0 if active else revoke_all_refresh_tokens(user)
            record_audit(
                actor=actor,
                action="account.activated" if active else "account.deactivated",
                target=user,
                before={"is_active": not active},
                after={"is_active": active, **({} if active else {"refresh_tokens_revoked": revoked})},
                request=request,
            )
            _notify_account(user, "activated" if active else "deactivated")
    return changed


def unlock_logins(*, actor: User, throttles: QuerySet[LoginThrottle], request: HttpRequest | None = None) -> int:
    """Lifts login lockouts (staff): the rows go, so the next attempt starts afresh.
    Audited; the account owner, if there is one, is told by email."""
    with transaction.atomic():
        rows = list(throttles.select_for_update().order_by("pk"))
        emails = [row.email for row in rows]
        for row in rows:
            record_audit(
                actor=actor,
                action="account.login_unlocked",
                target=row,
                before={
                    "failures": row.failures,
                    "locked_until": row.locked_until.isoformat() if row.locked_until else None,
                },
                request=request,
            )
        LoginThrottle.objects.filter(pk__in=[row.pk for row in rows]).delete()
        for user in User.objects.filter(email__in=emails):
            _notify_account(user, "unlocked")
    return len(rows)
