"""Cross-domain staff pages, inside the admin's look and permissions."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe

from backoffice.selectors import marketplace_charts, staff_kpis
from foodxchange.api.permissions import has_staff_area


def kpi_view(request: HttpRequest) -> TemplateResponse:
    """The staff KPI page: marketplace-wide figures from every domain, and the market
    analytics' charts for staff who may read them (the support area, like the API)."""
    charts = None
    if has_staff_area(request.user, "support"):
        # The SVG is built by intelligence.charts with every text escaped.
        charts = {name: mark_safe(svg) for name, svg in marketplace_charts().items()}  # noqa: S308
    context = {
        **admin.site.each_context(request),
        "title": "Marketplace KPIs",
        "kpis": staff_kpis(user=request.user),
        "charts": charts,
    }
    return TemplateResponse(request, "backoffice/kpi.html", context)
