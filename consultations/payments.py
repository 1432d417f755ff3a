"""Charges, refunds and transfers behind CONSULTATION_PAYMENTS_BACKEND.

Separate charges and transfers: the client pays the platform at booking (a
PaymentIntent with automatic capture: no authorization that lapses before a booking
weeks ahead), refunds go back to that charge, and the expert is paid by a transfer whose
``source_transaction`` is the charge, so it never outruns the funds.

- ``stripe``: the real Stripe SDK; STRIPE_API_BASE points it at another host (tests run
  it against a local fake server).
- ``console``: every call succeeds at once and is logged (local runs).
- ``recording``: in memory, succeeds at once, answers a repeated idempotency key with the
  first result like Stripe does; ``fail_next`` makes the next calls fail (tests).
- anything else: a dotted path to a class with the same methods.

Amounts cross this boundary in minor units. Nothing here touches the database: callers
invoke these methods outside any transaction.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """The provider refused; retrying the same request will not help."""


class PaymentsNotConfigured(PaymentError):
    """The selected backend lacks its credentials; nothing was attempted."""


class TransientPaymentError(PaymentError):
    """Network trouble, rate limit or provider outage: retry later with the same key."""


@dataclass(frozen=True)
class Charge:
    id: str
    status: str  # succeeded | pending | failed
    amount: int
    currency: str
    client_secret: str = ""
    charge_id: str = ""


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str  # succeeded | pending | failed
    amount: int


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount: int
    currency: str
    destination: str


class PaymentBackend(Protocol):
    name: str

    def create_charge(
        self, *, amount: int, currency: str, idempotency_key: str, description: str, metadata: dict[str, str]
    ) -> Charge: ...

    def create_refund(
        self, *, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult: ...

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        idempotency_key: str,
        transfer_group: str,
        metadata: dict[str, str],
    ) -> TransferResult: ...


_STATUS = {"succeeded": "succeeded", "canceled": "failed", "failed": "failed"}


class StripeBackend:
    name = "stripe"

    def __init__(self) -> None:
        import stripe

        if not settings.STRIPE_SECRET_KEY:
            raise PaymentsNotConfigured("The stripe payments backend needs STRIPE_SECRET_KEY.")
        self._stripe = stripe
        base: Any = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        # The SDK retries network failures itself, re-sending the same idempotency key.
        self._client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)

    def _call(self, fn: Any, **kwargs: Any) -> dict[str, Any]:
        stripe = self._stripe
        try:
            return fn(**kwargs).to_dict()
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise TransientPaymentError(str(exc)) from exc
        except stripe.StripeError as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                raise TransientPaymentError(str(exc)) from exc
            raise PaymentError(exc.user_message or str(exc)) from exc

    def create_charge(self, *, amount, currency, idempotency_key, description, metadata):
        obj = self._call(
            self._client.v1.payment_intents.create,
            params={
                "amount": amount,
                "currency": currency.lower(),
                "capture_method": "automatic",
                "payment_method_types": ["card"],
                "description": description,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        latest = obj.get("latest_charge") or ""
        return Charge(
            id=obj["id"],
            status=_STATUS.get(obj["status"], "pending"),
            amount=int(obj["amount"]),
            currency=str(obj["currency"]).upper(),
            client_secret=str(obj.get("client_secret") or ""),
            charge_id=latest if isinstance(latest, str) else str(latest.get("id", "")),
        )

    def create_refund(self, *, intent_id, amount, idempotency_key, metadata):
        obj = self._call(
            self._client.v1.refunds.create,
            params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return RefundResult(id=obj["id"], status=_STATUS.get(obj["status"], "pending"), amount=int(obj["amount"]))

    def create_transfer(
        self, *, amount, currency, destination, source_transaction, idempotency_key, transfer_group, metadata
    ):
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": metadata,
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        obj = self._call(self._client.v1.transfers.create, params=params, options={"idempotency_key": idempotency_key})
        return TransferResult(
            id=obj["id"], amount=int(obj["amount"]), currency=str(obj["currency"]).upper(), destination=destination
        )


def _fake_id(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class ConsoleBackend:
    name = "console"

    def create_charge(self, *, amount, currency, idempotency_key, description, metadata):
        logger.info("charge (console): %s %s minor units key=%s", amount, currency, idempotency_key)
        return Charge(
            _fake_id("pi_console", idempotency_key),
            "succeeded",
            amount,
            currency.upper(),
            charge_id=_fake_id("ch_console", idempotency_key),
        )

    def create_refund(self, *, intent_id, amount, idempotency_key, metadata):
        logger.info("refund (console): %s minor units of %s key=%s", amount, intent_id, idempotency_key)
        return RefundResult(_fake_id("re_console", idempotency_key), "succeeded", amount)

    def create_transfer(
        self, *, amount, currency, destination, source_transaction, idempotency_key, transfer_group, metadata
    ):
        logger.info("transfer (console): %s %s minor units → %s key=%s", amount, currency, destination, idempotency_key)
        return TransferResult(_fake_id("tr_console", idempotency_key), amount, currency.upper(), destination)


@dataclass
class _Recorder:
    calls: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)  # by idempotency key
    fail_next: int = 0
    charge_status: str = "succeeded"
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingBackend:
    """In-memory stand-in for Stripe shared by every instance in the process."""

    name = "recording"
    _recorder = _Recorder()

    @classmethod
    def reset(cls) -> None:
        with cls._recorder.lock:
            cls._recorder.calls.clear()
            cls._recorder.results.clear()
            cls._recorder.fail_next = 0
            cls._recorder.charge_status = "succeeded"

    @classmethod
    def fail(cls, times: int = 1) -> None:
        cls._recorder.fail_next = times

    @classmethod
    def charges_stay_pending(cls) -> None:
        """New charges wait for the client (and a webhook), as real card payments do."""
        cls._recorder.charge_status = "pending"

    @classmethod
    def calls(cls, kind: str | None = None) -> list[dict[str, Any]]:
        with cls._recorder.lock:
            return [c for c in cls._recorder.calls if kind is None or c["kind"] == kind]

    @classmethod
    def distinct(cls, kind: str) -> list[Any]:
        """Results actually created (a repeated key collapses, as at Stripe)."""
        with cls._recorder.lock:
            return [r for key, r in cls._recorder.results.items() if key.startswith(kind + ":")]

    def _record(self, kind: str, key: str, params: dict[str, Any], make: Any) -> Any:
        rec = self._recorder
        with rec.lock:
            rec.calls.append({"kind": kind, "idempotency_key": key, **params})
            if rec.fail_next > 0:
                rec.fail_next -= 1
                raise TransientPaymentError("recording backend told to fail")
            existing = rec.results.get(f"{kind}:{key}")
            if existing is not None:
                return existing
            result = make(len(rec.results) + 1)
            rec.results[f"{kind}:{key}"] = result
            return result

    def create_charge(self, *, amount, currency, idempotency_key, description, metadata):
        status = self._recorder.charge_status
        return self._record(
            "charge",
            idempotency_key,
            {"amount": amount, "currency": currency.upper(), "metadata": dict(metadata)},
            lambda n: Charge(
                f"pi_rec_{n}",
                status,
                amount,
                currency.upper(),
                client_secret=f"pi_rec_{n}_secret",
                charge_id=f"ch_rec_{n}" if status == "succeeded" else "",
            ),
        )

    def create_refund(self, *, intent_id, amount, idempotency_key, metadata):
        return self._record(
            "refund",
            idempotency_key,
            {"intent_id": intent_id, "amount": amount},
            lambda n: RefundResult(f"re_rec_{n}", "succeeded", amount),
        )

    def create_transfer(
        self, *, amount, currency, destination, source_transaction, idempotency_key, transfer_group, metadata
    ):
        return self._record(
            "transfer",
            idempotency_key,
            {
                "amount": amount,
                "currency": currency.upper(),
                "destination": destination,
                "source_transaction": source_transaction,
                "transfer_group": transfer_group,
            },
            lambda n: TransferResult(f"tr_rec_{n}", amount, currency.upper(), destination),
        )


BACKENDS: dict[str, type] = {"stripe": StripeBackend, "console": ConsoleBackend, "recording": RecordingBackend}


def get_backend() -> PaymentBackend:
    name = settings.CONSULTATION_PAYMENTS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    backend: PaymentBackend = cls()
    return backend
