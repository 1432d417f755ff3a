"""List filters shared by every app (django-filter)."""

from datetime import datetime
from typing import Any

import django_filters
from django import forms

from foodxchange.api.fields import parse_client_datetime


class ClientDateTimeFormField(forms.Field):
    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            return parse_client_datetime(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """The one date-time filter for every list: ISO 8601, offset within ±14:00, year in
    1900..2200, compared in UTC; anything else is a 400 naming the parameter.
    ``DateTimeFilter(field_name="created_at", lookup_expr="gte")``."""

    field_class = ClientDateTimeFormField
