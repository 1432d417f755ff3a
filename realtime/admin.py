"""The notifications console: the support area (people and their messages);
WhatsApp templates are messaging configuration, changed by operations."""

from django.contrib import admin, messages
from django.db.models import QuerySet

from foodxchange.admin import StaffAreaAdmin
from foodxchange.api.permissions import has_staff_area
from realtime import services
from realtime.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WhatsAppConsent,
    WhatsAppTemplate,
)


class ReadStatusFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("yes", "Read"), ("no", "Unread")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        return queryset


class NotificationDeliveryInline(admin.TabularInline):
    model = NotificationDelivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "recipient", "attempts", "provider_id", "sent_at", "last_error")
    readonly_fields = ("channel", "status", "recipient", "attempts", "provider_id", "sent_at", "last_error")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return has_staff_area(request.user, "support")


@admin.register(Notification)
class NotificationAdmin(StaffAreaAdmin):
    """Notifications are created by the apps through ``notify()``, never by hand."""

    list_display = ["id", "user", "kind", "in_app", "is_read", "created_at"]
    list_filter = ["kind", "in_app", ReadStatusFilter, "created_at"]
    search_fields = ["user__email", "kind", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = ["user", "kind", "payload", "idempotency_key", "in_app", "read_at", "created_at"]
    inlines = [NotificationDeliveryInline]
    actions = ["mark_read", "mark_unread", "push_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(boolean=True, description="read")
    def is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None

    @admin.action(description="Mark as read")
    def mark_read(self, request, queryset: QuerySet):
        count = services.set_read(notifications=queryset, read=True, actor=request.user, request=request)
        self.message_user(request, f"{count} notification(s) marked read.", messages.SUCCESS)

    @admin.action(description="Mark as unread")
    def mark_unread(self, request, queryset: QuerySet):
        count = services.set_read(notifications=queryset, read=False, actor=request.user, request=request)
        self.message_user(request, f"{count} notification(s) marked unread.", messages.SUCCESS)

    @admin.action(description="Push again to the user's open sockets")
    def push_again(self, request, queryset: QuerySet):
        count = 0
        for notification in queryset.filter(in_app=True):
            services.push_notification(notification)
            count += 1
        self.message_user(request, f"{count} notification(s) pushed.", messages.SUCCESS)


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(StaffAreaAdmin):
    list_display = ["id", "notification", "channel", "status", "recipient", "attempts", "sent_at", "created_at"]
    list_filter = ["channel", "status", "created_at"]
    search_fields = ["recipient", "notification__user__email", "notification__kind", "provider_id"]
    date_hierarchy = "created_at"
    list_select_related = ["notification__user"]
    readonly_fields = [
        "notification",
        "channel",
        "status",
        "recipient",
        "attempts",
        "last_error",
        "provider_id",
        "created_at",
        "sent_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry unsent deliveries (sent ones are never sent twice)")
    def retry(self, request, queryset: QuerySet):
        count = services.requeue_deliveries(deliveries=queryset, actor=request.user, request=request)
        self.message_user(request, f"{count} delivery(ies) queued again.", messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(StaffAreaAdmin):
    list_display = ["user", "kind", "in_app", "email", "whatsapp", "updated_at"]
    list_filter = ["kind", "in_app", "email", "whatsapp"]
    search_fields = ["user__email", "kind"]
    list_select_related = ["user"]
    # The user's own choice: staff see it and may reset it, never edit it behind their back.
    readonly_fields = ["user", "kind", "in_app", "email", "whatsapp", "updated_at"]
    actions = ["reset_to_defaults"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Reset to the defaults (delete these preferences)")
    def reset_to_defaults(self, request, queryset: QuerySet):
        count = services.reset_preferences(preferences=queryset, actor=request.user, request=request)
        self.message_user(request, f"{count} preference(s) reset to defaults.", messages.SUCCESS)


@admin.register(WhatsAppConsent)
class WhatsAppConsentAdmin(StaffAreaAdmin):
    """Consent is the user's own act (recorded with the audit log): read-only here."""

    list_display = ["user", "opted_in", "changed_at"]
    list_filter = ["opted_in", "changed_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "opted_in", "changed_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(StaffAreaAdmin):
    view_area = "support"
    change_area = "operations"
    list_display = ["kind", "content_sid", "approved", "updated_at"]
    list_filter = ["approved"]
    search_fields = ["kind", "content_sid", "note"]
