import time

from django.core.management.base import BaseCommand, CommandError

from compliance import signing
from compliance.verification import check_chain, stored_rows, verify_stored_chain


class Command(BaseCommand):
    help = (
        "Checks every compliance ledger entry (payload hash, entry hash, Ed25519 signature, link to the "
        "previous entry, no gaps) and names the first bad seq; exits 1 when the ledger was tampered with."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            metavar="SEQ:ENTRY_HASH",
            help="A head kept outside earlier (GET /api/v1/compliance/ledger/head): the history must still contain it.",
        )
        parser.add_argument("--quiet", action="store_true", help="Print only the verdict.")

    def handle(self, *args, **options):
        anchor = None
        if options.get("anchor"):
            seq_text, _, entry_hash = options["anchor"].partition(":")
            if not seq_text.isdigit() or len(entry_hash) != 64:
                raise CommandError("--anchor takes SEQ:ENTRY_HASH, e.g. 120:3f1c…", returncode=2)
            anchor = (int(seq_text), entry_hash)
        if signing.is_development_key():
            self.stderr.write("Warning: DEBUG development key in use (COMPLIANCE_SIGNING_KEY is not set).")
        started = time.monotonic()
        if anchor is None and not options["quiet"]:
            report = check_chain(self._with_progress(stored_rows()))
        else:
            report = verify_stored_chain(anchor=anchor)
        elapsed = time.monotonic() - started
        if not report.ok:
            raise CommandError(
                f"Ledger NOT intact: first bad seq {report.first_bad_seq}: {report.reason} "
                f"({report.checked} entries verified before it).",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger intact: {report.checked} entries verified in {elapsed:.2f}s; "
                f"head seq {report.head_seq} {report.head_hash}"
            )
        )

    def _with_progress(self, rows):
        for count, row in enumerate(rows, start=1):
            if count % 10000 == 0:
                self.stdout.write(f"  … {count} entries checked")
            yield row
