"""Cross-domain staff pages, inside the admin's look and permissions."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from backoffice.selectors import staff_kpis


def kpi_view(request: HttpRequest) -> TemplateResponse:
    """The staff KPI page: marketplace-wide figures from every domain."""
    context = {**admin.site.each_context(request), "title": "Marketplace KPIs", "kpis": staff_kpis(user=request.user)}
    return TemplateResponse(request, "backoffice/kpi.html", context)
