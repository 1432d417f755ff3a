"""The signature scheme of webhooks between the FoodXchange core and the marketplace:
``X-FoodXchange-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.
A timestamp outside the tolerance is refused (replay); digests are compared in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import time

from foodxchange.errors import NotAuthenticated, ServiceUnavailable

HEADER = "X-FoodXchange-Signature"


def digest(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={digest(secret=secret, timestamp=t, body=body)}"


def verify(*, header: str | None, body: bytes, secret: str, tolerance_seconds: float, now: float | None = None) -> int:
    """Returns the signed timestamp; raises ``NotAuthenticated`` for a missing,
    malformed, wrong or stale signature."""
    if not secret:
        raise ServiceUnavailable("RFQ intake is not configured (RFQ_WEBHOOK_SECRET is empty).", code="not_configured")
    if not header:
        raise NotAuthenticated(f"Missing {HEADER} header.", code="signature_missing")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise NotAuthenticated(f"Malformed {HEADER} header.", code="signature_invalid")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise NotAuthenticated("The signature timestamp is too old (or in the future).", code="signature_expired")
    expected = digest(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise NotAuthenticated("The signature does not match the body.", code="signature_invalid")
    return timestamp
