from django.urls import path

from experts import credential_views, payout_views, views

urlpatterns = [
    path("experts/profile", views.OwnProfileView.as_view(), name="expert-profile-own"),
    path("experts/profile/photo", views.PhotoView.as_view(), name="expert-profile-photo"),
    path("experts/profile/<int:pk>", views.PublicProfileView.as_view(), name="expert-profile"),
    path("experts/dashboard", views.DashboardView.as_view(), name="expert-dashboard"),
    path("experts/analytics", views.AnalyticsView.as_view(), name="expert-analytics"),
    path("experts/services", views.ServiceListView.as_view(), name="expert-services"),
    path("experts/services/<int:pk>", views.ServiceDetailView.as_view(), name="expert-service"),
    path("experts/availability", views.AvailabilityView.as_view(), name="expert-availability"),
    path("experts/verification", views.VerificationView.as_view(), name="expert-verification"),
    path(
        "experts/verification/<int:pk>/decide",
        views.VerificationDecideView.as_view(),
        name="expert-verification-decide",
    ),
    path("experts/payout-account", payout_views.PayoutAccountView.as_view(), name="expert-payout-account"),
    path("experts/documents", views.DocumentView.as_view(), name="expert-documents"),
    path("experts/credential-types", credential_views.CredentialTypeListView.as_view(), name="expert-credential-types"),
    path("experts/credentials", credential_views.CredentialListView.as_view(), name="expert-credentials"),
    path("experts/credentials/<str:pk>", credential_views.CredentialDetailView.as_view(), name="expert-credential"),
    path(
        "experts/credentials/<str:pk>/decide",
        credential_views.CredentialDecideView.as_view(),
        name="expert-credential-decide",
    ),
]
