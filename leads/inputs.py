"""Lead input rules without HTTP: what the CSV import (and any other non-API caller)
checks before creating a lead. The API serializer applies the same field rules, and
both share ``finish_lead_input`` for the cross-field ones."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from foodxchange.errors import InvalidInput
from foodxchange.money import MONEY_DECIMAL_PLACES, is_currency
from leads import validators
from leads.models import Lead

REQUIRED = "This field is required."
TRUE_VALUES = {True, "true", "True", "1", "yes", "y"}
FALSE_VALUES = {False, "false", "False", "0", "no", "n", ""}


def _text(data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool, max_length: int | None):
    value = str(data.get(name, "") or "").strip()
    if required and not value:
        errors[name] = [REQUIRED]
    elif max_length is not None and len(value) > max_length:
        errors[name] = [f"Ensure this field has no more than {max_length} characters."]
    return value


def finish_lead_input(attrs: dict[str, Any], *, lead: Lead | None = None) -> dict[str, list[str]]:
    """Phone as E.164 (read against the country), a missing time zone guessed from the
    phone, and at least one of email/phone. Updates ``attrs``; returns field errors."""
    errors: dict[str, list[str]] = {}
    country = attrs.get("country") or (lead.country if lead else None)
    if attrs.get("phone"):
        try:
            attrs["phone"] = validators.normalize_phone(attrs["phone"], country=country)
        except DjangoValidationError as exc:
            errors["phone"] = exc.messages
    if "timezone" in attrs and not attrs["timezone"]:
        # Left out: keep the lead's zone, or guess a new lead's from its phone number.
        guessed = None if lead or errors else validators.timezone_for_phone(attrs.get("phone", ""))
        attrs["timezone"] = lead.timezone if lead else guessed or "UTC"
    email = attrs.get("email", lead.email if lead else "")
    phone = attrs.get("phone", lead.phone if lead else "")
    if not errors and not email and not phone:
        errors["email"] = ["Give an email address or a phone number (or both)."]
    return errors


def clean_lead_input(data: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised fields for a new lead from raw strings (a CSV row).
    Raises InvalidInput with every field's problem in ``details``; ``specialization``
    is resolved by the caller."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {
        "company_name": _text(data, "company_name", errors, required=True, max_length=200),
        "contact_name": _text(data, "contact_name", errors, required=True, max_length=200),
        "notes": _text(data, "notes", errors, required=False, max_length=None),
    }
    email = _text(data, "email", errors, required=False, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = ["Enter a valid email address."]
    cleaned["email"] = email
    cleaned["phone"] = _text(data, "phone", errors, required=False, max_length=40)
    try:
        cleaned["country"] = validators.normalize_country(str(data.get("country", "")))
    except DjangoValidationError as exc:
        errors["country"] = [REQUIRED] if not data.get("country") else exc.messages
    timezone_name = _text(data, "timezone", errors, required=False, max_length=64)
    if timezone_name:
        try:
            validators.validate_timezone_name(timezone_name)
        except DjangoValidationError as exc:
            errors["timezone"] = exc.messages
    cleaned["timezone"] = timezone_name
    source = str(data.get("source", "") or "").strip()
    if source not in Lead.Source.values:
        errors["source"] = [f'"{source}" is not a valid choice.' if source else REQUIRED]
    cleaned["source"] = source
    raw_value = str(data.get("estimated_value", "") or "").strip()
    cleaned["estimated_value"] = None
    if raw_value:
        try:
            value = Decimal(raw_value)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors["estimated_value"] = ["A valid number is required."]
        else:
            if value < 0:
                errors["estimated_value"] = ["Ensure this value is greater than or equal to 0."]
            elif value != value.quantize(Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)) or abs(value) >= Decimal("1e12"):
                errors["estimated_value"] = [
                    f"Use at most 12 digits before and {MONEY_DECIMAL_PLACES} after the decimal point."
                ]
            else:
                cleaned["estimated_value"] = value
    currency = str(data.get("currency", "") or "USD").strip().upper()
    if not is_currency(currency):
        errors["currency"] = [f"{currency!r} is not an ISO 4217 currency in use."]
    cleaned["currency"] = currency
    opt_in = data.get("whatsapp_opt_in", False)
    if opt_in in TRUE_VALUES:
        cleaned["whatsapp_opt_in"] = True
    elif opt_in in FALSE_VALUES:
        cleaned["whatsapp_opt_in"] = False
    else:
        errors["whatsapp_opt_in"] = ["Must be a valid boolean."]
    if not errors:
        errors.update(finish_lead_input(cleaned))
    if errors:
        raise InvalidInput("Invalid input.", details=errors)
    return cleaned
