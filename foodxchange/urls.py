from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from foodxchange import fx, views
from foodxchange.api import errors

api_v1: list[URLPattern | URLResolver] = [
    path("auth/", include("accounts.urls")),
    path("system/status", views.SystemStatusView.as_view(), name="system-status"),
    path("system/config", views.SystemConfigView.as_view(), name="system-config"),
    path("system/maintenance", views.MaintenanceView.as_view(), name="system-maintenance"),
    path("system/logs", views.AuditLogListView.as_view(), name="system-logs"),
    path("fx/rates", fx.FxRatesView.as_view(), name="fx-rates"),
    path("", include("experts.urls")),
    path("", include("matching.urls")),
    path("", include("leads.urls")),
    path("", include("commissions.urls")),
    path("", include("consultations.urls")),
    path("", include("engagements.urls")),
    path("", include("workspaces.urls")),
    path("", include("compliance.urls")),
    path("", include("assistant.urls")),
    path("", include("intelligence.urls")),
    path("", include("realtime.urls")),
    path("", include("backups.urls")),
    # Unknown API paths answer with the JSON error envelope, in DEBUG too.
    re_path(r"^.*$", errors.api_not_found),
]

urlpatterns = [
    path("health", views.health, name="health"),
    path("ready", views.ready, name="ready"),
    path("", include("django_prometheus.urls")),
    path("admin/", include("backoffice.urls")),  # staff pages across domains (KPIs)
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", errors.api_not_found),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "foodxchange.api.errors.handler400"
handler403 = "foodxchange.api.errors.handler403"
handler404 = "foodxchange.api.errors.handler404"
handler500 = "foodxchange.api.errors.handler500"
