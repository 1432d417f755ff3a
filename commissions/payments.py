"""Payout transfers behind the PAYMENTS_BACKEND setting.

- ``stripe``: the real Stripe SDK (Connect transfers to the agent's account); the API
  host can be pointed elsewhere with STRIPE_API_BASE.
- ``console``: logs what would be transferred; for local runs.
- ``recording``: keeps every call in memory and, like Stripe, answers a repeated
  idempotency key with the original transfer; for tests.
- anything else: a dotted path to a class with the same two methods.
"""

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """The provider refused the transfer; retrying the same request will not help."""


class PaymentsNotConfigured(PaymentError):
    """The selected backend lacks its credentials; nothing was attempted."""


class TransientPaymentError(PaymentError):
    """Network trouble, rate limit or a provider outage: retry later with the same key."""


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int  # minor units
    currency: str
    destination: str
    transfer_group: str = ""


class TransferBackend(Protocol):
    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        idempotency_key: str,
        transfer_group: str,
        description: str = "",
        metadata: dict[str, str] | None = None,
    ) -> Transfer: ...

    def find_transfer(self, *, transfer_group: str) -> Transfer | None: ...


class StripeBackend:
    def __init__(self) -> None:
        import stripe

        if not settings.STRIPE_SECRET_KEY:
            raise PaymentsNotConfigured("PAYMENTS_BACKEND=stripe needs STRIPE_SECRET_KEY.")
        self._stripe = stripe
        base: Any = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        # The SDK retries network failures itself, re-sending the same idempotency key.
        self._client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)

    def _call(self, fn, *args, **kwargs):
        stripe = self._stripe
        try:
            return fn(*args, **kwargs)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise TransientPaymentError(str(exc)) from exc
        except stripe.StripeError as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                raise TransientPaymentError(str(exc)) from exc
            raise PaymentError(exc.user_message or str(exc)) from exc

    @staticmethod
    def _to_transfer(obj) -> Transfer:
        obj = obj.to_dict()
        return Transfer(
            id=obj["id"],
            amount=int(obj["amount"]),
            currency=str(obj["currency"]).upper(),
            destination=str(obj.get("destination") or ""),
            transfer_group=str(obj.get("transfer_group") or ""),
        )

    def create_transfer(
        self, *, amount, currency, destination, idempotency_key, transfer_group, description="", metadata=None
    ):
        obj = self._call(
            self._client.v1.transfers.create,
            params={
                "amount": amount,
                "currency": currency.lower(),
                "destination": destination,
                "transfer_group": transfer_group,
                "description": description,
                "metadata": metadata or {},
            },
            options={"idempotency_key": idempotency_key},
        )
        return self._to_transfer(obj)

    def find_transfer(self, *, transfer_group):
        page = self._call(self._client.v1.transfers.list, params={"transfer_group": transfer_group, "limit": 1})
        data = list(page.data)
        return self._to_transfer(data[0]) if data else None


class ConsoleBackend:
    def create_transfer(
        self, *, amount, currency, destination, idempotency_key, transfer_group, description="", metadata=None
    ):
        transfer_id = "tr_console_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        logger.info(
            "payout transfer (console): %s %s minor units → %s [%s] key=%s",
            amount,
            currency,
            destination,
            transfer_group,
            idempotency_key,
        )
        return Transfer(transfer_id, amount, currency.upper(), destination, transfer_group)

    def find_transfer(self, *, transfer_group):
        return None


@dataclass
class _Recorder:
    calls: list[dict[str, Any]] = field(default_factory=list)
    transfers: dict[str, Transfer] = field(default_factory=dict)  # by idempotency key
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingBackend:
    """In-memory stand-in for Stripe shared by every instance in the process."""

    _recorder = _Recorder()

    @classmethod
    def reset(cls) -> None:
        with cls._recorder.lock:
            cls._recorder.calls.clear()
            cls._recorder.transfers.clear()

    @classmethod
    def calls(cls) -> list[dict[str, Any]]:
        with cls._recorder.lock:
            return list(cls._recorder.calls)

    @classmethod
    def transfers(cls) -> list[Transfer]:
        """Distinct transfers actually created (repeated keys collapse, as at Stripe)."""
        with cls._recorder.lock:
            return list(cls._recorder.transfers.values())

    def create_transfer(
        self, *, amount, currency, destination, idempotency_key, transfer_group, description="", metadata=None
    ):
        rec = self._recorder
        with rec.lock:
            rec.calls.append(
                {
                    "amount": amount,
                    "currency": currency.upper(),
                    "destination": destination,
                    "idempotency_key": idempotency_key,
                    "transfer_group": transfer_group,
                    "metadata": dict(metadata or {}),
                }
            )
            existing = rec.transfers.get(idempotency_key)
            if existing is not None:
                if (existing.amount, existing.currency, existing.destination) != (
                    amount,
                    currency.upper(),
                    destination,
                ):
                    raise PaymentError("Idempotency key reused with different parameters.")
                return existing
            transfer = Transfer(
                f"tr_rec_{len(rec.transfers) + 1}", amount, currency.upper(), destination, transfer_group
            )
            rec.transfers[idempotency_key] = transfer
            return transfer

    def find_transfer(self, *, transfer_group):
        with self._recorder.lock:
            for transfer in self._recorder.transfers.values():
                if transfer.transfer_group == transfer_group:
                    return transfer
        return None


BACKENDS: dict[str, Any] = {"stripe": StripeBackend, "console": ConsoleBackend, "recording": RecordingBackend}


def get_transfer_backend() -> TransferBackend:
    name = settings.PAYMENTS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    backend: TransferBackend = cls()
    return backend
