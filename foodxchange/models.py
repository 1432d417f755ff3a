from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from foodxchange.money import MONEY_DECIMAL_PLACES


class AuditLog(models.Model):
    """Who did what to which object, when and from where. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(max_length=255, blank=True, help_text="Kept if the user is deleted")
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        # save()/delete() guards do not stop QuerySet.update() or raw SQL: PostgreSQL
        # refuses those too. The one change allowed is the actor becoming NULL when that
        # user is deleted (on_delete=SET_NULL); actor_repr keeps who it was.
        triggers = [
            pgtrigger.Protect(name="auditlog_append_only_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="auditlog_append_only_update",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(exclude=["actor"]),
            ),
            pgtrigger.Protect(
                name="auditlog_actor_only_cleared",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "NEW.actor_id IS NOT NULL AND OLD.actor_id IS DISTINCT FROM NEW.actor_id"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr or 'system'} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit log rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log rows are append-only.")


class MaintenanceState(models.Model):
    """Singleton (pk=1): while enabled, non-staff writes get 503."""

    enabled = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "maintenance mode"
        verbose_name_plural = "maintenance mode"

    def __str__(self) -> str:
        return "on" if self.enabled else "off"


class StaffArea(models.Model):
    """Carries the three staff-area permissions (no table of its own).

    Staff are not all-powerful: each admin endpoint and admin page checks the area it
    belongs to. Groups of the same names hold them (data migration); superusers hold all.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("support", "Support: read people, leads and experts; help users"),
            ("finance", "Finance: approve commissions, pay out, refund, resolve disputes"),
            ("operations", "Operations: backups, restores, maintenance and configuration"),
        ]

    def __str__(self) -> str:
        return "staff areas"


class FxRate(models.Model):
    """The marketplace FX table as dated data: ``rate`` is the base-currency value of one
    unit of ``currency`` from ``valid_from`` on (until a newer row of that currency).

    Rows are never edited in place by code; staff add a new dated row when a rate
    changes, so a past conversion can always be explained."""

    currency = models.CharField(max_length=3, db_index=True)
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    valid_from = models.DateTimeField(db_index=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        verbose_name = "FX rate"
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="fxrate_one_rate_per_currency_and_time"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} (from {self.valid_from:%Y-%m-%d})"

    def clean(self) -> None:
        from foodxchange.money import is_currency

        self.currency = (self.currency or "").upper()
        if not is_currency(self.currency):
            raise ValidationError({"currency": f"{self.currency!r} is not an ISO 4217 currency in use."})


class MoneyField(models.DecimalField):
    """A money amount, stored rounded half up to the minor unit of its row's currency
    (JPY 0, USD 2, KWD 3): the one place amounts are rounded when stored.

    ``currency_field`` names the row's currency column; ``None`` means the amount is in
    the base currency (``BASE_CURRENCY``). The column holds ``MONEY_DECIMAL_PLACES``
    decimals, so every currency's minor unit fits."""

    def __init__(self, *args: Any, currency_field: str | None = "currency", **kwargs: Any) -> None:
        self.currency_field = currency_field
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.currency_field != "currency":
            kwargs["currency_field"] = self.currency_field
        return name, path, args, kwargs

    def contribute_to_class(self, cls: Any, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            # Weak: a model class rendered for a migration state takes its receiver with it.
            models.signals.post_init.connect(self._read_at_minor_unit, sender=cls)

    def _read_at_minor_unit(self, sender: Any, instance: models.Model, **kwargs: Any) -> None:
        """A value read back from the column carries all its decimals (50.000 USD): show
        it at its currency's minor unit (50.00) when that loses nothing. A value stored
        before rounding (61.73 JPY) stays as it is, so checks still see it."""
        value = instance.__dict__.get(self.attname)
        if not isinstance(value, Decimal):
            return
        if self.currency_field is not None and self.currency_field not in instance.__dict__:
            return  # deferred: reading it would cost a query
        from foodxchange.money import round_money

        rounded = round_money(value, self.currency_of(instance))
        if rounded == value:
            instance.__dict__[self.attname] = rounded

    def currency_of(self, instance: models.Model) -> str:
        from foodxchange.money import base_currency

        if self.currency_field is None:
            return base_currency()
        return str(getattr(instance, self.currency_field, "") or base_currency())

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        from foodxchange.money import round_money

        value = getattr(model_instance, self.attname)
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("Money must be a Decimal, never a float.")
        rounded = round_money(self.to_python(value), self.currency_of(model_instance))
        setattr(model_instance, self.attname, rounded)
        return rounded
