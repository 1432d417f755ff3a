"""Backup benchmark: streaming encryption throughput and memory, then a full backup →
verify → restore round trip on a throwaway database.

    .venv/bin/python bench/backups_roundtrip.py [--rows 200000] [--media-mb 50] [--crypto-mb 256]

The database is a fresh SQLite file in a temporary folder unless BENCH_DATABASE_URL names
a PostgreSQL database whose name contains "bench" (it is migrated and overwritten).
"""

import argparse
import base64
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django


def configure(work: Path) -> None:
    setup_django(
        work,
        DEBUG="true",
        MEDIA_ROOT=str(work / "media"),
        BACKUP_STORAGE_LOCATION=str(work / "store"),
        BACKUP_TEMP_DIR=str(work / "tmp"),
        BACKUP_ENCRYPTION_KEY=base64.b64encode(os.urandom(32)).decode(),
    )


def bench_crypto(megabytes: int, work: Path) -> None:
    from backups import crypto

    block = os.urandom(1024 * 1024)
    target = work / "crypto.bin"
    tracemalloc.start()
    started = time.perf_counter()
    with open(target, "wb") as sink:
        writer = crypto.EncryptingWriter(sink, crypto.current_key())
        for _ in range(megabytes):
            writer.write(block)
        writer.close()
    encrypt_s = time.perf_counter() - started
    _, peak_encrypt = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    with open(target, "rb") as source:
        reader = crypto.DecryptingReader(source)
        total = 0
        while chunk := reader.read(1024 * 1024):
            total += len(chunk)
    decrypt_s = time.perf_counter() - started
    _, peak_decrypt = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == megabytes * 1024 * 1024
    print(
        f"crypto: {megabytes} MiB encrypt {megabytes / encrypt_s:.0f} MiB/s, decrypt {megabytes / decrypt_s:.0f} MiB/s"
    )
    print(
        f"crypto: peak Python memory encrypt {peak_encrypt / 2**20:.1f} MiB, "
        f"decrypt {peak_decrypt / 2**20:.1f} MiB (streamed, not proportional to size)"
    )
    target.unlink()


def bench_round_trip(rows: int, media_mb: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from backups import services
    from realtime.models import Notification

    call_command("migrate", verbosity=0)
    user = User.objects.create(email="bench@example.com", role="client")
    batch = 5000
    for start in range(0, rows, batch):
        Notification.objects.bulk_create(
            Notification(user=user, kind="lead.assigned", payload={"n": i, "text": "x" * 64})
            for i in range(start, min(rows, start + batch))
        )
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    for i in range(media_mb):
        (media / f"file-{i}.bin").write_bytes(os.urandom(1024 * 1024))
    print(f"round trip on {connection.vendor}: {rows} rows, {media_mb} MiB media")

    started = time.perf_counter()
    backup = services.create_backup()
    assert backup.status == "succeeded", backup.error
    print(f"backup:  {time.perf_counter() - started:.2f} s, archive {backup.size_bytes / 2**20:.1f} MiB")

    started = time.perf_counter()
    services.verify_backup(backup=backup)
    print(f"verify:  {time.perf_counter() - started:.2f} s (scratch restore + row counts)")

    Notification.objects.all().delete()
    started = time.perf_counter()
    result = services.restore_backup(backup=backup, confirm=str(backup.id))
    print(f"restore: {time.perf_counter() - started:.2f} s including the safety backup (RTO)")
    assert Notification.objects.count() == rows
    print(f"restore: {result['rows']} rows, {result['media_files']} media files back")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--media-mb", type=int, default=50)
    parser.add_argument("--crypto-mb", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fx-bench-") as folder:
        work = Path(folder)
        configure(work)
        bench_crypto(args.crypto_mb, work)
        bench_round_trip(args.rows, args.media_mb)


if __name__ == "__main__":
    main()
