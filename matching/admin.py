"""Staff console for search & discovery: the search log and search analytics
(zero-result queries, CTR)."""

from django.contrib import admin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse

from matching import search
from matching.models import SearchLog


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
            path("analytics/", self.admin_site.admin_view(self.analytics_view), name="matching_searchlog_analytics")
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
            "log_url": reverse("admin:matching_searchlog_changelist"),
        }
        return TemplateResponse(request, "admin/matching/search_analytics.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "analytics_url": reverse("admin:matching_searchlog_analytics")}
        return super().changelist_view(request, extra_context)
