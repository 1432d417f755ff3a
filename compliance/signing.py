"""The ledger's Ed25519 key: loaded from ``COMPLIANCE_SIGNING_KEY`` (base64 of a 32-byte
seed), never stored in the database. With DEBUG on and no key, a development key is
derived from SECRET_KEY so a first local run works; its signatures prove nothing."""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _seed(configured: str, secret_key: str, debug: bool) -> bytes:
    if configured:
        return base64.b64decode(configured, validate=True)
    if not debug:
        raise ImproperlyConfigured("COMPLIANCE_SIGNING_KEY is required when DEBUG is off.")
    return hashlib.sha256(f"foodxchange-compliance-dev-key:{secret_key}".encode()).digest()


@lru_cache(maxsize=4)
def _private_key(configured: str, secret_key: str, debug: bool) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_seed(configured, secret_key, debug))


def private_key() -> Ed25519PrivateKey:
    # Keyed on the settings so a test that overrides them gets its own key.
    return _private_key(settings.COMPLIANCE_SIGNING_KEY, settings.SECRET_KEY, settings.DEBUG)


def is_development_key() -> bool:
    return not settings.COMPLIANCE_SIGNING_KEY


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_b64() -> str:
    return base64.b64encode(public_key_bytes()).decode("ascii")


def key_id(public_key: bytes | None = None) -> str:
    """A short fingerprint of a public key, stored on each entry (key rotation)."""
    return hashlib.sha256(public_key if public_key is not None else public_key_bytes()).hexdigest()[:16]


def sign(message: str) -> str:
    return base64.b64encode(private_key().sign(message.encode("utf-8"))).decode("ascii")


@lru_cache(maxsize=16)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def verify(message: str, signature_b64: str, public_key: bytes | None = None) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = _public_key(public_key if public_key is not None else public_key_bytes())
    try:
        key.verify(raw, message.encode("utf-8"))
    except InvalidSignature:
        return False
    return True
