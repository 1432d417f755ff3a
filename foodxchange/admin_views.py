from django.contrib import admin
from django.template.response import TemplateResponse

from foodxchange.kpis import staff_kpis


def kpi_view(request):
    """The staff KPI page, inside the admin's look and permissions."""
    context = {**admin.site.each_context(request), "title": "Marketplace KPIs", "kpis": staff_kpis(user=request.user)}
    return TemplateResponse(request, "admin/kpi.html", context)
