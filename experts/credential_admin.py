"""Staff console for typed credentials: the catalogue and the per-credential review."""

from django.contrib import admin, messages

from experts import credentials
from experts.credential_models import CredentialReminder, CredentialType, ExpertCredential
from foodxchange.admin import StaffAreaAdmin
from foodxchange.errors import DomainError, message_of


@admin.register(CredentialType)
class CredentialTypeAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["name", "slug", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["name", "slug"]


class CredentialReminderInline(admin.TabularInline):
    model = CredentialReminder
    extra = 0
    can_delete = False
    readonly_fields = ["days_before", "expires_at", "sent", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExpertCredential)
class ExpertCredentialAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["id", "expert", "credential_type", "issuer", "number", "expires_at", "status"]
    list_filter = ["status", "credential_type", "expires_at"]
    search_fields = ["expert__user__email", "expert__display_name", "issuer", "number"]
    list_select_related = ["expert__user", "credential_type"]
    raw_id_fields = ["expert", "document", "migrated_from"]
    readonly_fields = ["status", "reviewer", "reviewed_at", "reviewer_note", "expiry_recorded_at"]
    inlines = [CredentialReminderInline]
    actions = ["verify"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decisions go through the action (the service)

    @admin.action(description="Verify the selected pending credentials")
    def verify(self, request, queryset):
        done = 0
        for credential in queryset:
            try:
                credentials.decide_credential(
                    credential_id=credential.pk, reviewer=request.user, decision="verify", request=request
                )
                done += 1
            except DomainError as error:
                self.message_user(request, f"{credential}: {message_of(error)}", messages.ERROR)
        if done:
            self.message_user(request, f"Verified {done} credential(s).", messages.SUCCESS)
