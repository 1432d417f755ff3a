"""The FX table's writes and its HTTP endpoint: staff add dated rates (never edit a
past one), everyone signed in reads the table in force (``GET /api/v1/fx/rates``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodxchange.api.schema import error_responses
from foodxchange.errors import InvalidInput
from foodxchange.models import FxRate
from foodxchange.money import base_currency, is_currency, rates_snapshot


def validate_fx_rate(*, currency: str, rate: Decimal | str | None, valid_from: dt.datetime) -> tuple[str, Decimal]:
    """The normalised code and rate of a new row, or InvalidInput naming the field."""
    code = (currency or "").strip().upper()
    if not is_currency(code):
        raise InvalidInput(f"{code!r} is not an ISO 4217 currency in use.", field="currency")
    if code == base_currency():
        raise InvalidInput(f"{code} is the base currency: its rate is always 1.", field="currency")
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise InvalidInput("A rate is a positive number (base-currency value of one unit).", field="rate")
    newest = FxRate.objects.filter(currency=code).order_by("-valid_from").first()
    if newest is not None and valid_from <= newest.valid_from:
        raise InvalidInput(
            f"{code} already has a rate from {newest.valid_from:%Y-%m-%d %H:%M} UTC; a new rate must start "
            "after it (past conversions keep the rate they used).",
            field="valid_from",
        )
    return code, value


def add_fx_rate(
    *,
    currency: str,
    rate: Decimal | str,
    valid_from: dt.datetime | None = None,
    note: str = "",
    actor: Any = None,
    request: Any = None,
) -> FxRate:
    """Adds a dated rate for ``currency`` from ``valid_from`` (default now). History is
    never rewritten: a rate cannot start before the newest one already in the table,
    and the base currency is always 1."""
    from foodxchange.services import record_audit

    valid_from = valid_from or timezone.now()
    with transaction.atomic():
        # Lock the currency's rows so two staff adding rates at once are checked in turn.
        newest = (
            FxRate.objects.select_for_update()
            .filter(currency=(currency or "").strip().upper())
            .order_by("-valid_from")
            .first()
        )
        code, value = validate_fx_rate(currency=currency, rate=rate, valid_from=valid_from)
        try:
            with transaction.atomic():
                row = FxRate.objects.create(
                    currency=code,
                    rate=value,
                    valid_from=valid_from,
                    note=note[:200],
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:
            raise InvalidInput("A rate for this currency and time already exists.", field="valid_from")
        record_audit(
            actor=actor,
            action="fx.rate.added",
            target=row,
            before={"rate": str(newest.rate), "valid_from": newest.valid_from.isoformat()} if newest else None,
            after={"currency": code, "rate": str(value), "valid_from": valid_from.isoformat()},
            request=request,
        )
    return row


class FxRatesSerializer(serializers.Serializer):
    base = serializers.CharField(help_text="The base currency (BASE_CURRENCY)")
    rates = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=10, coerce_to_string=False),
        help_text="Base-currency value of one unit of each code",
    )
    as_of = serializers.DateTimeField(allow_null=True, help_text="Newest valid_from among the rates in force")


class FxRatesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["money"],
        summary="The marketplace FX table in force now",
        description="`rate` is the base-currency value of one unit of `code` (base USD: `EUR: 1.08`). "
        "Staff add dated rates in the admin; a conversion uses the rate valid at its event and "
        "stores it on its row.",
        responses={200: FxRatesSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(FxRatesSerializer(rates_snapshot()).data)
