"""Staff console for search & discovery (the search log and analytics: zero-result
queries, RFQs that found no expert, CTR) and for matching: RFQs (with those that found no match), invitations and
responses, the re-rank weights and the outbox of webhooks to the core."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse

from foodxchange.admin import StaffAreaAdmin
from foodxchange.errors import DomainError, message_of
from matching import search
from matching.models import CRITERIA, MatchingWeights, OutboxEvent, Rfq, RfqInvitation, RfqMatch, SearchLog
from matching.selectors import rfqs_without_matches
from matching.services import outbox as outbox_services
from matching.services import rfqs as rfq_services
from matching.services import weights as weight_services


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
class SearchLogAdmin(StaffAreaAdmin):
    view_area = "support"

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
            path("analytics/", self.admin_site.admin_view(self.analytics_view), name="matching_searchlog_analytics")
        ]
        return custom + super().get_urls()

    def analytics_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = max(1, min(365, int(request.GET.get("days", 30))))
        except ValueError:
            days = 30
        context = {
            **self.admin_site.each_context(request),
            "title": f"Search analytics — last {days} days",
            "opts": self.model._meta,
            "stats": search.search_analytics(days=days),
            "unmatched": rfqs_without_matches(days=days),
            "rfq_url": reverse("admin:matching_rfq_changelist"),
            "days": days,
            "log_url": reverse("admin:matching_searchlog_changelist"),
        }
        return TemplateResponse(request, "admin/matching/search_analytics.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "analytics_url": reverse("admin:matching_searchlog_analytics")}
        return super().changelist_view(request, extra_context)


# --- matching engine and RFQs ----------------------------------------------------------
class MatchesFilter(admin.SimpleListFilter):
    title = "matches"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("none", "Without matches"), ("some", "With matches")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(matches__isnull=True)
        if self.value() == "some":
            return queryset.filter(matches__isnull=False).distinct()
        return queryset


class RfqMatchInline(admin.TabularInline):
    model = RfqMatch
    extra = 0
    fields = ["rank", "expert", "score", "explanation", "reasons"]
    readonly_fields = ["rank", "expert", "score", "explanation", "reasons"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RfqInvitationInline(admin.TabularInline):
    model = RfqInvitation
    extra = 0
    fields = ["expert", "response", "message", "invited_at", "responded_at"]
    readonly_fields = ["expert", "response", "message", "invited_at", "responded_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rfq)
class RfqAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["id", "title", "source", "external_id", "client", "status", "match_count", "deadline", "created_at"]
    list_filter = ["status", "source", MatchesFilter, "created_at"]
    search_fields = ["title", "description", "external_id", "client__email", "buyer"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Rfq._meta.fields] + ["specializations"]
    inlines = [RfqMatchInline, RfqInvitationInline]
    actions = ["close_rfqs"]
    list_select_related = ["client"]

    def has_add_permission(self, request):
        return False  # RFQs come from the core, the SPA or other apps' services

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_matches=Count("matches"))

    @admin.display(description="Matches", ordering="n_matches")
    def match_count(self, obj):
        return obj.n_matches

    @admin.action(description="Close the selected RFQs (invited experts are told)")
    def close_rfqs(self, request, queryset):
        closed = 0
        for rfq in queryset:
            try:
                rfq_services.close(rfq_id=rfq.pk, user=request.user, reason="Closed by staff", request=request)
                closed += 1
            except DomainError as exc:
                self.message_user(request, f"RFQ #{rfq.pk}: {message_of(exc)}", messages.WARNING)
        self.message_user(request, f"Closed {closed} RFQ(s).")


@admin.register(RfqInvitation)
class RfqInvitationAdmin(StaffAreaAdmin):
    view_area = "support"
    list_display = ["rfq", "expert", "response", "invited_at", "responded_at"]
    list_filter = ["response", "invited_at"]
    search_fields = ["rfq__title", "rfq__external_id", "expert__display_name", "message"]
    readonly_fields = [f.name for f in RfqInvitation._meta.fields]
    list_select_related = ["rfq", "expert"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WeightsForm(forms.ModelForm):
    class Meta:
        model = MatchingWeights
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from matching.selectors import current_weights

        current = current_weights()
        for criterion in CRITERIA:
            self.fields[criterion] = forms.FloatField(min_value=0, max_value=1000, initial=current[criterion])


@admin.register(MatchingWeights)
class MatchingWeightsAdmin(StaffAreaAdmin):
    """The re-rank weights; saving goes through the service (validated, audited)."""

    view_area = "support"
    change_area = "operations"
    form = WeightsForm
    list_display = ["__str__", "updated_by", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not MatchingWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            weight_services.set_weights(
                actor=request.user, weights={c: form.cleaned_data[c] for c in CRITERIA}, request=request
            )
        except DomainError as exc:
            self.message_user(request, message_of(exc), messages.ERROR)
        obj.pk = 1

    def save_related(self, request, form, formsets, change):
        pass


@admin.register(OutboxEvent)
class OutboxEventAdmin(StaffAreaAdmin):
    view_area = "operations"
    list_display = ["created_at", "event", "rfq", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event", "created_at"]
    search_fields = ["key", "rfq__external_id", "last_error"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["retry_events"]
    list_select_related = ["rfq"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._area(request, "operations"):
            actions.pop("retry_events", None)
        return actions

    @admin.action(description="Send the selected failed events again")
    def retry_events(self, request, queryset):
        count = outbox_services.retry(
            event_ids=[str(pk) for pk in queryset.values_list("pk", flat=True)], actor=request.user
        )
        self.message_user(request, f"{count} event(s) queued again.")
