import base64
import io

import pytest

from backups import crypto
from backups.tests.conftest import make_key


def encrypt(data: bytes, chunk_size: int = 64) -> bytes:
    sink = io.BytesIO()
    writer = crypto.EncryptingWriter(sink, crypto.current_key(), chunk_size=chunk_size)
    writer.write(data)
    writer.close()
    return sink.getvalue()


def decrypt(blob: bytes) -> bytes:
    return crypto.DecryptingReader(io.BytesIO(blob)).read()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000])
def test_round_trip_across_chunk_boundaries(size):
    data = bytes(range(256)) * 4
    data = data[:size]
    assert decrypt(encrypt(data)) == data


def test_ciphertext_hides_the_plaintext_and_nonces_differ():
    data = b"secret row " * 50
    first, second = encrypt(data), encrypt(data)
    assert b"secret row" not in first
    assert first != second  # random nonce prefix per archive


def test_flipped_bit_fails_authentication():
    blob = bytearray(encrypt(b"x" * 500))
    blob[-20] ^= 0x01
    with pytest.raises(crypto.CorruptArchive, match="authentication"):
        decrypt(bytes(blob))


def test_truncated_archive_is_detected():
    blob = encrypt(b"x" * 500)
    frame = 5 + 64 + 16
    with pytest.raises(crypto.CorruptArchive, match="truncated"):
        decrypt(blob[:-frame])  # the final chunk dropped: every remaining chunk is valid


def test_header_tampering_fails():
    header_len = 6 + len(crypto.current_key().key_id) + 8 + 8 + 4
    blob = bytearray(encrypt(b"x" * 100))
    blob[header_len - 1] ^= 0x01  # the chunk size field
    with pytest.raises(crypto.CorruptArchive):
        decrypt(bytes(blob))


def test_wrong_key_fails_with_a_clear_error(settings):
    blob = encrypt(b"payload")
    old_id = crypto.current_key().key_id
    settings.BACKUP_ENCRYPTION_KEY = make_key()
    with pytest.raises(crypto.WrongKey, match=f"encrypted with key id '{old_id}', which is not configured"):
        decrypt(blob)


def test_same_key_id_with_different_key_is_reported_as_wrong_key(settings):
    settings.BACKUP_KEY_ID = "prod-2026"
    blob = encrypt(b"payload")
    settings.BACKUP_ENCRYPTION_KEY = make_key()
    with pytest.raises(crypto.WrongKey, match="key check mismatch"):
        decrypt(blob)


def test_rotated_key_still_decrypts_old_archives(settings):
    old_key = settings.BACKUP_ENCRYPTION_KEY
    blob = encrypt(b"made before rotation")
    settings.BACKUP_ENCRYPTION_KEY = make_key()
    settings.BACKUP_PREVIOUS_KEYS = [old_key]
    assert decrypt(blob) == b"made before rotation"
    settings.BACKUP_KEY_ID = "new"
    settings.BACKUP_PREVIOUS_KEYS = [f"{crypto.fingerprint(base64.b64decode(old_key))}={old_key}"]
    assert decrypt(blob) == b"made before rotation"


def test_missing_or_malformed_key_is_explained(settings):
    settings.BACKUP_ENCRYPTION_KEY = ""
    with pytest.raises(crypto.KeyNotConfigured, match="BACKUP_ENCRYPTION_KEY is not set"):
        crypto.current_key()
    settings.BACKUP_ENCRYPTION_KEY = "c2hvcnQ="
    with pytest.raises(crypto.KeyNotConfigured, match="32 bytes"):
        crypto.current_key()
