"""A budget for password hashing, so a login storm cannot starve every other endpoint.

An Argon2 hash costs about a quarter of a CPU second by design (that is what makes a
stolen hash expensive to guess). A burst of logins or registrations would otherwise keep
every core busy hashing while searches and bookings wait for CPU. Each server process
allows ``PASSWORD_HASH_CONCURRENCY`` hashes at once; a request waits up to
``PASSWORD_HASH_WAIT_SECONDS`` for a slot, then gets 429 ``auth_busy`` with a short
Retry-After. A refused attempt checks no password and counts as no failed login.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from django.conf import settings

from foodxchange.errors import TooManyAttempts

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    size = max(1, int(settings.PASSWORD_HASH_CONCURRENCY))
    with _lock:
        # Rebuilt when the setting changes (tests override it).
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextlib.contextmanager
def hash_slot() -> Iterator[None]:
    """Holds one of this process's password-hashing slots for the ``with`` block."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=float(settings.PASSWORD_HASH_WAIT_SECONDS)):
        logger.warning("password hashing budget exhausted; login refused for now")
        raise TooManyAttempts(
            "Too many sign-ins are being processed right now; try again in a moment.",
            code="auth_busy",
            retry_after_seconds=1,
        )
    try:
        yield
    finally:
        semaphore.release()
