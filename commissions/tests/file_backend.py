"""A transfer backend whose record survives the process (a JSON-lines file), so a test
can kill a payout run with SIGKILL mid-transfer and check the retry. Like Stripe, a
repeated idempotency key answers with the original transfer."""

import json
import os
import time
from pathlib import Path

from commissions.payments import Transfer


class FileRecordingBackend:
    def __init__(self) -> None:
        self.path = Path(os.environ["FX_TRANSFER_LOG"])

    def _lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    @staticmethod
    def _transfer(line: dict) -> Transfer:
        return Transfer(line["id"], line["amount"], line["currency"], line["destination"], line["transfer_group"])

    def create_transfer(self, *, amount, currency, destination, idempotency_key, transfer_group, **kwargs):
        lines = self._lines()
        for line in lines:
            if line["idempotency_key"] == idempotency_key:
                return self._transfer(line)
        line = {
            "id": f"tr_file_{len(lines) + 1}",
            "amount": amount,
            "currency": currency.upper(),
            "destination": destination,
            "idempotency_key": idempotency_key,
            "transfer_group": transfer_group,
        }
        with self.path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
        if os.environ.get("FX_HANG_AFTER_TRANSFER"):
            time.sleep(120)  # the test kills the process here
        return self._transfer(line)

    def find_transfer(self, *, transfer_group):
        for line in self._lines():
            if line["transfer_group"] == transfer_group:
                return self._transfer(line)
        return None
