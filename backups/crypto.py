"""Streaming AES-256-GCM encryption for backup archives.

File layout (all integers big-endian)::

    header  = b"FXBK" | version (1) | key-id length (1) | key id | key check (8)
              | nonce prefix (8) | chunk size (4)
    frame*  = final flag (1) | ciphertext length (4) | ciphertext (plaintext + 16-byte tag)

Every chunk is sealed with the nonce ``nonce prefix | chunk counter (4)`` and the
associated data ``header | counter | final flag``, so the header, the order of the
chunks and the end of the stream are all authenticated: a flipped bit, a reordered
or dropped chunk and a truncated file all fail to decrypt. Only one chunk is held in
memory at a time.

The key id names the key for rotation; the key check (an HMAC of a constant under the
key) lets a wrong key be reported as such instead of as corruption.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"FXBK"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
_KEY_CHECK_LABEL = b"foodxchange-backup-key-check"
_FRAME = struct.Struct(">BI")


class BackupCryptoError(Exception):
    """The archive cannot be decrypted; the message says why."""


class KeyNotConfigured(BackupCryptoError):
    pass


class WrongKey(BackupCryptoError):
    pass


class CorruptArchive(BackupCryptoError):
    pass


@dataclass(frozen=True)
class BackupKey:
    key_id: str
    secret: bytes

    @property
    def check(self) -> bytes:
        return hmac.new(self.secret, _KEY_CHECK_LABEL, hashlib.sha256).digest()[:8]


def _decode_key(raw: str, source: str) -> bytes:
    try:
        secret = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyNotConfigured(f"{source} is not valid base64.")
    if len(secret) != 32:
        raise KeyNotConfigured(f"{source} must decode to 32 bytes (AES-256); it decodes to {len(secret)}.")
    return secret


def fingerprint(secret: bytes) -> str:
    """A stable, non-secret name for a key: used as key id when none is configured."""
    return "k-" + hashlib.sha256(b"key-id:" + secret).hexdigest()[:12]


def current_key() -> BackupKey:
    """The key new backups are encrypted with (``BACKUP_ENCRYPTION_KEY``)."""
    raw = settings.BACKUP_ENCRYPTION_KEY
    if not raw:
        raise KeyNotConfigured(
            "BACKUP_ENCRYPTION_KEY is not set. Generate one with "
            '`python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"` '
            "and keep a copy outside this server: without it no backup can be restored."
        )
    secret = _decode_key(raw, "BACKUP_ENCRYPTION_KEY")
    return BackupKey(key_id=settings.BACKUP_KEY_ID or fingerprint(secret), secret=secret)


def known_keys() -> dict[str, BackupKey]:
    """The current key plus retired ones (``BACKUP_PREVIOUS_KEYS``: ``id=base64`` or
    ``base64`` entries), by key id, so backups made before a rotation stay readable."""
    keys: dict[str, BackupKey] = {}
    for entry in settings.BACKUP_PREVIOUS_KEYS:
        # base64 only has "=" as trailing padding, so an inner "=" separates an id.
        key_id, _, raw = entry.partition("=") if "=" in entry.rstrip("=") else ("", "", entry)
        secret = _decode_key(raw, "an entry of BACKUP_PREVIOUS_KEYS")
        key = BackupKey(key_id=key_id or fingerprint(secret), secret=secret)
        keys[key.key_id] = key
    if settings.BACKUP_ENCRYPTION_KEY:
        key = current_key()
        keys[key.key_id] = key
    return keys


def _header(key: BackupKey, nonce_prefix: bytes, chunk_size: int) -> bytes:
    key_id = key.key_id.encode()
    if len(key_id) > 255:
        raise KeyNotConfigured("BACKUP_KEY_ID must be at most 255 bytes.")
    return MAGIC + bytes([VERSION, len(key_id)]) + key_id + key.check + nonce_prefix + struct.pack(">I", chunk_size)


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: plaintext in, encrypted frames out to ``sink``.
    ``close()`` seals the final chunk; ``sha256`` and ``size`` describe what was
    written to the sink (the stored artifact)."""

    def __init__(self, sink: BinaryIO, key: BackupKey, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__()
        self._sink = sink
        self._aead = AESGCM(key.secret)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._counter = 0
        self._hash = hashlib.sha256()
        self.size = 0
        self._header = _header(key, os.urandom(8), chunk_size)
        self._nonce_prefix = self._header[-12:-4]
        self._emit(self._header)

    def writable(self) -> bool:
        return True

    def _emit(self, data: bytes) -> None:
        self._sink.write(data)
        self._hash.update(data)
        self.size += len(data)

    def _seal(self, chunk: bytes, final: bool) -> None:
        if self._counter >= 2**32:
            raise BackupCryptoError("Archive too large for one nonce space.")
        counter = struct.pack(">I", self._counter)
        flag = 1 if final else 0
        sealed = self._aead.encrypt(self._nonce_prefix + counter, chunk, self._header + counter + bytes([flag]))
        self._emit(_FRAME.pack(flag, len(sealed)) + sealed)
        self._counter += 1

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > self._chunk_size:
            chunk = bytes(self._buffer[: self._chunk_size])
            del self._buffer[: self._chunk_size]
            self._seal(chunk, final=False)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
        super().close()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def read_header(source: BinaryIO) -> tuple[bytes, str, bytes, bytes, int]:
    """(raw header, key id, key check, nonce prefix, chunk size) of an archive."""
    fixed = source.read(6)
    if len(fixed) < 6 or fixed[:4] != MAGIC:
        raise CorruptArchive("This is not a FoodXchange backup archive (bad header).")
    if fixed[4] != VERSION:
        raise CorruptArchive(f"Unsupported backup format version {fixed[4]}.")
    rest = source.read(fixed[5] + 8 + 8 + 4)
    if len(rest) != fixed[5] + 20:
        raise CorruptArchive("The backup archive is truncated (incomplete header).")
    key_id = rest[: fixed[5]].decode(errors="replace")
    key_check = rest[fixed[5] : fixed[5] + 8]
    nonce_prefix = rest[fixed[5] + 8 : fixed[5] + 16]
    (chunk_size,) = struct.unpack(">I", rest[-4:])
    return fixed + rest, key_id, key_check, nonce_prefix, chunk_size


def key_for(key_id: str, key_check: bytes) -> BackupKey:
    keys = known_keys()
    key = keys.get(key_id)
    if key is None:
        configured = ", ".join(sorted(keys)) or "none"
        raise WrongKey(
            f"This backup was encrypted with key id {key_id!r}, which is not configured "
            f"(configured key ids: {configured}). Set BACKUP_ENCRYPTION_KEY to that key, "
            "or add it to BACKUP_PREVIOUS_KEYS."
        )
    if not hmac.compare_digest(key.check, key_check):
        raise WrongKey(
            f"The configured key named {key_id!r} is not the key this backup was encrypted with "
            "(key check mismatch): the key was changed without changing BACKUP_KEY_ID."
        )
    return key


class DecryptingReader(io.RawIOBase):
    """A read-only file object over an encrypted archive: yields plaintext, one
    authenticated chunk at a time. Raises ``WrongKey`` or ``CorruptArchive``."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source
        self._header, self.key_id, key_check, self._nonce_prefix, self._chunk_size = read_header(source)
        self._aead = AESGCM(key_for(self.key_id, key_check).secret)
        self._counter = 0
        self._pending = b""
        self._finished = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes:
        frame = self._source.read(_FRAME.size)
        if len(frame) < _FRAME.size:
            raise CorruptArchive("The backup archive is truncated (its final chunk is missing).")
        flag, length = _FRAME.unpack(frame)
        if flag not in (0, 1) or length > self._chunk_size + TAG_SIZE:
            raise CorruptArchive(f"The backup archive is corrupted (bad frame at chunk {self._counter}).")
        sealed = self._source.read(length)
        if len(sealed) != length:
            raise CorruptArchive("The backup archive is truncated.")
        counter = struct.pack(">I", self._counter)
        try:
            chunk = self._aead.decrypt(self._nonce_prefix + counter, sealed, self._header + counter + bytes([flag]))
        except InvalidTag:
            raise CorruptArchive(
                f"The backup archive failed authentication at chunk {self._counter}: it was altered or corrupted."
            )
        self._counter += 1
        if flag:
            self._finished = True
            if self._source.read(1):
                raise CorruptArchive("The backup archive has data after its final chunk.")
        return chunk

    def readinto(self, buffer) -> int:
        while not self._pending and not self._finished:
            self._pending = self._next_chunk()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
