"""The staff console for backups: the list with status and filters, verify and
restore actions (restore asks for the backup id typed back on its own page), a
"Back up now" button and the jobs that ran. Everything here belongs to the
``operations`` staff area, like the backup API."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from backups import services
from backups.management.common import human_size
from backups.models import Backup, BackupJob
from foodxchange.admin import ReadOnlyAreaAdmin, StaffAreaAdmin
from foodxchange.api.permissions import has_staff_area
from foodxchange.errors import DomainError, message_of

STATUS_COLOURS: dict[str, str] = {
    Backup.Status.VERIFIED: "#1a7f37",
    Backup.Status.SUCCEEDED: "#2f6f9f",
    Backup.Status.FAILED: "#c62828",
    Backup.Status.VERIFICATION_FAILED: "#c62828",
    Backup.Status.RUNNING: "#b26a00",
    Backup.Status.PENDING: "#777",
    Backup.Status.DELETED: "#999",
}


class RestoreConfirmationForm(forms.Form):
    confirm = forms.CharField(label="Type the backup id to confirm", max_length=64)

    def __init__(self, *args, backup: Backup, **kwargs):
        super().__init__(*args, **kwargs)
        self.backup = backup

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip().lower()
        if value != str(self.backup.id):
            raise forms.ValidationError(f"That is not the id of this backup ({self.backup.id}).")
        return value


class BackupJobInline(admin.TabularInline):
    model = BackupJob
    extra = 0
    can_delete = False
    fields = ("kind", "status", "requested_by", "created_at", "finished_at", "error")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Backup)
class BackupAdmin(StaffAreaAdmin):
    view_area = "operations"

    list_display = [
        "short_id",
        "kind",
        "status_badge",
        "created_at",
        "size",
        "duration",
        "key_id",
        "created_by",
        "verified_at",
    ]
    list_filter = ["status", "kind", "engine", "key_id", "created_at"]
    search_fields = ["storage_name", "checksum_sha256", "error", "created_by__email"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in Backup._meta.fields]
    inlines = [BackupJobInline]
    actions = ["verify_selected", "restore_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # archives are removed by the retention policy, which keeps the audit trail

    def has_verify_permission(self, request) -> bool:
        return has_staff_area(request.user, "operations")

    def has_restore_permission(self, request) -> bool:
        return has_staff_area(request.user, "operations")

    @admin.display(description="id", ordering="id")
    def short_id(self, obj: Backup) -> str:
        return str(obj.id)[:8]

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Backup):
        return format_html(
            '<strong style="color:{}">{}</strong>', STATUS_COLOURS.get(obj.status, "#333"), obj.get_status_display()
        )

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj: Backup) -> str:
        return human_size(obj.size_bytes)

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, obj: Backup) -> str:
        return f"{obj.duration_seconds:.1f} s" if obj.duration_seconds is not None else "-"

    @admin.action(description="Verify selected backups (scratch restore)", permissions=["verify"])
    def verify_selected(self, request, queryset):
        queued = reused = skipped = 0
        for backup in queryset:
            try:
                answer = services.request_verification(backup=backup, user=request.user, fresh=True, request=request)
            except DomainError:
                skipped += 1
                continue
            if answer.reused:
                reused += 1
            else:
                queued += 1
        self.message_user(request, f"{queued} verification(s) queued.", messages.SUCCESS)
        if reused:
            self.message_user(request, f"{reused} backup(s) already being verified.", messages.INFO)
        if skipped:
            self.message_user(request, f"{skipped} backup(s) skipped: not completed.", messages.WARNING)

    @admin.action(description="Restore the selected backup…", permissions=["restore"])
    def restore_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one backup to restore.", messages.ERROR)
            return None
        return redirect(reverse("admin:backups_backup_restore", args=[queryset.get().pk]))

    def get_urls(self):
        custom = [
            path("backup-now/", self.admin_site.admin_view(self.backup_now_view), name="backups_backup_now"),
            path("<uuid:pk>/restore/", self.admin_site.admin_view(self.restore_view), name="backups_backup_restore"),
        ]
        return custom + super().get_urls()

    def backup_now_view(self, request):
        if request.method != "POST" or not has_staff_area(request.user, "operations"):
            raise PermissionDenied
        backup = services.request_backup(kind=Backup.Kind.MANUAL, user=request.user, request=request)
        self.message_user(request, f"Backup {backup.id} queued.", messages.SUCCESS)
        return redirect(reverse("admin:backups_backup_changelist"))

    def restore_view(self, request, pk):
        """The intermediate page of the restore action: the id must be typed back."""
        if not self.has_restore_permission(request):
            raise PermissionDenied
        backup = get_object_or_404(Backup, pk=pk)
        form = RestoreConfirmationForm(request.POST or None, backup=backup)
        if not backup.is_restorable:
            self.message_user(request, f"Backup {backup.id} is {backup.status} and cannot be restored.", messages.ERROR)
            return redirect(reverse("admin:backups_backup_changelist"))
        if request.method == "POST" and form.is_valid():
            try:
                job = services.request_job(
                    kind=BackupJob.Kind.RESTORE, user=request.user, backup=backup, request=request
                )
            except DomainError as exc:
                self.message_user(request, message_of(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Restore of backup {backup.id} queued (job {job.id}); a safety backup is taken first.",
                    messages.WARNING,
                )
            return redirect(reverse("admin:backups_backup_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Restore a backup",
            "opts": self.model._meta,
            "backup": backup,
            "form": form,
        }
        return TemplateResponse(request, "admin/backups/backup/restore_confirmation.html", context)


@admin.register(BackupJob)
class BackupJobAdmin(ReadOnlyAreaAdmin):
    view_area = "operations"
    change_area = None

    list_display = ["id", "kind", "status", "backup", "requested_by", "created_at", "finished_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["error", "requested_by__email"]
    list_select_related = ["backup", "requested_by"]
    readonly_fields = [f.name for f in BackupJob._meta.fields]
    date_hierarchy = "created_at"
