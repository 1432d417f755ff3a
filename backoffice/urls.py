"""The back-office's staff pages, mounted under /admin/ (before the admin's own URLs)."""

from django.contrib import admin
from django.urls import path

from backoffice import views

urlpatterns = [
    path("kpi/", admin.site.admin_view(views.kpi_view), name="admin-kpi"),
]
