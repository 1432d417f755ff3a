from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from compliance import services
from compliance.models import Certificate, LedgerEntry, VaultCertificate, VaultReminder
from foodxchange.admin import ReadOnlyAreaAdmin, StaffAreaAdmin
from foodxchange.errors import DomainError, message_of


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAreaAdmin):
    """Read-only: the ledger is append-only (and the database refuses edits anyway)."""

    view_area = "operations"
    change_area = "support"  # viewing only: ReadOnlyAreaAdmin refuses every write
    list_display = ["seq", "kind", "subject", "created_at", "entry_hash", "key_id"]
    list_filter = ["kind", "created_at"]
    search_fields = ["subject", "entry_hash", "=seq"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]
    ordering = ["-seq"]


class RevokeActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=2000, help_text="Why (required to revoke)")


@admin.register(Certificate)
class CertificateAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["id", "kind", "subject", "title", "issued_at", "expires_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter), "issued_at"]
    search_fields = ["=id", "subject", "title"]
    date_hierarchy = "issued_at"
    readonly_fields = [f.name for f in Certificate._meta.fields]
    action_form = RevokeActionForm
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The detail page is read-only; revocation goes through the action (the service).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._area(request, "support"):
            actions.pop("revoke", None)
        return actions

    @admin.action(description="Revoke the selected certificates (give a reason)")
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "")
        done = 0
        for certificate in queryset:
            try:
                services.revoke_certificate(
                    certificate_id=certificate.pk, actor=request.user, reason=reason, request=request
                )
                done += 1
            except DomainError as error:
                self.message_user(request, f"{certificate}: {message_of(error)}", messages.ERROR)
        if done:
            self.message_user(request, f"Revoked {done} certificate(s).", messages.SUCCESS)


class VaultReminderInline(admin.TabularInline):
    model = VaultReminder
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "days_before", "target_date", "sent", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VaultCertificate)
class VaultCertificateAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["id", "owner", "standard", "site", "certification_body", "expires_at", "next_audit_at"]
    list_filter = ["standard", "expires_at"]
    search_fields = ["site", "certificate_number", "certification_body", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [VaultReminderInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # A client's own records: staff read them to help, the client edits them.
        return False
