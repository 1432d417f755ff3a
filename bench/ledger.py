"""Compliance ledger benchmark: appending entries (one transaction each through
``record``, and in batches through ``record_many``) and verifying the whole chain
(payload hash, entry hash, Ed25519 signature and link of every entry).

    .venv/bin/python bench/ledger.py [--entries 100000] [--batch 1000] [--single 2000]

The database is a fresh SQLite file in a temporary folder unless BENCH_DATABASE_URL names
a PostgreSQL database whose name contains "bench" (it is migrated and overwritten).
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries appended in batches")
    parser.add_argument("--batch", type=int, default=1000, help="entries per record_many call")
    parser.add_argument("--single", type=int, default=2000, help="entries appended one transaction each")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        url = setup_django(Path(work), COMPLIANCE_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode())
        from django.core.management import call_command
        from django.db import transaction

        call_command("migrate", "--noinput", verbosity=0)
        if url.startswith("postgres"):
            call_command("flush", "--noinput", verbosity=0)

        from compliance.models import LedgerKind
        from compliance.services import PendingEntry, record, record_many
        from compliance.verification import verify_stored_chain

        print(f"database: {url.split('@')[-1]}")

        started = time.perf_counter()
        for index in range(args.single):
            with transaction.atomic():
                record(
                    kind=LedgerKind.CONSULTATION_RELEASED,
                    subject=f"consultation:{index + 1}",
                    payload={"amount": Decimal("120.00"), "currency": "EUR", "expert_id": index % 97},
                )
        single = time.perf_counter() - started
        print(f"record():      {args.single:>7} entries in {single:6.2f} s = {args.single / single:8.0f} entries/s")

        started = time.perf_counter()
        done = 0
        while done < args.entries:
            count = min(args.batch, args.entries - done)
            record_many(
                PendingEntry(
                    kind=LedgerKind.MILESTONE_RELEASED,
                    subject=f"milestone:{done + i + 1}",
                    payload={"amount": Decimal("950.00"), "currency": "USD", "n": done + i},
                )
                for i in range(count)
            )
            done += count
        batched = time.perf_counter() - started
        print(f"record_many(): {done:>7} entries in {batched:6.2f} s = {done / batched:8.0f} entries/s")

        started = time.perf_counter()
        report = verify_stored_chain()
        verify = time.perf_counter() - started
        total = args.single + done
        assert report.ok and report.checked == total, report.reason
        rate = report.checked / verify
        print(f"verify_ledger: {report.checked:>7} entries in {verify:6.2f} s = {rate:8.0f} entries/s")
        print(f"head: seq {report.head_seq} {report.head_hash}")


if __name__ == "__main__":
    main()
