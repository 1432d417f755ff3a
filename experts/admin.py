"""Staff console for experts: profiles with their services, certifications, documents
and availability; the verification queue; the specialization taxonomy; search
analytics (zero-result queries, CTR)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import ValidationError

from experts import search, services, tasks
from experts.indexing import refresh_search_index
from experts.models import (
    AvailabilityException,
    AvailabilityRule,
    Certification,
    ExpertDocument,
    ExpertProfile,
    ExpertService,
    SearchLog,
    Specialization,
    VerificationRequest,
)
from foodxchange.api.errors import Conflict


@admin.register(Specialization)
class SpecializationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "sort_order", "expert_count"]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_experts=Count("experts"))

    @admin.display(description="Experts", ordering="n_experts")
    def expert_count(self, obj):
        return obj.n_experts

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            # Expert search text includes specialization names: refresh it in the background.
            transaction.on_commit(lambda: tasks.reindex_specialization.delay(obj.pk))


class ServiceInline(admin.TabularInline):
    model = ExpertService
    extra = 0
    fields = ["title", "specialization", "pricing_type", "price", "currency", "duration_minutes", "is_active"]
    autocomplete_fields = ["specialization"]


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0
    fields = ["name", "issuer", "number", "issued_at", "expires_at", "expired"]
    readonly_fields = ["expired"]

    @admin.display(boolean=True, description="Expired")
    def expired(self, obj):
        return obj.is_expired() if obj.pk else None


class DocumentInline(admin.TabularInline):
    """Read-only: documents come in through the API, where their content is checked."""

    model = ExpertDocument
    extra = 0
    can_delete = False
    fields = ["doc_type", "version", "title", "file", "content_type", "size", "expires_at", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "email",
        "country",
        "verification_status",
        "is_active",
        "hourly_rate",
        "currency",
        "rating_avg",
        "rating_count",
        "created_at",
    ]
    list_filter = ["verification_status", "is_active", "currency", "specializations", "country"]
    search_fields = ["display_name", "user__email", "headline", "city"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    filter_horizontal = ["specializations"]
    readonly_fields = ["display_name", "rating_avg", "rating_count", "created_at", "updated_at"]
    inlines = [
        ServiceInline,
        CertificationInline,
        DocumentInline,
        AvailabilityRuleInline,
        AvailabilityExceptionInline,
    ]
    actions = ["activate", "deactivate", "reindex"]
    date_hierarchy = "created_at"

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return obj.user.email

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_search_index([form.instance.pk])

    @admin.action(description="Activate selected experts")
    def activate(self, request, queryset):
        updated = queryset.update(is_active=True)
        self.message_user(request, f"{updated} expert(s) activated.")

    @admin.action(description="Deactivate selected experts (hidden from search)")
    def deactivate(self, request, queryset):
        updated = queryset.update(is_active=False)
        self.message_user(request, f"{updated} expert(s) deactivated.")

    @admin.action(description="Rebuild search data of selected experts")
    def reindex(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        refresh_search_index(ids)
        self.message_user(request, f"Search data rebuilt for {len(ids)} expert(s).")


class RejectForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea, help_text="Sent to each expert; say what to fix.")


class VerificationDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "— keep pending —"), ("approve", "Approve"), ("reject", "Reject")], required=False
    )

    class Meta:
        model = VerificationRequest
        fields = ["reviewer_note"]


@admin.register(VerificationRequest)
class VerificationRequestAdmin(admin.ModelAdmin):
    """The verification queue: oldest pending first; approve in bulk, reject with a note."""

    form = VerificationDecisionForm
    list_display = ["id", "expert", "status", "created_at", "document_count", "reviewer", "decided_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["expert__display_name", "expert__user__email"]
    list_select_related = ["expert", "reviewer"]
    readonly_fields = ["expert", "status", "note", "document_links", "reviewer", "decided_at", "created_at"]
    fields = ["expert", "status", "note", "document_links", "decision", "reviewer_note", "reviewer", "decided_at"]
    actions = ["approve", "reject"]
    ordering = ["status", "created_at"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_docs=Count("documents"))

    @admin.display(description="Documents", ordering="n_docs")
    def document_count(self, obj):
        return obj.n_docs

    @admin.display(description="Documents")
    def document_links(self, obj):
        docs = [(doc.file.url, str(doc), doc.size) for doc in obj.documents.all()]
        if not docs:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> ({} bytes)</li>', docs))

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        self._decide(request, [obj.pk], approve=decision == "approve", note=form.cleaned_data.get("reviewer_note", ""))

    def _decide(self, request: HttpRequest, ids, *, approve: bool, note: str) -> int:
        done = 0
        for pk in ids:
            try:
                services.decide_verification(
                    verification_id=pk, reviewer=request.user, approve=approve, note=note, request=request
                )
                done += 1
            except (Conflict, ValidationError) as exc:  # report each failure, keep going
                detail = exc.detail
                self.message_user(request, f"Request #{pk}: {detail}", level=messages.WARNING)
        return done

    @admin.action(description="Approve selected requests")
    def approve(self, request, queryset):
        done = self._decide(request, queryset.values_list("pk", flat=True), approve=True, note="")
        self.message_user(request, f"{done} request(s) approved.")

    @admin.action(description="Reject selected requests (asks for a note)")
    def reject(self, request, queryset):
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                done = self._decide(
                    request, queryset.values_list("pk", flat=True), approve=False, note=form.cleaned_data["note"]
                )
                self.message_user(request, f"{done} request(s) rejected.")
                return None
        else:
            form = RejectForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject verification requests",
            "queryset": queryset,
            "form": form,
            "action": "reject",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/experts/reject_verification.html", context)


class ZeroResultsFilter(admin.SimpleListFilter):
    title = "results"
    parameter_name = "results"

    def lookups(self, request, model_admin):
        return [("zero", "No results"), ("some", "With results")]

    def queryset(self, request, queryset):
        if self.value() == "zero":
            return queryset.filter(results_count=0)
        if self.value() == "some":
            return queryset.filter(results_count__gt=0)
        return queryset


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "query", "results_count", "specialization", "user", "click_count"]
    list_filter = [ZeroResultsFilter, "created_at", "specialization"]
    search_fields = ["query", "normalized_query"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SearchLog._meta.fields]
    list_select_related = ["specialization", "user"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_clicks=Count("clicks"))

    @admin.display(description="Clicks", ordering="n_clicks")
    def click_count(self, obj):
        return obj.n_clicks

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        custom = [
            path("analytics/", self.admin_site.admin_view(self.analytics_view), name="experts_searchlog_analytics")
        ]
        return custom + super().get_urls()

    def analytics_view(self, request):
        try:
            days = max(1, min(365, int(request.GET.get("days", 30))))
        except ValueError:
            days = 30
        context = {
            **self.admin_site.each_context(request),
            "title": f"Search analytics — last {days} days",
            "opts": self.model._meta,
            "stats": search.search_analytics(days=days),
            "days": days,
            "log_url": reverse("admin:experts_searchlog_changelist"),
        }
        return TemplateResponse(request, "admin/experts/search_analytics.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "analytics_url": reverse("admin:experts_searchlog_analytics")}
        return super().changelist_view(request, extra_context)


from experts import credential_admin  # noqa: E402, F401  (registers the credential pages)
