from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages

from foodxchange.api.permissions import has_staff_area
from foodxchange.models import AuditLog, FxRate, MaintenanceState
from foodxchange.services import set_maintenance


class StaffAreaAdmin(admin.ModelAdmin):
    """A ModelAdmin guarded by staff areas, the same ones the API checks.

    ``view_area`` may see the pages; ``change_area`` (default: ``view_area``) may add,
    change, delete and run actions. A subclass that refuses an operation altogether
    (append-only rows) still overrides ``has_*_permission`` to return False."""

    view_area: str = "support"
    change_area: str | None = None

    def _area(self, request, area: str | None) -> bool:
        return has_staff_area(request.user, area or self.view_area)

    def has_module_permission(self, request) -> bool:
        return self._area(request, self.view_area) or self._area(request, self.change_area)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._area(request, self.view_area) or self._area(request, self.change_area)

    def has_add_permission(self, request) -> bool:
        return self._area(request, self.change_area)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._area(request, self.change_area)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._area(request, self.change_area)


class ReadOnlyAreaAdmin(StaffAreaAdmin):
    """Rows nobody adds, edits or deletes by hand (money records, events, jobs, ledgers):
    ``view_area`` sees them and ``change_area`` runs their actions, which go through the
    services. Defaults suit money records (support sees, finance acts)."""

    view_area = "support"
    change_area: str | None = "finance"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RefundRetryAdmin(ReadOnlyAreaAdmin):
    """Refunds of a paid flow; finance sends pending ones again through ``execute``
    (the app's ``execute_refund`` service, idempotent by the refund's key)."""

    execute: Callable[..., Any]
    actions = ["retry"]

    @admin.action(description="Send the selected pending refunds again")
    def retry(self, request, queryset):
        if not self._area(request, "finance"):
            self.message_user(request, "Needs the finance area.", messages.ERROR)
            return
        done = [self.execute(refund_id=r.pk).status for r in queryset.filter(status="pending")]
        self.message_user(request, f"{done.count('succeeded')} refund(s) succeeded of {len(done)}.", messages.INFO)


class TransferRetryAdmin(ReadOnlyAreaAdmin):
    """Transfers to experts; finance sends waiting ones through ``execute`` (the app's
    ``execute_transfer`` service, idempotent by the transfer's key)."""

    execute: Callable[..., Any]
    actions = ["retry"]

    @admin.action(description="Send the selected waiting transfers (if the expert has an account)")
    def retry(self, request, queryset):
        if not self._area(request, "finance"):
            self.message_user(request, "Needs the finance area.", messages.ERROR)
            return
        done = [self.execute(transfer_id=t.pk).status for t in queryset]
        self.message_user(request, f"{done.count('paid')} paid of {len(done)}.", messages.INFO)


admin.site.site_header = "FoodXchange back-office"
admin.site.site_title = "FoodXchange admin"
admin.site.index_title = "Marketplace operations"


@admin.register(AuditLog)
class AuditLogAdmin(StaffAreaAdmin):
    """Read-only for support and operations (like ``GET /system/logs``)."""

    view_area = "support"
    change_area = "operations"
    list_display = ["created_at", "actor_repr", "action", "target_type", "target_repr", "ip_address"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor_repr", "action", "target_repr", "target_id", "request_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MaintenanceState)
class MaintenanceStateAdmin(StaffAreaAdmin):
    view_area = "operations"

    list_display = ["enabled", "message", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a singleton: switch it off instead

    def save_model(self, request, obj, form, change):
        set_maintenance(actor=request.user, enabled=obj.enabled, message=obj.message, request=request)


@admin.register(FxRate)
class FxRateAdmin(StaffAreaAdmin):
    """The dated FX table. Finance adds a new row when a rate changes; past rows stay as
    they were, so every stored conversion can be explained."""

    view_area = "finance"
    list_display = ["currency", "rate", "valid_from", "note", "created_by", "created_at"]
    list_filter = ["currency", "valid_from"]
    search_fields = ["currency", "note"]
    date_hierarchy = "valid_from"
    fields = ["currency", "rate", "valid_from", "note"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields, "created_by", "created_at"] if obj is not None else []

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            from django.utils import timezone

            from foodxchange.errors import InvalidInput
            from foodxchange.fx import validate_fx_rate

            form.base_fields["valid_from"].initial = timezone.now
            model_clean = form.clean

            def clean(self):
                cleaned = model_clean(self)
                if not self.errors:
                    try:
                        cleaned["currency"], cleaned["rate"] = validate_fx_rate(
                            currency=cleaned.get("currency", ""),
                            rate=cleaned.get("rate"),
                            valid_from=cleaned.get("valid_from") or timezone.now(),
                        )
                    except InvalidInput as exc:
                        for field, messages in exc.field_errors.items():
                            self.add_error(field if field in self.fields else None, messages)
                return cleaned

            form.clean = clean
        return form

    def save_model(self, request, obj, form, change):
        from foodxchange.fx import add_fx_rate

        row = add_fx_rate(
            currency=obj.currency,
            rate=obj.rate,
            valid_from=obj.valid_from,
            note=obj.note,
            actor=request.user,
            request=request,
        )
        obj.pk = row.pk
