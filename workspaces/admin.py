"""Staff console for workspaces: read-only for support (staff read conversations and
files; only the client and the expert write in them)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from foodxchange.admin import StaffAreaAdmin
from foodxchange.api.permissions import has_staff_area
from workspaces.models import Attachment, Message, Workspace


class ReadOnlyAdmin(StaffAreaAdmin):
    view_area = "support"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # The same staff area as the page around it (not Django's per-model permissions).
        return has_staff_area(request.user, "support")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender", "body", "contact_warning", "contact_kinds")
    readonly_fields = fields
    ordering = ("-id",)


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fk_name = "workspace"
    fields = ("name", "version", "content_type", "size", "sha256", "uploaded_by", "created_at")
    readonly_fields = fields


class FlaggedFilter(admin.SimpleListFilter):
    title = "contact-detail warnings"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Has flagged messages"), ("no", "No flagged messages")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        flagged = Message.objects.filter(contact_warning=True).values("workspace_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=flagged)
        if self.value() == "no":
            return queryset.exclude(pk__in=flagged)
        return queryset


class PaidFilter(admin.SimpleListFilter):
    title = "paid"
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [("yes", "Paid"), ("no", "Not paid yet")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(paid_at__isnull=self.value() == "no")
        return queryset


@admin.register(Workspace)
class WorkspaceAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "subject_id", "title", "client", "expert", "paid_at", "messages", "flagged"]
    list_filter = ["kind", FlaggedFilter, PaidFilter, "created_at"]
    search_fields = ["title", "client__email", "expert__email", "=subject_id"]
    list_select_related = ["client", "expert"]
    date_hierarchy = "created_at"
    readonly_fields = ["kind", "subject_id", "title", "client", "expert", "paid_at", "created_at"]
    inlines = [MessageInline, AttachmentInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                message_count=Count("messages", distinct=True),
                flagged_count=Count("messages", filter=Q(messages__contact_warning=True), distinct=True),
            )
        )

    @admin.display(description="messages", ordering="message_count")
    def messages(self, obj: Workspace) -> int:
        return obj.message_count  # type: ignore[attr-defined]

    @admin.display(description="flagged", ordering="flagged_count")
    def flagged(self, obj: Workspace) -> int:
        return obj.flagged_count  # type: ignore[attr-defined]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "workspace", "sender", "short_body", "contact_warning", "files"]
    list_filter = ["contact_warning", "workspace__kind", "created_at"]
    search_fields = ["body", "sender__email", "workspace__title", "=workspace__id"]
    list_select_related = ["workspace", "sender"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "workspace",
        "sender",
        "body",
        "contact_warning",
        "contact_kinds",
        "created_at",
    ]
    exclude = ["idempotency_key"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(file_count=Count("attachments"))

    @admin.display(description="message")
    def short_body(self, obj: Message) -> str:
        return obj.body if len(obj.body) <= 80 else obj.body[:79] + "…"

    @admin.display(description="files", ordering="file_count")
    def files(self, obj: Message) -> int:
        return obj.file_count  # type: ignore[attr-defined]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "name",
        "version",
        "content_type",
        "size",
        "workspace",
        "uploaded_by",
        "created_at",
        "link",
    ]
    list_filter = ["content_type", "workspace__kind", "created_at"]
    search_fields = ["name", "sha256", "workspace__title", "uploaded_by__email", "=workspace__id"]
    list_select_related = ["workspace", "uploaded_by"]
    readonly_fields = [
        "workspace",
        "message",
        "uploaded_by",
        "name",
        "version",
        "content_type",
        "size",
        "sha256",
        "file",
        "created_at",
    ]
    exclude = ["name_key"]

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [
            path("<int:attachment_id>/download/", download, name="workspaces_attachment_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, attachment_id: int):
        """The stored file, for staff who may view attachments (the API needs a member)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        attachment = Attachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404("No such file.")
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description="file")
    def link(self, obj: Attachment) -> str:
        url = reverse("admin:workspaces_attachment_download", kwargs={"attachment_id": obj.pk})
        return format_html('<a href="{}">download</a>', url)
